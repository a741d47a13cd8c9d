import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { cli } from "../recover/Cli.js"
import { afterCalls, rolloutKilledAt } from "../recover/Kill.js"
import { expectValid, printedValidator } from "../support/OutputSchema.js"
import { addShop, SHOP, shopState, updateStackCli } from "../support/Stacks.js"
import { webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })
const kinds = (lines: ReadonlyArray<Record<string, any>>) => new Set(lines.map((l) => l["type"]))

describe("the other commands' --output json lines match the printed schema too", () => {
  it.effect("update-stack: the stack's steps and events, then the rollout and a summary with the stack's status", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* addShop
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--output", "json"])
      expect(r.code).toBe(0)
      const lines = expectValid(validate, r.out)
      for (const kind of ["stack-step", "stack-event", "group-result", "summary"]) expect(kinds(lines)).toContain(kind)
      expect(lines.at(-1)).toMatchObject({ status: "succeeded", stackStatus: "UPDATE_COMPLETE", stackAction: "updated" })
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-2")
    }).pipe(Effect.provide(world)))

  it.effect("update-stack --dry-run: the change set's resource and parameter changes, in events and in the summary", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* addShop
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--dry-run", "--output", "json"])
      const lines = expectValid(validate, r.out)
      for (const kind of ["stack-change", "parameter-change"]) expect(kinds(lines)).toContain(kind)
      expect(lines.at(-1)).toMatchObject({ dryRun: true, parameterChanges: [{ key: "AmiId", from: "ami-1", to: "ami-2" }] })
    }).pipe(Effect.provide(world)))

  it.effect("update-stack whose stack action fails: the stack's status and exit 1", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* addShop
      yield* (yield* FakeWorld).failNextStackUpdate(SHOP, "Web", "Invalid AMI ami-2")
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--output", "json"])
      expect(r.code).toBe(1)
      const lines = expectValid(validate, r.out)
      expect(lines.at(-1)).toMatchObject({ type: "summary", status: "stack-failed", exitCode: 1, error: expect.any(String) })
    }).pipe(Effect.provide(world)))

  it.effect("status of a killed rollout, recover's decisions, resume, and status of an unknown stack (the error line)", () =>
    Effect.gen(function*() {
      const validate = yield* printedValidator
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const status = expectValid(validate, (yield* cli("status", ["shop", "--output", "json"])).out)
      expect(status.at(-1)).toMatchObject({ type: "status", groups: [{ state: "in-rollout", phase: "scaling-out" }] })
      const recover = expectValid(validate, (yield* cli("recover", ["shop", "--force", "--output", "json"])).out)
      expect(recover.at(-1)).toMatchObject({ type: "summary", command: "recover", decisions: [{ group: "web", action: "rollback" }] })
      const resume = expectValid(validate, (yield* cli("resume", ["shop", "--output", "json"])).out)
      expect(resume.at(-1)).toMatchObject({ type: "summary", command: "resume", groups: [{ name: "web", state: "clean" }] })
      const missing = yield* cli("status", ["no-such-stack", "--output", "json"])
      expect(missing.code).toBe(2)
      expect(expectValid(validate, missing.out)).toMatchObject([{ type: "error", exitCode: 2 }])
    }).pipe(Effect.provide(world)))
})
