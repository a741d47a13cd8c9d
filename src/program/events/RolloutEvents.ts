import * as Schema from "effect/Schema"
import { GroupFailure } from "./Cause.js"

const Strings = Schema.Array(Schema.String)

export const GroupStatus = Schema.Literal("succeeded", "up-to-date", "rolled-back", "failed", "interrupted")
export type GroupStatus = typeof GroupStatus.Type

/** A whole run's status: a group status, or update-stack's CloudFormation action that failed or ran out of time. */
export const RunStatus = Schema.Literal(...GroupStatus.literals, "stack-failed", "stack-timed-out")
export type RunStatus = typeof RunStatus.Type

/** What update-stack does to the stack, in order. */
export const StackStep = Schema.Literal(
  "template", "validate", "create", "update", "no-updates", "wait", "change-set", "roll", "upload", "termination-protection"
)
export type StackStep = typeof StackStep.Type

/** The steps of one group's rollout, in the order they happen. */
export const Step = Schema.Literal(
  "inspect", "skip", "suspend", "scale-out", "wait", "bake", "terminate-old", "restore", "resume", "roll-back", "degraded"
)
export type Step = typeof Step.Type

const groupResultFields = {
  name: Schema.String,
  status: GroupStatus,
  /** Instances that the rollout launched (still running on success, terminated after a roll-back). */
  launched: Strings,
  terminated: Strings,
  reason: Schema.optional(Schema.String),
  /**
   * Why the group did not succeed, as a tagged error (`HealthTimeout`, `NewInstanceFailed`, `AlarmFired`,
   * `RolloutInterrupted`, `RollBackFailed`, `CommitFailed`, an AWS error, a refusal): absent on success. `reason` says
   * the same for people; in `--output json` it is an object with `_tag` and the error's fields.
   */
  cause: Schema.optional(GroupFailure),
  /** Processes the run left suspended on purpose (after a failure); empty on success. */
  leftSuspended: Strings,
  /** Instances an operator had put in Standby: neither counted nor replaced, left as they were. */
  standby: Schema.optional(Strings),
  /** A rollout in waves: how many were committed, and the instances they leave running the new release. */
  waves: Schema.optional(Schema.Struct({ committed: Schema.Number, newRelease: Strings }))
}

export const GroupResult = Schema.Struct(groupResultFields).annotations({ identifier: "GroupResult" })
export type GroupResult = typeof GroupResult.Type

/** Each event carries its kind and when the run emitted it (epoch ms). */
const event = <Type extends string, Fields extends Schema.Struct.Fields>(type: Type, description: string, fields: Fields) =>
  Schema.Struct({ type: Schema.Literal(type), at: Schema.Number, ...fields }).annotations({ identifier: `${type}-event`, description })

export const StepEvent = event("step", "A step of one group's rollout.", { group: Schema.String, step: Step, message: Schema.String })

export const ProgressEvent = event("progress", "A group's counts while it waits for its new instances.", {
  group: Schema.String,
  oldCount: Schema.Number,
  newCount: Schema.Number,
  healthy: Schema.Number,
  needed: Schema.Number,
  /** Milliseconds before the healthy timeout. */
  timeLeft: Schema.Number
})

export const GroupResultEvent = event("group-result", "How a group's rollout ended.", groupResultFields)

export const WarningEvent = event("warning", "Something the run noticed and went on after.", { group: Schema.optional(Schema.String), message: Schema.String })

export const StackStepEvent = event("stack-step", "A step of update-stack's stack action.", { stack: Schema.String, step: StackStep, message: Schema.String })

/** One event of our CloudFormation action, shown once, oldest first. */
export const StackEvent = event("stack-event", "An event CloudFormation recorded for the stack action, once each.", {
  stack: Schema.String,
  /** When CloudFormation recorded it, epoch ms. */
  timestamp: Schema.Number,
  status: Schema.String,
  logicalId: Schema.String,
  resourceType: Schema.String,
  reason: Schema.optional(Schema.String)
})

export const StackStatusEvent = event("stack-status", "The stack's status as the action goes.", {
  stack: Schema.String,
  status: Schema.String,
  reason: Schema.optional(Schema.String)
})

/** A resource change of a dry-run's change set. */
export const StackChangeEvent = event("stack-change", "A resource change of a dry run's change set.", {
  stack: Schema.String,
  action: Schema.String,
  logicalId: Schema.String,
  resourceType: Schema.String,
  replacement: Schema.optional(Schema.String)
})

/** A parameter that a dry-run's change set would change; absent `from` = new, absent `to` = removed. */
export const ParameterChangeEvent = event("parameter-change", "A parameter a dry run's change set would change.", {
  stack: Schema.String,
  key: Schema.String,
  from: Schema.optional(Schema.String),
  to: Schema.optional(Schema.String)
})

/** What a run reports as it goes, one NDJSON line each in `--output json`. */
export const RolloutEvent = Schema.Union(
  StepEvent,
  ProgressEvent,
  GroupResultEvent,
  WarningEvent,
  StackStepEvent,
  StackEvent,
  StackStatusEvent,
  StackChangeEvent,
  ParameterChangeEvent
)
export type RolloutEvent = typeof RolloutEvent.Type

type Distribute<E> = E extends { readonly at: number } ? Omit<E, "at"> : never
/** An event as a step emits it; the time is added when it is reported. */
export type RolloutEventInput = Distribute<RolloutEvent>
