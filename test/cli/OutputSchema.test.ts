import * as CliCommand from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Ajv } from "ajv"
import { execFile } from "node:child_process"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { outputSchemaDocument } from "../../src/cli/OutputSchema.js"
import { jsonLine } from "../../src/cli/Render.js"
import { ExitStatus } from "../../src/cli/Run.js"
import { makeUpdateAsgs } from "../../src/cli/UpdateAsgs.js"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { OutputLine } from "../../src/program/Events.js"
import { HealthTimeout } from "../../src/program/rollout/RolloutErrors.js"
import { captureConsole } from "../support/CaptureConsole.js"
import { expectValid, printedValidator } from "../support/OutputSchema.js"
import { fromContext, runCommand } from "../support/RunCommand.js"
import { drive, group, LT, webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })
const updateAsgs = makeUpdateAsgs(fromContext)
const json = ["shop", "--output", "json", "--region", "eu-west-1"]

/** update-asgs forked as the binary runs it, so that the test can interrupt it as Ctrl-C does. */
const forkUpdateAsgs = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const capture = captureConsole()
    const code = yield* Ref.make(-1)
    const run = CliCommand.run(updateAsgs, { name: "update-asgs", version: "test" })(["node", "update-asgs", ...argv]).pipe(
      Effect.provideService(ExitStatus, code),
      Effect.withConsole(capture.console),
      Effect.provide(NodeContext.layer)
    ) as unknown as Effect.Effect<void, unknown, FakeWorld>
    const fiber = yield* Effect.fork(run)
    return { fiber, out: capture.out, code }
  })

describe("every --output json line matches the schema that aws-ha-updater schema prints", () => {
  it.effect("a rollout that succeeds: steps, progress, the group's result and the summary", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* webGroup()
      const r = yield* runCommand(updateAsgs, "update-asgs", json)
      expect(r.code).toBe(0)
      const lines = expectValid(validate, r.out)
      expect(new Set(lines.map((l) => l["type"]))).toEqual(new Set(["step", "progress", "group-result", "summary"]))
      expect(lines.at(-1)).toMatchObject({ type: "summary", status: "succeeded", exitCode: 0 })
      const serving = (yield* group("web")).instances.filter((i) => i.lifecycleState === "InService").map((i) => i.instanceId)
      expect(serving.sort()).toEqual([...lines.at(-1)!["groups"][0].launched].sort())
    }).pipe(Effect.provide(world)))

  it.effect("a rollout rolled back on a health timeout: its typed cause, in the result and the summary", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const r = yield* runCommand(updateAsgs, "update-asgs", [...json, "--healthy-timeout", "120"])
      expect(r.code).toBe(3)
      const lines = expectValid(validate, r.out)
      const cause = { _tag: "HealthTimeout", group: "web", healthy: 0, needed: 2, seconds: 120, short: [] }
      expect(lines.find((l) => l["type"] === "group-result")).toMatchObject({ status: "rolled-back", cause })
      expect(lines.at(-1)).toMatchObject({ type: "summary", status: "rolled-back", exitCode: 3, groups: [{ cause, resumeCommand: expect.any(String) }] })
      // The same lines decode back to the typed errors.
      const summary = Schema.decodeUnknownSync(OutputLine)(lines.at(-1))
      expect(summary.type === "summary" && "status" in summary && summary.groups[0]?.cause).toBeInstanceOf(HealthTimeout)
    }).pipe(Effect.provide(world)))

  it.effect("a rollout interrupted while it waits (Ctrl-C): rolled back, the interruption as the cause, exit 130", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* webGroup()
      const { fiber, out, code } = yield* forkUpdateAsgs(json)
      for (let i = 0; i < 300 && !out.some((l) => l.includes(`"progress"`)); i++) yield* TestClock.adjust("1 second")
      yield* Fiber.interruptFork(fiber)
      yield* drive(Fiber.await(fiber))
      expect(yield* Ref.get(code)).toBe(130)
      const lines = expectValid(validate, out)
      const cause = { _tag: "RolloutInterrupted", group: "web" }
      expect(lines.find((l) => l["type"] === "group-result")).toMatchObject({ status: "interrupted", cause })
      expect(lines.at(-1)).toMatchObject({ type: "summary", status: "interrupted", exitCode: 130, groups: [{ status: "interrupted", cause }] })
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
    }).pipe(Effect.provide(world)))

  it.effect("refuses a line that leaves out a field, adds one, or carries an unknown cause", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      const result = { name: "web", status: "rolled-back", launched: [], terminated: [], leftSuspended: [] }
      const cause = { _tag: "HealthTimeout", group: "web", healthy: 0, needed: 2, seconds: 120, short: [] }
      const { group: _, ...causeWithoutGroup } = cause
      const good = { type: "group-result", at: 0, ...result, cause }
      expect(validate(good)).toBe(true)
      expect(validate({ ...good, cause: causeWithoutGroup })).toBe(false)
      expect(validate({ ...good, cause: { ...cause, _tag: "SomethingElse" } })).toBe(false)
      expect(validate({ ...good, color: "red" })).toBe(false)
      expect(validate({ type: "summary", status: "succeeded", stack: "shop", groups: [] })).toBe(false)
      expect(validate({ type: "summary", status: "succeeded", stack: "shop", groups: [], exitCode: 0 })).toBe(true)
      expect(validate({ type: "progress", at: 0, group: "web", oldCount: 2, newCount: 1, healthy: 0, needed: 2 })).toBe(false)
      // A value the schema refuses is never printed as it is: the writer says so in a line that is itself valid.
      const refused = jsonLine({ type: "step", at: 5, group: "web", step: "no-such-step" as "wait", message: "m" })
      expect(JSON.parse(refused)).toMatchObject({ type: "warning", at: 5, message: expect.stringContaining("a step line did not match the output schema") })
      expect(validate(JSON.parse(refused))).toBe(true)
    }).pipe(Effect.provide(world)))
})

describe("aws-ha-updater schema, the built binary", () => {
  it.effect("prints, exit 0, a JSON document that a validator compiles: the schema the lines are encoded with", () =>
    Effect.gen(function*() {
      const { code, stdout } = yield* Effect.async<{ code: number; stdout: string }>((resume) => {
        execFile(process.execPath, ["dist/bin/aws-ha-updater.js", "schema"], (error, stdout) =>
          resume(Effect.succeed({ code: error === null ? 0 : Number(error.code), stdout })))
      })
      expect(code).toBe(0)
      const document = JSON.parse(stdout) as Record<string, unknown>
      expect(document).toEqual(yield* outputSchemaDocument)
      expect(stdout).toBe(`${JSON.stringify(document, null, 2)}\n`)
      const validate = new Ajv({ strict: true }).compile(document)
      expect(validate({ type: "error", error: "stack shop does not exist", exitCode: 2 })).toBe(true)
      expect(validate({ type: "error", exitCode: 2 })).toBe(false)
    }), 60_000)
})
