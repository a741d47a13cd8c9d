import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import type { ResumedGroup, ResumeResult } from "../program/recover/Resume.js"
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
  asg: Opt.asgs,
  output: Opt.output
}

const line = (g: ResumedGroup): string => {
  if (g.state === "clean") return `${g.name}: not degraded, nothing to resume`
  const resumed = g.resumed.length === 0 ? "nothing left to resume" : `resumed ${g.resumed.join(", ")}`
  const already = g.alreadyRunning.length === 0 ? "" : ` (${g.alreadyRunning.join(", ")} already running)`
  return `${g.name}: ${resumed}${already}; degraded marker cleared (it said: ${g.reason}, since ${g.since})`
}

const rendered = (r: ResumeResult): PlainOutput => ({
  text: [`Summary: stack ${r.stack}: resume (exit 0)`, ...r.groups.map((g) => `  ${line(g)}`)],
  json: { type: "summary", command: "resume", stack: r.stack, groups: r.groups }
})

export const makeResume = (provideAws: AwsProvider) => Command.make("resume", options, (args) =>
  Effect.gen(function*() {
    const settings = yield* awsSettings(args)
    yield* runPlain(args.output, withCallTimeout(args.callTimeout)(provideAws(Effect.flatMap(programs, (p) => p.resumeStack(args.stackName, args.asg)), settings)), rendered)
  })
).pipe(
  Command.withDescription(
    "Once a broken release is fixed: resume exactly the processes a failed rollout left suspended on each degraded group " +
      "(a process suspended before that rollout stays suspended) and clear the degraded marker. A group that still carries " +
      "a rollout record is refused: run recover first. Exit codes: 0 done or nothing to do, 2 invalid input or a rollout record " +
      "(nothing changed), 4 AWS refused or failed."
  )
)

export const resume = makeResume(liveAws)
