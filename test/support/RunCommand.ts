import type * as Command from "@effect/cli/Command"
import * as CliCommand from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { processExit } from "../../src/cli/Main.js"
import { ExitStatus } from "../../src/cli/Run.js"
import type { AwsProvider } from "../../src/cli/UpdateAsgs.js"
import { captureConsole } from "./CaptureConsole.js"
import { drive } from "./World.js"

/** The fake world is already in the test's context: a command made with this uses it as its AWS. */
export const fromContext = ((program: Effect.Effect<unknown, unknown, unknown>) => program) as unknown as AwsProvider

/** Runs `NAME ARGS` as the binary would, on the TestClock: its exit code and what it printed. */
export const runCommand = (
  command: Command.Command<any, any, any, any>,
  name: string,
  argv: ReadonlyArray<string>,
  step: Duration.DurationInput = "5 seconds"
) =>
  Effect.gen(function*() {
    const capture = captureConsole()
    const code = yield* Ref.make(-1)
    const run = CliCommand.run(command, { name, version: "test" })(["node", name, ...argv]).pipe(
      Effect.provideService(ExitStatus, code),
      Effect.withConsole(capture.console),
      Effect.provide(NodeContext.layer)
    ) as unknown as Effect.Effect<void, unknown, FakeWorld>
    const exit = yield* drive(run, { step })
    // What the binary's runCli does once the command ends: a failure the handler did not report gets its line and code.
    const ended = processExit(exit, yield* Ref.get(code))
    return { exit, code: ended.code, out: capture.out, err: ended.line === undefined ? capture.err : [...capture.err, ended.line] }
  })
