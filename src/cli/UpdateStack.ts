import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { StackActionFailed, StackActionTimedOut } from "../program/stack/StackErrors.js"
import { AUTO_EXPAND, DEFAULT_CAPABILITIES } from "../program/stack/Capabilities.js"
import type { StackPreview } from "../program/stack/StackPreview.js"
import type { StackUpdateResult } from "../program/stack/StackUpdate.js"
import { programs } from "./Lazy.js"
import { awsSettings, withCallTimeout } from "./AwsSettings.js"
import * as Opt from "./CommonOptions.js"
import { decodeFlag, NonNegativeSeconds, parseParallel, positiveSeconds } from "./Flags.js"
import { ExitCode } from "./ExitCodes.js"
import { describeFailure } from "./Failures.js"
import type { OutputMode } from "./Render.js"
import { type RunOutcome, runReported } from "./Run.js"
import { parseStrategy } from "./Strategy.js"
import { type AwsProvider, liveAws, stackName } from "./UpdateAsgs.js"

const seconds = (name: string, fallback: number, description: string) =>
  Options.integer(name).pipe(
    Options.withPseudoName("SECONDS"),
    Options.withDescription(`${description} (default: ${fallback})`),
    Options.withDefault(fallback)
  )

/** An option given at most once, as text. */
const optionalText = (name: string, pseudo: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description), Options.optional)

/** An option given any number of times (none by default), as text. */
const repeatedText = (name: string, pseudo: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description), Options.repeated, Options.withDefault([]))

const options = {
  stackName,
  region: Opt.region,
  profile: Opt.profile,
  endpointUrl: Opt.endpointUrl,
  callTimeout: Opt.callTimeout,
  template: Options.text("template").pipe(
    Options.withPseudoName("FILE|URL"),
    Options.withDescription("the template: a JSON or YAML file, an https URL, or s3://bucket/key (default: on update, the stack's current template; required to create)"),
    Options.optional
  ),
  warmupSeconds: seconds("warmup-seconds", 25, "seconds the stack action's first event may take to appear"),
  actionTimeout: seconds("action-timeout", 300, "seconds without a new stack event before we stop waiting; restarts with every event"),
  lenientLookBack: seconds("lenient-look-back", 5, "where events carry no request token: seconds before the action's start whose events still count as its own").pipe(
    // The seed's spelling.
    Options.withAlias("lenient_look_back")
  ),
  healthyTimeout: Opt.healthyTimeout,
  pollInterval: Options.integer("poll-interval").pipe(
    Options.withPseudoName("SECONDS"),
    Options.withDescription("seconds between two polls while following the stack's events and the instances' health (default: 5)"),
    Options.withDefault(5)
  ),
  capabilities: Options.text("capabilities").pipe(
    Options.withPseudoName("LIST"),
    Options.withDescription(`capabilities to acknowledge, comma-separated; replaces the default list (default: ${DEFAULT_CAPABILITIES.join(",")}, and ${AUTO_EXPAND} when the template declares a transform; a list given without it is then refused)`),
    Options.optional
  ),
  parametersFile: Options.text("parameters").pipe(
    Options.withPseudoName("FILE"),
    Options.withDescription(
      "template parameters from a file (also file://FILE): the AWS CLI's JSON list of {ParameterKey, ParameterValue | UsePreviousValue}, " +
        "a template configuration {Parameters, Tags}, or a plain JSON/YAML map; KEY=VALUE arguments win over it (default: none)"
    ),
    Options.optional
  ),
  roleArn: optionalText("role-arn", "ARN", "IAM service role CloudFormation acts with (RoleARN) (default: none on create; on update, the stack's own)"),
  tags: repeatedText("tags", "KEY=VALUE", "a stack tag, repeatable; on update the stack's other tags are kept (default: none on create; on update, the stack's own)"),
  notificationArns: repeatedText("notification-arns", "ARN", "an SNS topic for the stack's events, repeatable, at most 5 (default: none on create; on update, the stack's own)"),
  terminationProtection: Options.boolean("termination-protection").pipe(
    Options.withDescription("turn termination protection on: at creation, or on update (UpdateTerminationProtection, after every check passed, before the update) when it is off; never turns it off (default: off)")
  ),
  s3Bucket: optionalText("s3-bucket", "BUCKET", "S3 bucket (in the stack's region) a template body over 51,200 bytes is uploaded to, as PREFIX/<sha256>.template, and sent as TemplateURL (default: none: such a body is refused)"),
  s3Prefix: optionalText("s3-prefix", "PREFIX", "key prefix in --s3-bucket (default: none, the bucket's top level)"),
  s3UploadAlways: Options.boolean("s3-upload-always").pipe(
    Options.withDescription("upload the template to --s3-bucket whatever its size (default: off: only bodies over 51,200 bytes)")
  ),
  noAsgs: Options.boolean("no-asgs").pipe(
    Options.withDescription("update the stack only; do not roll its Auto Scaling groups afterwards (default: off)")
  ),
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription("show what would change (a change set, deleted again) and change nothing (default: off)")
  ),
  asg: Opt.asgs,
  replaceAll: Opt.replaceAll,
  maxSurge: Opt.maxSurge,
  canary: Opt.canary,
  bake: Opt.bake,
  alarm: Opt.alarms,
  freezeScaling: Opt.freezeScaling,
  parallel: Opt.parallel,
  output: Opt.output,
  parameters: Args.text({ name: "KEY=VALUE" }).pipe(
    Args.withDescription("template parameters to set, over those of --parameters FILE; the others keep their previous value, or take their Default when new"),
    Args.repeated,
    Args.withDefault([])
  )
}

