import * as Data from "effect/Data"

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
