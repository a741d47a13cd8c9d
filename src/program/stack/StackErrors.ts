import * as Data from "effect/Data"

/** The stack is in a state from which CloudFormation accepts no update; `advice` says what the user can do. */
export class StackNotUpdatable extends Data.TaggedError("StackNotUpdatable")<{
  readonly stackName: string
  readonly status: string
  readonly advice: string
}> {}

/** Our CloudFormation action ended in a failed or rolled-back state. */
export class StackActionFailed extends Data.TaggedError("StackActionFailed")<{
  readonly stackName: string
  readonly status: string
  /** The reasons of the action's failed events, oldest first. */
  readonly reasons: ReadonlyArray<string>
}> {}

/**
 * Our CloudFormation action showed no event within the limit: none at all within the warm-up ("start"), no new one
 * within the idle limit ("idle"), or a dry-run's change set was not ready in time ("change-set").
 * CloudFormation goes on by itself.
 */
export class StackActionTimedOut extends Data.TaggedError("StackActionTimedOut")<{
  readonly stackName: string
  readonly phase: "start" | "idle" | "change-set"
  readonly seconds: number
  /** The stack's status when we stopped waiting, as DescribeStacks said; empty when it could not be read. */
  readonly status: string
}> {}

/** A template body over CloudFormation's limit for TemplateBody. */
export class TemplateTooLarge extends Data.TaggedError("TemplateTooLarge")<{
  readonly bytes: number
  readonly limit: number
}> {}