const stackFields = (r: { readonly action: string; readonly status: string }) => ({ stackStatus: r.status, stackAction: r.action })

/** The summary of a stack action that succeeded (or had nothing to do), with the rollout that followed. */
export const updateOutcome = (r: StackUpdateResult): RunOutcome => {
  const note = `stack: ${r.stack.action === "no-updates" ? "no updates to perform" : r.stack.action} (${r.stack.status})`
  return Option.match(r.rollout, {
    onNone: () => ({
      status: r.stack.action === "no-updates" ? "up-to-date" : "succeeded",
      groups: [],
      extra: stackFields(r.stack),
      notes: [note, "Auto Scaling groups not rolled (--no-asgs)"]
    }),
    onSome: (rollout) => ({
      status: rollout.status,
      groups: rollout.groups,
      notAttempted: rollout.notAttempted,
      extra: stackFields(r.stack),
      notes: rollout.groups.length === 0 ? [note, "no Auto Scaling group to roll"] : [note]
    })
  })
}

const previewed = (p: StackPreview): RunOutcome => ({
  status: p.changes.length === 0 && p.parameters.length === 0 ? "up-to-date" : "succeeded",
  groups: [],
  extra: { dryRun: true, changes: p.changes, parameterChanges: p.parameters },
  notes: [
    `dry run (${p.kind}): ${p.changes.length} resource change(s), ${p.parameters.length} parameter change(s); nothing was changed`
  ]
})

/** The stack action failed or ran out of time: exit 1, the summary says the stack's status and why. */
export const stackFailureOutcome = (mode: OutputMode) => (e: StackActionFailed | StackActionTimedOut) =>
  Effect.gen(function*() {
    const line = describeFailure(e).line
    if (mode === "text") yield* Console.error(`error: ${line}`)
    const outcome: RunOutcome = {
      status: e._tag === "StackActionFailed" ? "stack-failed" : "stack-timed-out",
      groups: [],
      exitCode: ExitCode.stackFailed,
      extra: { stackStatus: e.status },
      error: line,
      notes: e._tag === "StackActionFailed"
        ? [`stack status: ${e.status}; no Auto Scaling group was touched`, ...e.reasons.map((r) => `failed: ${r}`)]
        : [`stack status: ${e.status || "unknown"}; CloudFormation goes on by itself; no Auto Scaling group was touched`]
    }
    return outcome
  })

