import type { GroupFailure } from "./rollout/RolloutErrors.js"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

export type GroupStatus = "succeeded" | "up-to-date" | "rolled-back" | "failed" | "interrupted"

/** A whole run's status: a group status, or update-stack's CloudFormation action that failed or ran out of time. */
export type RunStatus = GroupStatus | "stack-failed" | "stack-timed-out"

/** What update-stack does to the stack, in order. */
export type StackStep = "template" | "validate" | "create" | "update" | "no-updates" | "wait" | "change-set" | "roll" | "upload" | "termination-protection"

/** The steps of one group's rollout, in the order they happen. */
export type Step =
  | "inspect"
  | "skip"
  | "suspend"
  | "scale-out"
  | "wait"
  | "bake"
  | "terminate-old"
  | "restore"
  | "resume"
  | "roll-back"
  | "degraded"

export interface GroupResult {
  readonly name: string
  readonly status: GroupStatus
  /** Instances that the rollout launched (still running on success, terminated after a roll-back). */
  readonly launched: ReadonlyArray<string>
  readonly terminated: ReadonlyArray<string>
  readonly reason?: string
  /**
   * Why the group did not succeed, as a tagged error (`HealthTimeout`, `NewInstanceFailed`, `AlarmFired`,
   * `RolloutInterrupted`, `RollBackFailed`, `CommitFailed`, an AWS error, a refusal): absent on success. `reason` says
   * the same for people; in `--output json` it is an object with `_tag` and the error's fields.
   */
  readonly cause?: GroupFailure
  /** Processes the run left suspended on purpose (after a failure); empty on success. */
  readonly leftSuspended: ReadonlyArray<string>
  /** Instances an operator had put in Standby: neither counted nor replaced, left as they were. */
  readonly standby?: ReadonlyArray<string>
  /** A rollout in waves: how many were committed, and the instances they leave running the new release. */
  readonly waves?: { readonly committed: number; readonly newRelease: ReadonlyArray<string> }
}

export type RolloutEvent =
  | {
    readonly type: "step"
    readonly at: number
    readonly group: string
    readonly step: Step
    readonly message: string
  }
  | {
    readonly type: "progress"
    readonly at: number
    readonly group: string
    readonly oldCount: number
    readonly newCount: number
    readonly healthy: number
    readonly needed: number
    /** Milliseconds before the healthy timeout. */
    readonly timeLeft: number
  }
  | ({ readonly type: "group-result"; readonly at: number } & GroupResult)
  | { readonly type: "warning"; readonly at: number; readonly group?: string; readonly message: string }
  | { readonly type: "stack-step"; readonly at: number; readonly stack: string; readonly step: StackStep; readonly message: string }
  | {
    /** One event of our CloudFormation action, shown once, oldest first. */
    readonly type: "stack-event"
    readonly at: number
    readonly stack: string
    /** When CloudFormation recorded it, epoch ms. */
    readonly timestamp: number
    readonly status: string
    readonly logicalId: string
    readonly resourceType: string
    readonly reason?: string
  }
  | { readonly type: "stack-status"; readonly at: number; readonly stack: string; readonly status: string; readonly reason?: string }
  | {
    /** A resource change of a dry-run's change set. */
    readonly type: "stack-change"
    readonly at: number
    readonly stack: string
    readonly action: string
    readonly logicalId: string
    readonly resourceType: string
    readonly replacement?: string
  }
  | {
    /** A parameter that a dry-run's change set would change; absent `from` = new, absent `to` = removed. */
    readonly type: "parameter-change"
    readonly at: number
    readonly stack: string
    readonly key: string
    readonly from?: string
    readonly to?: string
  }

type Distribute<E> = E extends { readonly at: number } ? Omit<E, "at"> : never
export type RolloutEventInput = Distribute<RolloutEvent>

/** Where the rollout reports what it does; the CLI renders it, a library user may collect it. Silent by default. */
export class Reporter extends Context.Reference<Reporter>()("aws-ha-updater/Reporter", {
  defaultValue: () => ({ emit: (_event: RolloutEvent): Effect.Effect<void> => Effect.void })
}) {}

export const emit = (event: RolloutEventInput): Effect.Effect<void> =>
  Effect.flatMap(Effect.all([Reporter, Effect.clockWith((c) => c.currentTimeMillis)]), ([reporter, at]) =>
    reporter.emit({ ...event, at } as RolloutEvent)
  )

export const step = (group: string, s: Step, message: string): Effect.Effect<void> =>
  emit({ type: "step", group, step: s, message })

export const stackStep = (stack: string, s: StackStep, message: string): Effect.Effect<void> =>
  emit({ type: "stack-step", stack, step: s, message })

/**
 * A tagged error as plain data for `--output json`: its `_tag` and fields, nested tagged errors alike; what is not
 * plain data (an SDK error kept as a cause) is left out.
 */
export const plainCause = (e: unknown): unknown => {
  if (Array.isArray(e)) return e.map(plainCause)
  if (e === null || typeof e !== "object") return e
  if (!("_tag" in e) || typeof e._tag !== "string") return undefined
  const out: Record<string, unknown> = { _tag: e._tag }
  for (const [k, v] of Object.entries(e)) {
    if (k === "_tag") continue
    const plain = plainCause(v)
    if (plain !== undefined) out[k] = plain
  }
  return out
}
