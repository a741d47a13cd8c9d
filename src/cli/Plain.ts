import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import { Reporter, type ResumeSummary, type StatusLine } from "../program/Events.js"
import { describeFailure } from "./Failures.js"
import { jsonLine, makeRenderer, type OutputMode } from "./Render.js"
import { ExitStatus } from "./Run.js"

export interface PlainOutput {
  readonly text: ReadonlyArray<string>
  /** The one JSON object printed last in --output json; `exitCode` is added to it. */
  readonly json: Omit<typeof StatusLine.Type, "exitCode"> | Omit<typeof ResumeSummary.Type, "exitCode">
}

/**
 * For the commands that report a state rather than a rollout (status, resume): events as update-asgs prints them,
 * then one text block or one JSON object, and an expected failure as one line with its documented exit code.
 */
export const runPlain = <A, E, R>(
  mode: OutputMode,
  program: Effect.Effect<A, E, R>,
  render: (a: A) => PlainOutput
): Effect.Effect<void, never, Exclude<R, Reporter> | ExitStatus> =>
  Effect.gen(function*() {
    const exitStatus = yield* ExitStatus
    const renderer = yield* makeRenderer(mode)
    const exit = yield* Effect.exit(Effect.provideService(program, Reporter, { emit: renderer.emit }))
    if (Exit.isSuccess(exit)) {
      const out = render(exit.value)
      yield* mode === "json" ? Console.log(jsonLine({ ...out.json, exitCode: 0 })) : Console.log(out.text.join("\n"))
      return yield* Ref.set(exitStatus, 0)
    }
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") {
      const { code, line } = describeFailure(failure.value)
      yield* mode === "json" ? Console.log(jsonLine({ type: "error", error: line, exitCode: code })) : Console.error(`error: ${line}`)
      return yield* Ref.set(exitStatus, code)
    }
    return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
  })
