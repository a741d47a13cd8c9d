import { randomUUID } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AutoScaling } from "../../services/AutoScaling.js"
import { CloudFormation } from "../../services/CloudFormation.js"
import type { AwsError, BucketNotFound, InvalidInput, TemplateInvalid } from "../../services/Errors.js"
import type { LaunchTemplates } from "../../services/LaunchTemplates.js"
import type { LoadBalancing } from "../../services/LoadBalancing.js"
import type { TemplateBucket } from "../../services/TemplateBucket.js"
import { stackStep } from "../Emit.js"
import { StackActionFailed, type StackActionTimedOut, type StackNotUpdatable, type TemplateTooLarge } from "./StackErrors.js"
import { describeParameters, planStackAction, type StackPlan, type StackPlanOptions } from "./StackPlan.js"
import { checkAlarms } from "../rollout/AlarmGate.js"
import { checkGroupsBeforeDeploy } from "./StackChecks.js"
import { type RollStackError, rollStack, type StackRolloutOptions, type StackRolloutResult } from "./StackRollout.js"
import { type ActionEnd, eventsBefore, failureReasons, followAction, isSuccessStatus, type StackWaitOptions } from "./StackWait.js"

export interface StackUpdateOptions extends StackPlanOptions, StackWaitOptions {}

/** Why a stack action (or its preview) fails: the plan's checks of inputs, template and stack, AWS, or the action. */
export type StackActionError =
  | AwsError
  | InvalidInput
  | TemplateInvalid
  | BucketNotFound
  | StackNotUpdatable
  | StackActionFailed
  | StackActionTimedOut
  | TemplateTooLarge

/** How the stack action ended when it did not fail. */
export interface StackActionResult {
  readonly action: "created" | "updated" | "no-updates"
  /** The stack's status afterwards, as DescribeStacks says. */
  readonly status: string
}

/** A fresh idempotency token per action; its events carry it, which is how we tell them from others. */
export const newRequestToken = Effect.sync(() => `aws-ha-updater-${randomUUID()}`)

const ended = (stackName: string, action: "created" | "updated", end: ActionEnd) =>
  isSuccessStatus(end.status)
    ? Effect.succeed<StackActionResult>({ action, status: end.status })
    : Effect.fail(new StackActionFailed({ stackName, status: end.status, reasons: failureReasons(end.events) }))

/** Runs the planned create or update and follows it to its end. */
export const executePlan = Effect.fn("StackUpdate.execute")(function*(plan: StackPlan, options: StackWaitOptions) {
  const cfn = yield* CloudFormation
  const stackName = plan.stackName
  const clientRequestToken = yield* newRequestToken
  const common = { stackName, parameters: plan.parameters, capabilities: plan.capabilities, clientRequestToken, ...plan.stackOptions }
  const action = plan.action
  if (action._tag === "Create") {
    yield* stackStep(stackName, "create", `creating the stack; ${describeParameters(plan.parameters)}; capabilities ${plan.capabilities.join(", ") || "none"}`)
    const startedAt = yield* Clock.currentTimeMillis
    const stackId = yield* cfn.createStack({
      ...common,
      template: action.template,
      ...(plan.enableTerminationProtection ? { enableTerminationProtection: true } : {})
    })
    yield* stackStep(stackName, "wait", `following the creation (token ${clientRequestToken})`)
    const end = yield* followAction({ stackName, stackId, clientRequestToken, startedAt, earlier: new Set() }, options)
    return yield* ended(stackName, "created", end)
  }
  const earlier = yield* eventsBefore(stackName)
  const how = Option.isNone(action.template) ? "previous template" : "new template"
  yield* stackStep(stackName, "update", `updating the stack (${how}); ${describeParameters(plan.parameters)}; capabilities ${plan.capabilities.join(", ") || "none"}`)
  if (plan.enableTerminationProtection) {
    // Asked for and off: on before the update, so that it holds whatever the update does.
    yield* cfn.updateTerminationProtection(stackName, true)
    yield* stackStep(stackName, "termination-protection", "termination protection enabled")
  }
  const startedAt = yield* Clock.currentTimeMillis
  const started = yield* cfn.updateStack({ ...common, template: action.template })
  if (started._tag === "NoUpdates") {
    yield* stackStep(stackName, "no-updates", "No updates are to be performed: the stack already matches")
    return { action: "no-updates", status: action.stack.status } satisfies StackActionResult
  }
  yield* stackStep(stackName, "wait", `following the update (token ${clientRequestToken})`)
  const end = yield* followAction({ stackName, stackId: started.stackId, clientRequestToken, startedAt, earlier }, options)
  return yield* ended(stackName, "updated", end)
})

/** Creates or updates the stack and follows the action to its end: checks first, then one mutating call. */
export const deployStack: (stackName: string, options: StackUpdateOptions) => Effect.Effect<
  StackActionResult,
  StackActionError,
  CloudFormation | TemplateBucket
> = Effect.fn("StackUpdate.deploy")(function*(stackName: string, options: StackUpdateOptions) {
  const plan = yield* planStackAction(stackName, options)
  return yield* executePlan(plan, options)
})

export interface StackUpdateResult {
  readonly stack: StackActionResult
  /** None with --no-asgs. */
  readonly rollout: Option.Option<StackRolloutResult>
}

/** update-stack: the stack action, then — when it succeeded or had nothing to do — the rollout of the stack's groups. */
export const updateStack: (
  stackName: string,
  options: StackUpdateOptions & { readonly rollout: Option.Option<StackRolloutOptions> }
) => Effect.Effect<
  StackUpdateResult,
  StackActionError | RollStackError,
  AutoScaling | CloudFormation | LaunchTemplates | LoadBalancing | TemplateBucket
> = Effect.fn("StackUpdate.updateStack")(function*(
  stackName: string,
  options: StackUpdateOptions & { readonly rollout: Option.Option<StackRolloutOptions> }
) {
  const plan = yield* planStackAction(stackName, options)
  // A refusal the rollout would meet after the stack action must come before it: exit 2 means nothing changed.
  if (Option.isSome(options.rollout)) {
    yield* checkGroupsBeforeDeploy(plan, options.rollout.value.groups)
    yield* checkAlarms(options.rollout.value.alarms ?? [])
  }
  const stack = yield* executePlan(plan, options)
  if (Option.isNone(options.rollout)) return { stack, rollout: Option.none() } satisfies StackUpdateResult
  yield* stackStep(stackName, "roll", "rolling the stack's Auto Scaling groups")
  const rollout = yield* rollStack(stackName, options.rollout.value)
  return { stack, rollout: Option.some(rollout) } satisfies StackUpdateResult
})
