import { describe, expect, it } from "@effect/vitest"
import { decide, readRecord, type Recoverable, rollbackIsSafe, rolloutView } from "../../src/program/recover/RecoverView.js"
import { encodeRecord, RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import type { AsgInstance, AutoScalingGroup } from "../../src/services/AutoScaling.js"

const instance = (instanceId: string, fields: Partial<AsgInstance> = {}): AsgInstance => ({
  instanceId,
  lifecycleState: "InService",
  healthStatus: "Healthy",
  availabilityZone: "eu-west-1a",
  protectedFromScaleIn: false,
  weightedCapacity: 1,
  ...fields
})

const groupOf = (instances: ReadonlyArray<AsgInstance>, tags: Readonly<Record<string, string>> = {}): AutoScalingGroup => ({
  name: "web",
  minSize: 4,
  maxSize: 8,
  desiredCapacity: 4,
  loadBalancerNames: [],
  targetGroupArns: [],
  instances,
  suspendedProcesses: [],
  tags,
  healthCheckType: "EC2"
})

const tags = encodeRecord({
  id: "r-1",
  stack: "shop",
  phase: "waiting",
  startedAt: 1_000,
  sizes: { minSize: 2, maxSize: 4, desiredCapacity: 2 },
  needed: 2,
  ours: ["AZRebalance"],
  oldIds: ["o1", "o2"]
})
const without = (...names: ReadonlyArray<string>) =>
  Object.fromEntries(Object.entries(tags).filter(([k]) => !names.includes(k.slice(RECORD_PREFIX.length + 1))))

describe("reading the record for recover", () => {
  it("a whole record as it is; none without one", () => {
    expect(readRecord(groupOf([]))).toEqual({ _tag: "None" })
    expect(readRecord(groupOf([], tags))).toMatchObject({ _tag: "Readable", record: { phase: "waiting", needed: 2, oldIds: ["o1", "o2"] } })
  })

  it("a damaged one with stand-ins: the current sizes while suspending, the old instances' running capacity, no process", () => {
    const g = groupOf([instance("o1", { weightedCapacity: 2 }), instance("o2", { lifecycleState: "Terminating" }), instance("n1")], without("sizes", "needed", "ours", "id"))
    const damaged = { ...g, tags: { ...g.tags, [`${RECORD_PREFIX}:phase`]: "suspending" } }
    const reading = readRecord(damaged)
    expect(reading).toMatchObject({
      _tag: "Readable",
      record: { phase: "suspending", sizes: { minSize: 4, maxSize: 8, desiredCapacity: 4 }, needed: 2, ours: [], oldIds: ["o1", "o2"] }
    })
    expect(reading._tag === "Readable" && reading.record.damaged).toBe("the rollout record on the group is incomplete")
    const unknownPhase = readRecord(groupOf([], without("phase", "id")))
    expect(unknownPhase).toMatchObject({ _tag: "Readable", record: { phase: "unknown", sizes: { minSize: 2, maxSize: 4, desiredCapacity: 2 } } })
  })

  it("refuses what would have to be guessed: the old ids, or the sizes once the scale-out may have run", () => {
    expect(readRecord(groupOf([], without("old-0")))).toMatchObject({ _tag: "Unreadable", what: expect.stringContaining("old instance ids") })
    expect(readRecord(groupOf([], without("sizes")))).toEqual({
      _tag: "Unreadable",
      what: "the original sizes (tag aws-ha-updater:rollout:sizes) are unreadable",
      check: "check the group's min, max and desired capacity against what it had before the rollout, then delete the group's aws-ha-updater:rollout:* tags"
    })
  })
})

describe("reading the record of a rollout in waves", () => {
  const wave = { number: 2, base: 4, retire: ["o3", "o4"], kept: ["n1", "n2"] }
  const waveTags = encodeRecord({
    id: "r-1",
    stack: "shop",
    phase: "waiting",
    startedAt: 1_000,
    sizes: { minSize: 2, maxSize: 4, desiredCapacity: 4 },
    needed: 2,
    ours: ["AZRebalance"],
    oldIds: ["o1", "o2", "o3", "o4"],
    wave
  })
  const withoutWave = (name: string) => Object.fromEntries(Object.entries(waveTags).filter(([k]) => k !== `${RECORD_PREFIX}:${name}`))

  it("a damaged one keeps its wave, so that recover finishes or undoes that wave only", () => {
    expect(readRecord(groupOf([], withoutWave("id")))).toMatchObject({ _tag: "Readable", record: { wave, damaged: expect.any(String) } })
    const noWave = readRecord(groupOf([], without("id")))
    expect(noWave._tag === "Readable" && "wave" in noWave.record).toBe(false)
  })

  it("one whose wave is incomplete is refused, saying what to check", () => {
    expect(readRecord(groupOf([], withoutWave("retire-0")))).toEqual({
      _tag: "Unreadable",
      what: "the current wave (tags aws-ha-updater:rollout:wave, base, retire-* and kept-*) is incomplete",
      check: "check by hand which new instances serve, terminate as many old ones as serve in their place, restore min/max/desired, then delete the group's aws-ha-updater:rollout:* tags"
    })
  })
})

describe("where the rollout stands", () => {
  const record: Recoverable = {
    phase: "waiting",
    startedAt: 0,
    sizes: { minSize: 2, maxSize: 4, desiredCapacity: 2 },
    needed: 2,
    ours: [],
    oldIds: ["o1", "o2", "o3"]
  }

  it("old and new instances still there, old running capacity, new capacity healthy", () => {
    const g = groupOf([
      instance("o1", { weightedCapacity: 2 }),
      instance("o2", { lifecycleState: "Standby" }),
      instance("o3", { lifecycleState: "Terminating" }),
      instance("n1", { weightedCapacity: 3 }),
      instance("n2", { lifecycleState: "Pending" }),
      instance("n3", { lifecycleState: "Terminated" }),
      instance("n4", { lifecycleState: "Detaching" })
    ])
    expect(rolloutView(g, record, { classic: {}, targetGroups: {} })).toEqual({
      oldIds: ["o1", "o2"],
      newIds: ["n1", "n2"],
      oldCapacity: 2,
      healthy: 3,
      needed: 2
    })
  })

  it("rolling back is safe while the old capacity is all there, or while no new capacity serves", () => {
    const v = { oldIds: [], newIds: [], needed: 2 }
    expect(rollbackIsSafe({ ...v, oldCapacity: 2, healthy: 2 })).toBe(true)
    expect(rollbackIsSafe({ ...v, oldCapacity: 1, healthy: 0 })).toBe(true)
    expect(rollbackIsSafe({ ...v, oldCapacity: 1, healthy: 1 })).toBe(false)
  })
})

describe("auto's choice at the boundaries", () => {
  const view = (o: { oldCapacity: number; healthy: number }) => ({ oldIds: [], newIds: [], needed: 2, ...o })

  it("completes once exactly the needed capacity is healthy, whatever the phase", () => {
    expect(decide("auto", view({ oldCapacity: 2, healthy: 2 }), "waiting")).toMatchObject({ action: "complete", why: expect.stringContaining("already healthy") })
    expect(decide("auto", view({ oldCapacity: 2, healthy: 1 }), "waiting")).toMatchObject({ action: "rollback", why: expect.stringContaining("the old ones all still run") })
    expect(decide("auto", view({ oldCapacity: 1, healthy: 0 }), "waiting")).toMatchObject({ action: "rollback", why: expect.stringContaining("none of the new ones serves yet") })
  })

  it("completes what was retiring its old instances in every committing phase, and in an unknown one", () => {
    for (const phase of ["terminating-old", "restoring", "unknown"] as const) {
      expect(decide("auto", view({ oldCapacity: 1, healthy: 0 }), phase)).toMatchObject({ action: "complete", why: expect.stringContaining(`phase ${phase}`) })
    }
    expect(decide("auto", view({ oldCapacity: 1, healthy: 1 }), "waiting")).toMatchObject({ action: "complete", why: expect.stringContaining("old instances are missing") })
  })

  it("an explicit mode is obeyed, and says so with the counts", () => {
    expect(decide("complete", view({ oldCapacity: 2, healthy: 0 }), "waiting")).toEqual({
      action: "complete",
      why: "--mode complete (0 of 2 new capacity healthy, 2 old capacity still running)"
    })
  })
})
