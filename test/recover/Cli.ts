import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { makeRecover } from "../../src/cli/Recover.js"
import { makeResume } from "../../src/cli/Resume.js"
import { ExitStatus } from "../../src/cli/Run.js"
import { makeStatus } from "../../src/cli/Status.js"
import { type AwsProvider, makeUpdateAsgs } from "../../src/cli/UpdateAsgs.js"
import { captureConsole } from "../support/CaptureConsole.js"
import { drive } from "../support/World.js"

// The fake world is already in the test's context: the commands use it as their AWS.
const fromContext = ((program: Effect.Effect<unknown, unknown, unknown>) => program) as unknown as AwsProvider

const commands = {
  status: makeStatus(fromContext),
  recover: makeRecover(fromContext),
  resume: makeResume(fromContext),
  "update-asgs": makeUpdateAsgs(fromContext)
} as const

/** Runs `aws-ha-updater NAME ARGS` as the binary would: its exit code and what it printed. */
export const cli = (name: keyof typeof commands, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const capture = captureConsole()
    const code = yield* Ref.make(-1)
    const command = commands[name] as Command.Command<string, never, never, unknown>
    const run = Command.run(command, { name, version: "test" })(["node", name, ...args, "--region", "eu-west-1"]).pipe(
      Effect.provideService(ExitStatus, code),
      Effect.withConsole(capture.console),
      Effect.provide(NodeContext.layer)
    ) as unknown as Effect.Effect<void, unknown, FakeWorld>
    const exit = yield* drive(run, { step: "5 seconds" })
    return { exit, code: yield* Ref.get(code), out: capture.out, err: capture.err }
  })
