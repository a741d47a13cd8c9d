import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { cli } from "../recover/Cli.js"
import { addMall, MALL, mallTemplate, nestedStackName, parentTemplate, putMallTemplates, putTemplate, tier, WEB_URL, webWithPolicy } from "../support/Nested.js"
import { mutating, templateFile, updateStackCli } from "../support/Stacks.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const stackEvents = (lines: ReadonlyArray<Record<string, any>>) => lines.filter((l) => l["type"] === "stack-event")
const groupNames = Effect.gen(function*() {
  const snap = yield* (yield* FakeWorld).snapshot
  return snap.groups.map((g) => g.name).sort()
})

describe("update-stack and the rollout with nested stacks", () => {
  it.effect("follows every nested stack's events, each once, oldest first, with its path; then rolls the nested groups", () =>
    Effect.gen(function*() {
      yield* addMall
      const r = yield* updateStackCli([MALL, "AmiId=ami-2", "--output", "json", "--region", "eu-west-1"])
      expect(r.code).toBe(0)
      const events = stackEvents(r.lines)
      const stacks = [...new Set(events.map((e) => e["stack"]))]
      expect(stacks.sort()).toEqual(["mall", "mall/Back", "mall/Back/Jobs", "mall/Web"])
      // Each once.
      const keys = events.map((e) => `${e["stack"]} ${e["logicalId"]} ${e["status"]} ${e["timestamp"]}`)
      expect(new Set(keys).size).toBe(keys.length)
      // Oldest first, the root's own final event last.
      const times = events.map((e) => e["timestamp"] as number)
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expect(events.at(-1)).toMatchObject({ stack: "mall", logicalId: "mall", status: "UPDATE_COMPLETE" })
      // The nested stack's own events sit between its parent's two events about it.
      const at = (stack: string, logicalId: string, status: string) =>
        events.find((e) => e["stack"] === stack && e["logicalId"] === logicalId && e["status"] === status)!["timestamp"] as number
      const jobs = events.filter((e) => e["stack"] === "mall/Back/Jobs")
      expect(jobs.map((e) => `${e["logicalId"]} ${e["status"]}`)).toContain("Workers UPDATE_COMPLETE")
      expect(jobs.every((e) => e["timestamp"] > at("mall/Back", "Jobs", "UPDATE_IN_PROGRESS") && e["timestamp"] < at("mall/Back", "Jobs", "UPDATE_COMPLETE"))).toBe(true)
      // The groups of both nested stacks are rolled.
      expect(r.summary).toMatchObject({ status: "succeeded" })
      const rolled = (r.summary!["groups"] as ReadonlyArray<{ name: string; status: string }>).map((g) => `${g.name} ${g.status}`).sort()
      expect(rolled).toEqual((yield* groupNames).map((n) => `${n} succeeded`))
      expect(rolled).toHaveLength(2)
    }).pipe(Effect.provide(world)))

  it.effect("creating a stack with nested stacks shows their events with their paths and rolls nothing new", () =>
    Effect.gen(function*() {
      yield* putMallTemplates
      const r = yield* updateStackCli([MALL, "--template", templateFile("mall.yaml", mallTemplate), "AmiId=ami-1", "--region", "eu-west-1"])
      expect(r.code).toBe(0)
      const text = r.out.join("\n")
      expect(text).toMatch(/ mall\/Back\/Jobs CREATE_COMPLETE Workers AWS::AutoScaling::AutoScalingGroup/)
      expect(text).toMatch(/ mall CREATE_IN_PROGRESS Web AWS::CloudFormation::Stack: Resource creation Initiated/)
      expect(text).toContain("Summary: stack mall: up-to-date")
    }).pipe(Effect.provide(world)))

  it.effect("--dry-run shows the nested stacks' change sets under their paths and changes nothing", () =>
    Effect.gen(function*() {
      yield* addMall
      const r = yield* updateStackCli([MALL, "AmiId=ami-2", "--dry-run", "--output", "json", "--region", "eu-west-1"])
      expect(r.code, JSON.stringify(r.lines.at(-1))).toBe(0)
      const changes = r.lines.filter((l) => l["type"] === "stack-change").map((l) => `${l["action"]} ${l["logicalId"]}`)
      expect(changes).toEqual([
        "Modify Web",
        "Modify Web/Template",
        "Modify Web/Group",
        "Modify Back",
        "Modify Back/Jobs",
        "Modify Back/Jobs/Template",
        "Modify Back/Jobs/Workers"
      ])
      expect(yield* mutating).toEqual(["CreateChangeSet", "DeleteChangeSet"])
      // The nested change sets went with the root's: a second dry run can make them again.
      const again = yield* updateStackCli([MALL, "AmiId=ami-2", "--dry-run", "--region", "eu-west-1"])
      expect(again.code).toBe(0)
    }).pipe(Effect.provide(world)))

  it.effect("a failure deep in a nested stack: exit 1, the nested cause with its path beside the root's status, no group touched", () =>
    Effect.gen(function*() {
      yield* addMall
      const jobs = yield* nestedStackName(yield* nestedStackName(MALL, "Back"), "Jobs")
      yield* (yield* FakeWorld).failNextStackUpdate(jobs, "Workers", "Invalid AMI ami-2")
      const r = yield* updateStackCli([MALL, "AmiId=ami-2", "--output", "json", "--region", "eu-west-1"])
      expect(r.code).toBe(1)
      expect(r.summary).toMatchObject({ status: "stack-failed", stackStatus: "UPDATE_ROLLBACK_COMPLETE" })
      expect(r.summary!["error"]).toBe("stack mall ended UPDATE_ROLLBACK_COMPLETE: Back/Jobs/Workers: Invalid AMI ami-2")
      const ops = yield* mutating
      expect(ops.filter((o) => o !== "UpdateStack")).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("update-asgs on the parent finds the nested groups; --asg takes a path, a unique logical id or a name", () =>
    Effect.gen(function*() {
      yield* addMall
      const names = yield* groupNames
      const all = yield* cli("update-asgs", [MALL, "--replace-all", "--output", "json"])
      expect(all.code).toBe(0)
      const summary = JSON.parse(all.out.at(-1)!) as { groups: ReadonlyArray<{ name: string; status: string }> }
      expect(summary.groups.map((g) => g.name).sort()).toEqual(names)
      for (const pick of ["Web/Group", "mall/Web/Group", "Group", names.find((n) => n.includes("-Web-"))!]) {
        const one = yield* cli("update-asgs", [MALL, "--asg", pick, "--replace-all", "--output", "json"])
        expect(one.code).toBe(0)
        const s = JSON.parse(one.out.at(-1)!) as { groups: ReadonlyArray<{ name: string }> }
        expect(s.groups.map((g) => g.name)).toEqual([names.find((n) => n.includes("-Web-"))])
      }
      const status = yield* cli("status", [MALL])
      expect(status.out.join("\n")).toContain("(Back/Jobs/Workers)")
    }).pipe(Effect.provide(world)))

  it.effect("an unknown or ambiguous --asg is refused with the groups' paths, exit 2, nothing changed", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* putTemplate(WEB_URL, webTemplateTwice)
      yield* putTemplate("https://s3.amazonaws.com/mall-templates/web2.yaml", webTemplateTwice)
      yield* w.addStack({ name: "twins", templateBody: parentTemplate({ A: WEB_URL, B: "https://s3.amazonaws.com/mall-templates/web2.yaml" }), parameters: { AmiId: "ami-1" } })
      const ambiguous = yield* cli("update-asgs", ["twins", "--asg", "Group"])
      expect(ambiguous.code).toBe(2)
      expect(ambiguous.err.join("\n")).toMatch(/stack twins has more than one Auto Scaling group Group: twins-A-\S+ \(A\/Group\), twins-B-\S+ \(B\/Group\); name one by its path or name/)
      const unknown = yield* cli("update-asgs", ["twins", "--asg", "C/Group"])
      expect(unknown.code).toBe(2)
      expect(unknown.err.join("\n")).toContain("stack twins has no Auto Scaling group C/Group; its groups: ")
      expect(yield* mutating).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("an UpdatePolicy in a nested template refuses the rollout before any change, naming the group's path", () =>
    Effect.gen(function*() {
      yield* addMall
      const w = yield* FakeWorld
      yield* putTemplate("https://s3.amazonaws.com/mall-templates/web-policy.yaml", webWithPolicy)
      yield* w.addStack({ name: "strict", templateBody: parentTemplate({ Web: "https://s3.amazonaws.com/mall-templates/web-policy.yaml" }), parameters: { AmiId: "ami-1" } })
      const before = (yield* mutating).length
      const r = yield* cli("update-asgs", ["strict"])
      expect(r.code).toBe(2)
      expect(r.err.join("\n")).toContain("(Web/Group) has an UpdatePolicy (AutoScalingRollingUpdate)")
      // update-stack refuses it before its stack action too.
      const s = yield* updateStackCli(["strict", "AmiId=ami-2", "--region", "eu-west-1"])
      expect(s.code).toBe(2)
      expect((yield* mutating).length).toBe(before)
    }).pipe(Effect.provide(world)))
})

/** A tier whose group has the same logical id as the web tier's. */
const webTemplateTwice = tier("Group", 1)
