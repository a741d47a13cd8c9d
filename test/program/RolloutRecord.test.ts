import { defaultRecoverOptions } from "../../src/program/recover/RecoverView.js"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import * as Schema from "effect/Schema"
import { decodeRecord, encodeRecord, hasRecord, phaseTags, RECORD_PREFIX, recordKeys, type RolloutRecord, RolloutRecordFromTags, salvageRecord, TAG_VALUE_LIMIT } from "../../src/program/rollout/RolloutRecord.js"
import { stackStatus } from "../../src/program/recover/Status.js"
import { drive, group, mutatingCalls, runRollout, STACK, webGroup } from "../support/World.js"
import { afterCalls, rolloutKilledAt } from "../recover/Kill.js"
import { units } from "../../src/program/rollout/Waves.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const OLD = `${RECORD_PREFIX}:old-`
const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId).sort()
const chunks = (tags: Readonly<Record<string, string>>) =>
  Object.keys(tags).filter((k) => k.startsWith(OLD) && /^\d+$/.test(k.slice(OLD.length))).sort().map((k) => tags[k]!)

const record = (oldIds: ReadonlyArray<string>): RolloutRecord => ({
  id: "6f1c2a52-3c5e-4b7e-9a43-0d6f3c1b2a10",
  stack: "shop",
  phase: "waiting",
  startedAt: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
  sizes: { minSize: 2, maxSize: 4, desiredCapacity: 3 },
  needed: 3,
  ours: ["AZRebalance", "ScheduledActions"],
  oldIds
})

/** `n` ids of `width` characters each, all different. */
const idsOf = (n: number, width: number) => Array.from({ length: n }, (_, k) => `i-${String(k).padStart(width - 2, "0")}`)

describe("the record's old-instance list", () => {
  it("fills a tag value to exactly 256 characters and starts a second one at 257", () => {
    // 15 ids of 15 characters, 15 commas and a 16th id of 16 characters: 256; one more character makes 257.
    const exactly = [...idsOf(15, 15), `i-${"f".repeat(14)}`]
    expect(exactly.join(",").length).toBe(TAG_VALUE_LIMIT)
    const fits = encodeRecord(record(exactly))
    expect(chunks(fits)).toEqual([exactly.join(",")])
    const over = [...idsOf(15, 15), `i-${"f".repeat(15)}`]
    expect(over.join(",").length).toBe(TAG_VALUE_LIMIT + 1)
    const split = encodeRecord(record(over))
    expect(chunks(split)).toEqual([over.slice(0, 15).join(","), over[15]])
    for (const tags of [fits, split]) {
      expect(Object.values(tags).every((v) => v.length <= TAG_VALUE_LIMIT)).toBe(true)
    }
  })

  it("round-trips through the tags whatever the number of chunks", () => {
    for (const r of [record([]), record(idsOf(1, 19)), record(idsOf(12, 19)), record(idsOf(13, 19)), record(idsOf(40, 19))]) {
      const tags = encodeRecord(r)
      expect(decodeRecord(tags)).toEqual({ _tag: "Record", record: r })
    }
    // AWS instance ids are 19 characters: 12 fit one value (239), the 13th needs a second one (259).
    expect(chunks(encodeRecord(record(idsOf(12, 19))))).toHaveLength(1)
    expect(chunks(encodeRecord(record(idsOf(13, 19))))).toHaveLength(2)
    expect(chunks(encodeRecord(record(idsOf(24, 19))))).toHaveLength(2)
    expect(chunks(encodeRecord(record(idsOf(25, 19))))).toHaveLength(3)
  })

  it("is read in chunk order, not in the order of the tag keys, past chunk 9", () => {
    // 150 instances take 13 chunks: old-10 sorts before old-2 as text.
    const r = record(idsOf(150, 19))
    const tags = encodeRecord(r)
    expect(chunks(tags)).toHaveLength(13)
    const reversed = Object.fromEntries(Object.entries(tags).reverse())
    expect(decodeRecord(reversed)).toEqual({ _tag: "Record", record: r })
    expect(salvageRecord(reversed).oldIds).toEqual(r.oldIds)
  })
})

