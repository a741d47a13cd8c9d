import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { RolloutEvent } from "./events/RolloutEvents.js"
import { ErrorLine, ResumeSummary, StatusLine, Summary } from "./events/Summaries.js"

export * from "./events/Cause.js"
export * from "./events/RolloutEvents.js"
export * from "./events/Summaries.js"

/** Where the rollout reports what it does; the CLI renders it, a library user may collect it. Silent by default. */
export class Reporter extends Context.Reference<Reporter>()("aws-ha-updater/Reporter", {
  defaultValue: () => ({ emit: (_event: RolloutEvent): Effect.Effect<void> => Effect.void })
}) {}

/**
 * One line of `--output json`: an event as the run goes, then a summary (or status's one line, or an error).
 * `aws-ha-updater schema` prints this as a JSON Schema.
 */
export const OutputLine = Schema.Union(
  ...RolloutEvent.members,
  Summary,
  ResumeSummary,
  StatusLine,
  ErrorLine
).annotations({
  title: "aws-ha-updater --output json line",
  description: "One NDJSON line of --output json: an event as the run goes, then the command's summary (or status's line, or an error)."
})
export type OutputLine = typeof OutputLine.Type

