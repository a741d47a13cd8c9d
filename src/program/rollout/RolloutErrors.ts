import * as Data from "effect/Data"
import type { AwsError } from "../../services/Errors.js"

/** The group's resource in the template has an UpdatePolicy: CloudFormation would fight our rollout. */
export class UpdatePolicyPresent extends Data.TaggedError("UpdatePolicyPresent")<{
  readonly logicalId: string
  readonly group: string
  readonly policies: ReadonlyArray<string>
}> {}

/** A group we were asked to roll (--asg, or a stack resource) does not exist. */
export class GroupNotFound extends Data.TaggedError("GroupNotFound")<{
  readonly group: string
  readonly stackName: string
}> {}

/** The group or its stack is busy with something that would compete with the rollout. */
export class GroupBusy extends Data.TaggedError("GroupBusy")<{
  readonly group: string
  readonly reason: string
}> {}

export class StackBusy extends Data.TaggedError("StackBusy")<{
  readonly stackName: string
  readonly status: string
}> {}

/** Not enough new instances became healthy within --healthy-timeout. */
export class HealthTimeout extends Data.TaggedError("HealthTimeout")<{
  readonly group: string
  readonly healthy: number
  readonly needed: number
  readonly seconds: number
  /** Load balancers where enough new capacity was healthy, yet served less than the old instances did at the start. */
  readonly short: ReadonlyArray<string>
}> {}

/** A new instance turned unhealthy or left the group while we waited. */
export class NewInstanceFailed extends Data.TaggedError("NewInstanceFailed")<{
  readonly group: string
  readonly instanceId: string
  readonly reason: string
}> {}

/** A CloudWatch alarm the run watches went to ALARM (or vanished) while a wave waited or baked. */
export class AlarmFired extends Data.TaggedError("AlarmFired")<{
  readonly group: string
  readonly alarm: string
  readonly reason: string
}> {}

/** Before any change: an alarm named with --alarm does not exist, or is already in ALARM. */
export class AlarmGateRefused extends Data.TaggedError("AlarmGateRefused")<{
  readonly alarm: string
  readonly problem: "missing" | "firing"
  readonly reason: string
}> {}

export type WaitFailure = HealthTimeout | NewInstanceFailed | AlarmFired

/** The rollout record would not fit beside the group's own tags (AWS allows 50 per group). */
export class RecordDoesNotFit extends Data.TaggedError("RecordDoesNotFit")<{
  readonly group: string
  readonly tags: number
  readonly needed: number
}> {}

/** A rollout record from an earlier run is still on the group: it must be recovered first. */
export class RolloutInProgress extends Data.TaggedError("RolloutInProgress")<{
  readonly group: string
  readonly stackName: string
  readonly phase: string
  readonly since: string
}> {}

/** The group has a warm pool: its instances run the launch spec they were built with and would bring the old release back. */
export class WarmPoolPresent extends Data.TaggedError("WarmPoolPresent")<{
  readonly group: string
  readonly size: number
}> {}

/** Another run holds the group now (its claim is there, or its record's heartbeat is fresh): exactly one may roll it. */
export class RolloutHeld extends Data.TaggedError("RolloutHeld")<{
  readonly group: string
  readonly stackName: string
  /** The holder's run id, when its claim names one. */
  readonly holder: string
  /** What shows it is held, e.g. "its heartbeat is 12 s old". */
  readonly reason: string
}> {}

/** The run was interrupted (Ctrl-C, SIGTERM, a caller's interruption) while the group rolled: it was rolled back. */
export class RolloutInterrupted extends Data.TaggedError("RolloutInterrupted")<{
  readonly group: string
}> {}

/** Why a rollout rolled back: what its wait met, an AWS error, the group vanishing, an interruption. */
export type RollBackCause = WaitFailure | AwsError | GroupNotFound | RolloutInterrupted

/** Rolling back after `during` failed itself: some new instances may still run; `recover` finishes the job. */
export class RollBackFailed extends Data.TaggedError("RollBackFailed")<{
  readonly group: string
  readonly during: RollBackCause
  readonly error: AwsError | GroupNotFound
  /** The new instances it terminated before it failed. */
  readonly terminated: ReadonlyArray<string>
}> {}

/** The new instances were healthy but terminating the old ones (or restoring the sizes) failed: `recover` finishes it. */
export class CommitFailed extends Data.TaggedError("CommitFailed")<{
  readonly group: string
  readonly error: AwsError | GroupNotFound
  /** The old instances terminated before it failed. */
  readonly terminated: ReadonlyArray<string>
}> {}

/** Refusals found before a group changed, when another group of the run had already changed: it was not rolled. */
export type NotRolledCause = RolloutInProgress | RolloutHeld | GroupBusy | GroupNotFound | RecordDoesNotFit

/** Why a group did not succeed: the tagged error behind the result's `reason`. */
export type GroupFailure = RollBackCause | RollBackFailed | CommitFailed | NotRolledCause