describe("a record damaged by a run that died while writing it", () => {
  const whole = encodeRecord(record(idsOf(13, 19)))
  const without = (...names: ReadonlyArray<string>) =>
    Object.fromEntries(Object.entries(whole).filter(([k]) => !names.includes(k.slice(RECORD_PREFIX.length + 1))))
  const withTag = (name: string, value: string) => ({ ...whole, [`${RECORD_PREFIX}:${name}`]: value })

  it("is no record at all without a tag of ours, and only our prefix followed by ':' counts", () => {
    expect(decodeRecord({ Name: "web", "aws-ha-updater:degraded": "timed out" })).toEqual({ _tag: "None" })
    expect(hasRecord({ [`${RECORD_PREFIX}s:id`]: "x" })).toBe(false)
    expect(recordKeys({ ...whole, Name: "web" }).sort()).toEqual(Object.keys(whole).sort())
    expect(phaseTags("restoring")).toEqual({ [`${RECORD_PREFIX}:phase`]: "restoring" })
  })

  it("is damaged without its id, phase, start, sizes, count or a chunk, or with any of them unreadable", () => {
    const damaged = { _tag: "Damaged", reason: "the rollout record on the group is incomplete" }
    for (const name of ["id", "phase", "started", "sizes", "old-count", "old-0", "old-1"]) expect(decodeRecord(without(name))).toEqual(damaged)
    for (const [name, value] of [["phase", "resuming"], ["started", "yesterday"], ["sizes", "2,4"], ["sizes", "2,4,3,5"], ["sizes", "2,x,3"], ["old-count", "many"], ["old-count", "12"]] as const) {
      expect(decodeRecord(withTag(name, value))).toEqual(damaged)
    }
    // Neither the stack nor what is needed nor the processes decide whether it can be read.
    expect(decodeRecord(without("stack", "needed", "ours"))).toMatchObject({ _tag: "Record", record: { stack: "", needed: 0, ours: [] } })
  })

  it("still says what each readable field says, and the old ids only when count and chunks agree", () => {
    const r = record(idsOf(13, 19))
    expect(salvageRecord(whole)).toEqual({ phase: r.phase, startedAt: r.startedAt, sizes: r.sizes, needed: r.needed, ours: r.ours, oldIds: r.oldIds })
    expect(salvageRecord(without("old-1"))).not.toHaveProperty("oldIds")
    expect(salvageRecord(without("old-count"))).not.toHaveProperty("oldIds")
    expect(salvageRecord(withTag("old-count", "13.5"))).not.toHaveProperty("oldIds")
    expect(salvageRecord(withTag("phase", "resuming"))).not.toHaveProperty("phase")
    expect(salvageRecord(withTag("started", "yesterday"))).not.toHaveProperty("startedAt")
    // An empty size is not a zero.
    for (const sizes of ["2,,3", "2,4", "2, ,3", "2,4,3,5"]) expect(salvageRecord(withTag("sizes", sizes))).not.toHaveProperty("sizes")
    expect(salvageRecord(withTag("needed", "lots"))).not.toHaveProperty("needed")
    expect(salvageRecord(without("needed"))).not.toHaveProperty("needed")
    expect(salvageRecord(without("ours"))).not.toHaveProperty("ours")
    expect(salvageRecord(withTag("ours", ""))).toMatchObject({ ours: [] })
    expect(salvageRecord({ [`${RECORD_PREFIX}:old-count`]: "0" })).toEqual({ oldIds: [] })
  })
})

