import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { programs } from "./Lazy.js"
import type { RecoverMode } from "../program/recover/RecoverView.js"
import { awsSettings, withCallTimeout } from "./AwsSettings.js"
import * as Opt from "./CommonOptions.js"
import { type RunOutcome, runReported } from "./Run.js"
import { positiveSeconds } from "./Flags.js"
import { type AwsProvider, liveAws, stackName } from "./UpdateAsgs.js"

const MODES: ReadonlyArray<RecoverMode> = ["auto", "complete", "rollback"]

const options = {
  stackName,
  region: Opt.region,
  profile: Opt.profile,
  endpointUrl: Opt.endpointUrl,
  callTimeout: Opt.callTimeout,
  mode: Options.choice("mode", MODES).pipe(
    Options.withDescription(
      "complete: wait for the new instances, then terminate the old ones; rollback: terminate the new ones; " +
        "auto: complete when enough new instances are already healthy (or the old ones are already going), else roll back (default: auto)"
    ),
    Options.withDefault("auto" as RecoverMode)
  ),
  healthyTimeout: Options.integer("healthy-timeout").pipe(
    Options.withPseudoName("SECONDS"),
    Options.withDescription("seconds complete waits for the new instances to become healthy before it rolls back instead (default: 600)"),
    Options.withDefault(600)
  ),
  pollInterval: Opt.pollInterval,
  force: Options.boolean("force").pipe(
    Options.withDescription(
      "take over a rollout whose heartbeat is fresh: only when you know its run is dead (killed moments ago); " +
        "without it recover refuses a record renewed within 3 heartbeat intervals (default: off)"
    )
  ),
  output: Opt.output
}

export const makeRecover = (provideAws: AwsProvider) => Command.make("recover", options, (args) =>
  Effect.gen(function*() {
    const settings = yield* awsSettings(args)
    const program = Effect.gen(function*() {
      const healthyTimeout = yield* positiveSeconds("healthy-timeout", args.healthyTimeout)
      const pollInterval = yield* positiveSeconds("poll-interval", args.pollInterval)
      const { recoverStack } = yield* programs
      const result = yield* recoverStack(args.stackName, { mode: args.mode, healthyTimeout, pollInterval, force: args.force })
      const outcome: RunOutcome = {
        status: result.status,
        groups: result.groups,
        extra: { command: "recover", mode: args.mode, decisions: result.decisions }
      }
      return outcome
    })
    yield* runReported({ mode: args.output, stack: args.stackName, region: settings.region }, withCallTimeout(args.callTimeout)(provideAws(program, settings)))
  })
).pipe(
  Command.withDescription(
    "Finish or undo a rollout that died (kill -9, a lost CI runner) from the record it left on each group: restore the sizes " +
      "and the processes as they were, keep the right instances, remove the record. Exit codes: 0 recovered or nothing to do, " +
      "2 invalid input, an unreadable record or a rollout that is still alive (nothing changed), 3 rolled back, 4 AWS refused or failed, 130 interrupted."
  )
)

export const recover = makeRecover(liveAws)
