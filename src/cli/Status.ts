import * as Command from "@effect/cli/Command"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { GroupReport, StackStatus } from "../program/recover/Status.js"
import { programs } from "./Lazy.js"
import { awsSettings, withCallTimeout } from "./AwsSettings.js"
import * as Opt from "./CommonOptions.js"
import { type PlainOutput, runPlain } from "./Plain.js"
import { type AwsProvider, liveAws, stackName } from "./UpdateAsgs.js"

const options = {
  stackName,
  region: Opt.region,
  profile: Opt.profile,
  endpointUrl: Opt.endpointUrl,
  callTimeout: Opt.callTimeout,
  output: Opt.output
}

const age = (seconds: number | undefined): string =>
  seconds === undefined ? "unknown age" : `${Duration.format(Duration.seconds(seconds))} ago`

export const groupLine = (stack: string, g: GroupReport): string => {
  const who = `${g.name} (${g.logicalId})`
  switch (g.state) {
    case "in-rollout":
      return `${who}: in rollout, phase ${g.phase}, started ${g.startedAt ?? "at an unknown time"} (${age(g.ageSeconds)}); ` +
        (g.wave === undefined ? "" : `wave ${g.wave.number}: ${g.wave.newRelease} instance(s) of earlier waves run the new release, ${g.wave.oldLeft} old still to replace; this wave: `) +
        `${g.oldCount} old, ${g.newCount} new, ${g.healthy} of ${g.needed} needed new capacity healthy; ` +
        (g.heartbeatAgeSeconds === undefined
          ? "no heartbeat"
          : `heartbeat ${age(g.heartbeatAgeSeconds)}${g.heartbeatEverySeconds === undefined ? "" : ` (renewed every ${g.heartbeatEverySeconds} s${g.heartbeatAgeSeconds >= 3 * g.heartbeatEverySeconds ? "; stale: its run is gone" : "; its run looks alive"})`}`) +
        `${g.degraded === undefined ? "" : `; also degraded since ${g.degraded.since} (${g.degraded.reason})`}` +
        ` — finish or undo it with: aws-ha-updater recover ${stack}`
    case "damaged-record":
      return `${who}: damaged rollout record (phase ${g.phase}): ${g.reason}` +
        (g.usable ? ` — recover can still act on it: aws-ha-updater recover ${stack}` : " — recover refuses it; see: aws-ha-updater recover " + stack)
    case "degraded":
      return `${who}: degraded since ${g.since}: ${g.reason}; processes left suspended: ${g.leftSuspended.join(", ") || "none"}` +
        ` — once the release is fixed: aws-ha-updater resume ${stack}`
    case "claimed":
      return `${who}: claimed by run ${g.runs.join(", ")} ${age(g.ageSeconds)}, no rollout record yet` +
        ` — a run about to start, or one that died before its first change (recover removes a stale claim)`
    case "clean":
      return `${who}: clean`
    case "missing":
      return `${who}: the stack names it but Auto Scaling does not know it`
  }
}

const rendered = (s: StackStatus): PlainOutput => ({
  text: [
    `Stack ${s.stack} (${s.stackStatus}): ${s.groups.length} Auto Scaling group(s)`,
    ...s.groups.map((g) => `  ${groupLine(s.stack, g)}`)
  ],
  json: { type: "status", stack: s.stack, stackStatus: s.stackStatus, groups: s.groups }
})

export const makeStatus = (provideAws: AwsProvider) => Command.make("status", options, (args) =>
  Effect.gen(function*() {
    const settings = yield* awsSettings(args)
    yield* runPlain(args.output, withCallTimeout(args.callTimeout)(provideAws(Effect.flatMap(programs, (p) => p.stackStatus(args.stackName)), settings)), rendered)
  })
).pipe(
  Command.withDescription(
    "Show, for each Auto Scaling group of the stack, whether a rollout is under way (phase, age, old and new instances, " +
      "healthy and needed), was left degraded, carries a damaged record, or is clean. Changes nothing. " +
      "Exit codes: 0 shown, 2 unknown stack, 4 AWS refused or failed."
  )
)

export const status = makeStatus(liveAws)