describe("a group of 13 instances, whose old-instance list takes two tags", () => {
  it.effect("rolls out, the record holding every old id while it waits", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup({ minSize: 13, maxSize: 26, desiredCapacity: 13 }).pipe(Effect.zipRight(group("web"))))
      expect(before).toHaveLength(13)
      const seen: Array<ReadonlyArray<string>> = []
      const result = yield* Effect.flatten(drive(runRollout(), {
        onStep: () => Effect.map(group("web"), (g) => void (chunks(g.tags).length > 0 && seen.push(chunks(g.tags))))
      }))
      expect(result.status).toBe("succeeded")
      expect(seen.length).toBeGreaterThan(0)
      for (const values of seen) {
        expect(values).toHaveLength(2)
        expect(values.flatMap((v) => v.split(",")).sort()).toEqual(before)
      }
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([13, 26, 13])
      expect(ids(after).some((id) => before.includes(id))).toBe(false)
      expect(after.instances).toHaveLength(13)
    }).pipe(Effect.provide(world)))

  it.effect("killed after its scale-out, is rolled back by recover to exactly its 13 old instances", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup({ minSize: 13, maxSize: 26, desiredCapacity: 13 }).pipe(Effect.zipRight(group("web"))))
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      expect((yield* stackStatus(STACK)).groups[0]).toMatchObject({ state: "in-rollout", needed: 13 })
      const result = yield* Effect.flatten(drive(recoverStack(STACK, { ...defaultRecoverOptions, force: true })))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      expect(result.groups[0]!.terminated).toHaveLength(13)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([13, 26, 13])
      expect(ids(after)).toEqual(before)
    }).pipe(Effect.provide(world)))
})

describe("the 50-tag limit", () => {
  /** Tags the owner put on the group. */
  const ownTags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`team:${k}`, "shop"]))

  it.effect("a group whose tags leave no room for the record and the degraded marker is refused before any change", () =>
    Effect.gen(function*() {
      // The record takes 9 tags for two instances, its claim and heartbeat 2, the degraded marker 3: 37 of the
      // owner's make 51.
      yield* webGroup({ tags: ownTags(37) })
      const error = yield* Effect.flip(runRollout())
      expect({ ...error }).toMatchObject({ _tag: "RecordDoesNotFit", group: "web", tags: 37, needed: 14 })
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("in waves, the largest record a later wave writes must fit too, or the group is refused before any change", () =>
    Effect.gen(function*() {
      // 26 old instances in waves of 5: a later wave lists them all as kept, three tags of 256 characters more than
      // the first record needs. 24 tags in all: 27 of the owner's are refused, 26 fit.
      yield* webGroup({ minSize: 2, maxSize: 60, desiredCapacity: 26, tags: ownTags(27) })
      const error = yield* Effect.flip(Effect.flatten(drive(runRollout({ maxSurge: units(5) }), { maxSteps: 5000 })))
      expect({ ...error }).toMatchObject({ _tag: "RecordDoesNotFit", group: "web", tags: 27, needed: 24 })
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("the same group with 26 of the owner's tags rolls every wave without AWS refusing a tag", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 60, desiredCapacity: 26, tags: ownTags(26) })
      const result = yield* Effect.flatten(drive(runRollout({ maxSurge: units(5) }), { maxSteps: 5000 }))
      expect(result.status).toBe("succeeded")
      expect(yield* Effect.map((yield* FakeWorld).calls, (calls) => calls.filter((c) => c.failed))).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a group with room for exactly 50 rolls out", () =>
    Effect.gen(function*() {
      yield* webGroup({ tags: ownTags(36) })
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      expect(Object.keys((yield* group("web")).tags)).toHaveLength(36)
      expect(yield* Effect.map((yield* FakeWorld).calls, (calls) => calls.filter((c) => c.failed))).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("the record's schema", () => {
  it("encodes and decodes a record with a wave and a heartbeat, and refuses an incomplete one with why", () => {
    const r: RolloutRecord = {
      ...record(idsOf(30, 19)),
      heartbeat: { at: Date.UTC(2025, 0, 2, 3, 5, 0, 0), everySeconds: 30 },
      wave: { number: 2, base: 3, retire: idsOf(2, 19), kept: ["i-0000000000000000k1"] }
    }
    const tags = Schema.encodeSync(RolloutRecordFromTags)(r)
    expect(tags).toEqual(encodeRecord(r))
    expect(Schema.decodeUnknownSync(RolloutRecordFromTags)(tags)).toEqual(r)
    const broken = { ...tags, [`${RECORD_PREFIX}:wave`]: "0" }
    expect(() => Schema.decodeUnknownSync(RolloutRecordFromTags)(broken)).toThrow("the rollout record on the group is incomplete")
    expect(salvageRecord(broken).wave).toBe("damaged")
  })
})
