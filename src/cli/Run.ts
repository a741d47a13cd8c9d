import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Ref from "effect/Ref"
import { Reporter } from "../program/Events.js"
import { withThrottleGate } from "../services/ThrottleGate.js"
import type { GroupResult, RunStatus, SummaryExtra } from "../program/Events.js"
import { exitCodeOf, ExitCode } from "./ExitCodes.js"
import { describeFailure } from "./Failures.js"
import { makeRenderer, type OutputMode, renderSummary } from "./Render.js"

/** The process exit code a command handler decided; the entry point reads it once the program ends. */
export class ExitStatus extends Context.Tag("aws-ha-updater/ExitStatus")<ExitStatus, Ref.Ref<number>>() {}

export interface RunOutcome {
  readonly status: RunStatus
  readonly groups: ReadonlyArray<GroupResult>
  readonly notAttempted?: ReadonlyArray<string>
  /** Fields added to the JSON summary (update-stack's stackStatus, ...). */
  readonly extra?: SummaryExtra
  /** Overrides the exit code derived from `status` (update-stack's exit 1). */
  readonly exitCode?: number
  readonly error?: string
  /** Extra lines of the text summary (update-stack's stack status, failure reasons, ...). */
  readonly notes?: ReadonlyArray<string>
}

/**
 * Runs a command's program with the renderer as its Reporter, then prints the summary and records the exit code —
 * also after an expected failure (one line) and after an interruption (the roll-back has run by then).
 */
export const runReported = <E, R>(
  settings: { readonly mode: OutputMode; readonly stack: string; readonly region: string },
  program: Effect.Effect<RunOutcome, E, R>
): Effect.Effect<void, never, R | ExitStatus> =>
  Effect.gen(function*() {
    const exitStatus = yield* ExitStatus
    const renderer = yield* makeRenderer(settings.mode)
    const finish = (outcome: RunOutcome) =>
      Effect.gen(function*() {
        const code = outcome.exitCode ?? exitCodeOf(outcome.status)
        yield* renderSummary(settings.mode, {
          ...outcome,
          stack: settings.stack,
          region: settings.region,
          exitCode: code
        })
        yield* Ref.set(exitStatus, code)
      })
    const exit = yield* program.pipe(
      withThrottleGate,
      Effect.provideService(Reporter, { emit: renderer.emit }),
      // The live lines go before anything else is printed: the error line, the summary.
      Effect.ensuring(renderer.close),
      Effect.onInterrupt(() =>
        Effect.flatMap(renderer.results, (groups) => finish({ status: "interrupted", groups, exitCode: ExitCode.interrupted }))
      ),
      Effect.exit
    )
    if (Exit.isSuccess(exit)) return yield* finish(exit.value)
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") {
      const { code, line } = describeFailure(failure.value)
      if (settings.mode === "text") yield* Console.error(`error: ${line}`)
      const groups = yield* renderer.results
      return yield* finish({ status: "failed", groups, exitCode: code, error: line })
    }
    if (Cause.isInterruptedOnly(exit.cause)) return
    return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
  })
