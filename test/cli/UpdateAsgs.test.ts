import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { makeRecover } from "../../src/cli/Recover.js"
import { makeResume } from "../../src/cli/Resume.js"
import { makeStatus } from "../../src/cli/Status.js"
import { makeUpdateAsgs } from "../../src/cli/UpdateAsgs.js"
import { makeUpdateStack } from "../../src/cli/UpdateStack.js"
import { fromContext, runCommand } from "../support/RunCommand.js"
import { LT, mutatingCalls, webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })
const command = makeUpdateAsgs(fromContext)

const cli = (args: ReadonlyArray<string>) => runCommand(command, "update-asgs", args)

describe("update-asgs CLI", () => {
  it.effect("--output json prints NDJSON events ending with the summary, exit 0", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli(["shop", "--output", "json", "--region", "eu-west-1"])
      expect(r.code).toBe(0)
      const lines = r.out.map((l) => JSON.parse(l) as { type: string })
      expect(lines.every((l) => typeof l.type === "string")).toBe(true)
      const summary = lines.at(-1) as any
      expect(summary).toMatchObject({ type: "summary", status: "succeeded", stack: "shop" })
      expect(summary.groups).toHaveLength(1)
      expect(summary.groups[0]).toMatchObject({ name: "web", status: "succeeded" })
      expect(summary.groups[0].launched).toHaveLength(2)
      expect(summary.groups[0].terminated).toHaveLength(2)
    }).pipe(Effect.provide(world)))

  it.effect("a timeout exits 3, prints the resume command, and says the processes stay suspended", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const r = yield* cli(["shop", "--healthy-timeout", "120", "--region", "eu-west-1"])
      expect(r.code).toBe(3)
      const text = r.out.join("\n")
      expect(text).toContain("Summary: stack shop: rolled-back (exit 3)")
      expect(text).toContain("aws autoscaling resume-processes --region eu-west-1 --auto-scaling-group-name web --scaling-processes")
      expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ web suspend: /m)
    }).pipe(Effect.provide(world)))

  it.effect("--output json gives a non-success group its typed cause: _tag and fields, in the result event and the summary", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const r = yield* cli(["shop", "--healthy-timeout", "120", "--output", "json", "--region", "eu-west-1"])
      expect(r.code).toBe(3)
      const lines = r.out.map((l) => JSON.parse(l) as Record<string, any>)
      const cause = { _tag: "HealthTimeout", group: "web", healthy: 0, needed: 2, seconds: 120, short: [] }
      expect(lines.find((l) => l["type"] === "group-result")?.["cause"]).toEqual(cause)
      expect(lines.at(-1)?.["groups"][0]).toMatchObject({ status: "rolled-back", reason: "timed out after 120 s with 0 of 2 new healthy", cause })
    }).pipe(Effect.provide(world)))

  it.effect("an UpdatePolicy exits 2 with one line naming the group, and changes nothing", () =>
    Effect.gen(function*() {
      yield* webGroup({}, { updatePolicy: { AutoScalingReplacingUpdate: { WillReplace: true } } })
      const r = yield* cli(["shop", "--region", "eu-west-1"])
      expect(r.code).toBe(2)
      expect(r.err).toHaveLength(1)
      expect(r.err[0]).toContain("group web (Web) has an UpdatePolicy (AutoScalingReplacingUpdate)")
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a non-positive --healthy-timeout exits 2 before any call", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli(["shop", "--healthy-timeout", "0", "--region", "eu-west-1"])
      expect(r.code).toBe(2)
      expect(r.err[0]).toContain("--healthy-timeout must be a positive number of seconds")
      expect((yield* (yield* FakeWorld).calls)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--call-timeout takes a number of seconds, fractions included, and the run goes on", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli(["shop", "--call-timeout", "2.5", "--region", "eu-west-1"])
      expect(r.code).toBe(0)
      expect(r.err).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect.each(["0", "-5", "abc", "1e3", "0x10"])("--call-timeout %j exits 2 with one line before any call", (value) =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli(["shop", `--call-timeout=${value}`, "--region", "eu-west-1"])
      expect(r.code).toBe(2)
      expect(r.err).toEqual([`error: --call-timeout must be a positive number of seconds, got "${value}"`])
      expect(yield* (yield* FakeWorld).calls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect.each([
    ["status", makeStatus(fromContext), ["shop"]],
    ["recover", makeRecover(fromContext), ["shop"]],
    ["resume", makeResume(fromContext), ["shop"]],
    ["update-stack", makeUpdateStack(fromContext), ["shop", "--no-asgs"]]
  ] as const)("%s takes --call-timeout too and refuses a bad one with exit 2", ([name, command, args]) =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* runCommand(command, name, [...args, "--call-timeout", "zero", "--region", "eu-west-1"])
      expect(r.code).toBe(2)
      expect(r.err.join("\n")).toContain(`--call-timeout must be a positive number of seconds, got "zero"`)
      expect(yield* (yield* FakeWorld).calls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect.each([
    [["--max-surge", "0"], "--max-surge must be a positive whole number of capacity units or a percentage from 1% to 100%, got \"0\""],
    [["--max-surge", "150%"], "--max-surge must be a positive whole number of capacity units or a percentage from 1% to 100%, got \"150%\""],
    [["--max-surge", "2.5"], "--max-surge must be a positive whole number of capacity units or a percentage from 1% to 100%, got \"2.5\""],
    [["--canary", "one"], "--canary must be a positive whole number of capacity units or a percentage from 1% to 100%, got \"one\""],
    [["--bake", "-1"], "--bake must be a whole number of seconds, 0 or more, got -1"],
    [["--alarm", " "], "--alarm needs the name of a CloudWatch alarm"]
  ] as const)("strategy flags %j are checked before any call: exit 2, one line", ([flags, line]) =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli(["shop", ...flags, "--region", "eu-west-1"])
      expect(r.code).toBe(2)
      expect(r.err).toEqual([`error: ${line}`])
      expect(yield* (yield* FakeWorld).calls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("update-stack checks the alarms before the stack action: one already in ALARM exits 2 and nothing changes", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).putAlarm("web-5xx", "ALARM", "on fire")
      const r = yield* runCommand(makeUpdateStack(fromContext), "update-stack", ["shop", "--alarm", "web-5xx", "--region", "eu-west-1"])
      expect(r.code).toBe(2)
      expect(r.err).toEqual(["error: alarm web-5xx is already in ALARM (on fire): a rollout gated by it could only roll back; nothing was changed"])
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))
})
