import * as Data from "effect/Data"

/** A damaged rollout record that does not say enough to act on safely (which instances are old, the sizes). */
export class RecordUnreadable extends Data.TaggedError("RecordUnreadable")<{
  readonly group: string
  readonly stackName: string
  /** What part of the record is unreadable. */
  readonly what: string
  /** What the user should check before cleaning up by hand. */
  readonly check: string
}> {}

/** `--mode rollback` asked where the old instances are already going: terminating the new ones would drop capacity. */
export class RollbackUnsafe extends Data.TaggedError("RollbackUnsafe")<{
  readonly group: string
  readonly stackName: string
  readonly oldCapacity: number
  readonly healthyNew: number
  readonly needed: number
}> {}