export const makeUpdateStack = (provideAws: AwsProvider) => Command.make("update-stack", options, (args) =>
  Effect.gen(function*() {
    const settings = yield* awsSettings(args)
    const program = Effect.gen(function*() {
      const p = yield* programs
      const { loadTemplate, parseCapabilities, previewStack, updateStack: runStackUpdate } = p
      const assigned = yield* p.parseAssignments(args.parameters)
      const roleArn = yield* Option.match(args.roleArn, { onNone: () => Effect.succeed(undefined), onSome: p.parseRoleArn })
      const flagTags = yield* p.parseTags(args.tags)
      const notificationArns = yield* p.parseNotificationArns(args.notificationArns)
      const upload = yield* p.parseTemplateUpload(Option.getOrUndefined(args.s3Bucket), Option.getOrUndefined(args.s3Prefix), args.s3UploadAlways)
      const file = yield* Option.match(args.parametersFile, { onNone: () => Effect.succeed(undefined), onSome: p.loadParameterFile })
      const { kept, origins, values: given } = p.mergeParameters(file, assigned)
      // A template configuration's Tags count as --tags; those given as flags win.
      const tags = new Map([...(file?.tags ?? []), ...flagTags])
      const capabilities = yield* Option.match(args.capabilities, {
        onNone: () => Effect.succeed(DEFAULT_CAPABILITIES),
        onSome: parseCapabilities
      })
      const wait = {
        warmup: yield* positiveSeconds("warmup-seconds", args.warmupSeconds),
        actionTimeout: yield* positiveSeconds("action-timeout", args.actionTimeout),
        lenientLookBack: yield* decodeFlag("lenient-look-back", NonNegativeSeconds)(args.lenientLookBack),
        pollInterval: yield* positiveSeconds("poll-interval", args.pollInterval)
      }
      const healthyTimeout = yield* positiveSeconds("healthy-timeout", args.healthyTimeout)
      const parallel = yield* parseParallel(args.parallel)
      const strategy = yield* parseStrategy(args)
      const template = yield* Option.match(args.template, {
        onNone: () => Effect.succeed(Option.none()),
        onSome: (spec) => Effect.map(loadTemplate(spec, settings.region, { fetchTimeout: Duration.seconds(30), allowLarge: upload !== undefined }), Option.some)
      })
      const capabilitiesGiven = Option.isSome(args.capabilities)
      const plan = {
        template,
        parameters: given,
        capabilities,
        capabilitiesGiven,
        region: settings.region,
        ...wait,
        parameterOrigins: origins,
        keptParameters: kept,
        ...(roleArn !== undefined ? { roleArn } : {}),
        tags,
        notificationArns,
        terminationProtection: args.terminationProtection,
        ...(upload !== undefined ? { upload: { ...upload, region: settings.region } } : {})
      }
      if (args.dryRun) return previewed(yield* previewStack(args.stackName, plan))
      const result = yield* runStackUpdate(args.stackName, {
        ...plan,
        rollout: args.noAsgs
          ? Option.none()
          : Option.some({ groups: args.asg, healthyTimeout, pollInterval: wait.pollInterval, replaceAll: args.replaceAll, parallel, ...strategy })
      })
      return updateOutcome(result)
    }).pipe(
      Effect.catchTags({ StackActionFailed: stackFailureOutcome(args.output), StackActionTimedOut: stackFailureOutcome(args.output) }),
      Effect.provide(Layer.unwrapEffect(Effect.map(programs, (p) => p.FetchHttpClient.layer)))
    )
    yield* runReported({ mode: args.output, stack: args.stackName, region: settings.region }, withCallTimeout(args.callTimeout)(provideAws(program, settings)))
  })
).pipe(
  Command.withDescription(
    "Create or update the CloudFormation stack, follow it to its end, then replace the instances of its Auto Scaling groups " +
      "without dropping below serving capacity. Exit codes: 0 done or nothing to do, 1 the stack action failed or timed out " +
      "(no group touched), 2 invalid input, a busy group or one another rollout holds (nothing changed), 3 rolled back, 4 AWS refused or failed, 130 interrupted."
  )
)

export const updateStack = makeUpdateStack(liveAws)
