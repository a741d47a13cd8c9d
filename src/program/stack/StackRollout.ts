import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import { CloudFormation } from "../../services/CloudFormation.js"
import { type AwsError, type InvalidInput, StackNotFound, type TemplateInvalid } from "../../services/Errors.js"
import type { LaunchTemplates } from "../../services/LaunchTemplates.js"
import type { LoadBalancing } from "../../services/LoadBalancing.js"
import { readDegraded } from "../rollout/Degraded.js"
import { emit, step } from "../Emit.js"
import type { GroupResult, GroupStatus } from "../Events.js"
import * as PollHub from "../rollout/PollHub.js"
import { rollGroup, type RolloutOptions } from "../rollout/Rollout.js"
import { alarmReader, checkAlarms } from "../rollout/AlarmGate.js"
import * as Claim from "../rollout/Claim.js"
import {
  type AlarmGateRefused,
  GroupBusy,
  GroupNotFound,
  type NotRolledCause,
  type RecordDoesNotFit,
  type RolloutHeld,
  type RolloutInProgress,
  StackBusy,
  type UpdatePolicyPresent,
  type WarmPoolPresent
} from "../rollout/RolloutErrors.js"
import { ASG_TYPE, checkTreePolicies, checkUpdatePolicies, listTree, selectGroups } from "./StackTree.js"
import { TerminateConcurrency, terminateShare } from "../rollout/Terminations.js"

export { ASG_TYPE, checkUpdatePolicies, selectGroups }

export interface StackRolloutOptions extends RolloutOptions, Claim.ClaimOptions {
  /** Only these groups (logical ids or names); all of the stack's groups when empty. */
  readonly groups: ReadonlyArray<string>
  /** How many groups roll at once. Default 1, one by one as the seed did. */
  readonly parallel?: number | "all"
}

export interface StackRolloutResult {
  readonly stack: string
  readonly status: GroupStatus
  readonly groups: ReadonlyArray<GroupResult>
  /** Groups left alone because an earlier group did not succeed. */
  readonly notAttempted: ReadonlyArray<string>
}

/** Why a rollout of the stack's groups fails as a whole rather than in a group's result: AWS, or a refusal before any change. */
export type RollStackError =
  | AwsError
  | StackNotFound
  | InvalidInput
  | TemplateInvalid
  | UpdatePolicyPresent
  | StackBusy
  | AlarmGateRefused
  | WarmPoolPresent
  | NotRolledCause

const SEVERITY: ReadonlyArray<GroupStatus> = ["up-to-date", "succeeded", "rolled-back", "failed", "interrupted"]

/** The worst status wins; an empty run is up to date. */
export const overallStatus = (statuses: ReadonlyArray<GroupStatus>): GroupStatus =>
  statuses.reduce<GroupStatus>((w, s) => (SEVERITY.indexOf(s) > SEVERITY.indexOf(w) ? s : w), "up-to-date")

const couldNotCheck = (group: string, e: { readonly operation: string; readonly message: string }) =>
  emit({ type: "warning", group, message: `could not check for an Instance Refresh (${e.operation}: ${e.message}); going on` })

/** The refusals one look at a group can give: held or left by another run, being deleted, an Instance Refresh. */
export const checkGroup = Effect.fn("Rollout.checkGroup")(function*(g: AutoScalingGroup, stackName: string) {
  const asg = yield* AutoScaling
  yield* Claim.checkFree(g, stackName, yield* Clock.currentTimeMillis)
  if (g.status !== undefined && g.status.length > 0) {
    return yield* Effect.fail(new GroupBusy({ group: g.name, reason: `its status is "${g.status}"` }))
  }
  const refreshing = yield* asg.instanceRefreshInProgress(g.name).pipe(
    Effect.catchTags({
      Throttled: (e) => Effect.as(couldNotCheck(g.name, e), false),
      TransientAwsError: (e) => Effect.as(couldNotCheck(g.name, e), false),
      AwsCallFailed: (e) => Effect.as(couldNotCheck(g.name, e), false)
    })
  )
  if (refreshing) {
    return yield* Effect.fail(new GroupBusy({ group: g.name, reason: "an Instance Refresh is in progress" }))
  }
})

/** Every refusal happens here, before the first mutating call on any group; each group is checked again at its turn. */
const preflight = Effect.fn("Rollout.preflight")(function*(stackName: string, wanted: ReadonlyArray<string>) {
  const cfn = yield* CloudFormation
  const asg = yield* AutoScaling
  const stack = yield* Effect.flatMap(cfn.describeStack(stackName), Option.match({
    onNone: () => Effect.fail(new StackNotFound({ stackName })),
    onSome: Effect.succeed
  }))
  if (stack.status.endsWith("_IN_PROGRESS")) {
    return yield* Effect.fail(new StackBusy({ stackName, status: stack.status }))
  }
  const selected = yield* selectGroups(stackName, yield* listTree(stackName), wanted)
  if (selected.length === 0) return []
  yield* checkTreePolicies(selected)
  const groups = yield* asg.describeGroups(selected.map((r) => r.physicalId))
  const ordered: Array<AutoScalingGroup> = []
  for (const r of selected) {
    const g = groups.find((x) => x.name === r.physicalId)
    if (g === undefined) return yield* Effect.fail(new GroupNotFound({ group: r.physicalId, stackName }))
    yield* checkGroup(g, stackName)
    ordered.push(g)
  }
  return ordered
})

/** A refusal found before the group changed: the run fails with it while nothing has changed anywhere. */
type Refusal = RolloutInProgress | RolloutHeld | GroupBusy | GroupNotFound | RecordDoesNotFit

const isRefusal = (e: { readonly _tag: string }): e is Refusal =>
  ["RolloutInProgress", "RolloutHeld", "GroupBusy", "GroupNotFound", "RecordDoesNotFit"].includes(e._tag)

const refusalReason = (e: Refusal): string => {
  switch (e._tag) {
    case "RolloutHeld":
      return `another rollout holds it (${e.reason})`
    case "RolloutInProgress":
      return `it carries the record of a rollout that did not finish (phase ${e.phase}, started ${e.since}): run recover`
    case "GroupBusy":
      return `it is busy: ${e.reason}`
    case "GroupNotFound":
      return "it no longer exists"
    case "RecordDoesNotFit":
      return `the rollout record does not fit beside its ${e.tags} tags`
  }
}

/** The group as it is now, looked at again right before its own rollout: others may have changed it meanwhile. */
const lookAgain = (name: string, stackName: string) =>
  Effect.gen(function*() {
    const found = (yield* (yield* AutoScaling).describeGroups([name])).find((g) => g.name === name)
    if (found === undefined) return yield* Effect.fail(new GroupNotFound({ group: name, stackName }))
    yield* checkGroup(found, stackName)
    return found
  })

/**
 * update-asgs: roll the stack's groups, `parallel` at a time, all sharing one poll round. Each group commits or rolls
 * back on its own; once one did not succeed, no further group is started (a broken release must not spread).
 */
export const rollStack: (stackName: string, options: StackRolloutOptions) => Effect.Effect<
  StackRolloutResult,
  RollStackError,
  AutoScaling | CloudFormation | LaunchTemplates | LoadBalancing
> = Effect.fn("Rollout.rollStack")(function*(stackName: string, options: StackRolloutOptions) {
  const groups = yield* preflight(stackName, options.groups)
  // Every refusal before the first change: an alarm that is missing or already firing could only roll back.
  if (groups.length > 0) yield* checkAlarms(options.alarms ?? [])
  const claim = yield* Claim.makeSettings(options)
  const stoppedBy = yield* Ref.make<string | undefined>(undefined)
  // Whether some group may have changed: until then a refusal fails the whole run (exit 2, nothing changed).
  const activity = yield* Ref.make({ rolling: 0, changed: false, refused: false })
  const outcomes = yield* Effect.scoped(Effect.gen(function*() {
    const alarms = yield* alarmReader(options.alarms ?? [])
    const hub = yield* PollHub.make({ interval: options.pollInterval, ...(alarms === undefined ? {} : { alarms }) })
    const atOnce = options.parallel === "all" ? groups.length : Math.min(groups.length, options.parallel ?? 1)
    return yield* Effect.forEach(groups, (initial) =>
      Effect.gen(function*() {
        const stopper = yield* Ref.get(stoppedBy)
        if (stopper !== undefined) {
          yield* step(initial.name, "skip", `not attempted: ${stopper} did not succeed`)
          return initial.name
        }
        const marker = readDegraded(initial)
        if (marker !== undefined) {
          yield* emit({
            type: "warning",
            group: initial.name,
            message: `an earlier run left this group degraded (${marker.reason}, since ${marker.since}); a successful run clears it and resumes ${marker.leftSuspended.join(", ") || "nothing"}`
          })
        }
        const refused = (e: Refusal) =>
          Effect.gen(function*() {
            const nothingChanged = yield* Ref.modify(activity, (a) =>
              !a.changed && a.rolling === 0 ? [true, { ...a, refused: true }] : [false, a])
            if (nothingChanged) return yield* Effect.fail(e)
            const result: GroupResult = {
              name: initial.name,
              status: "failed",
              launched: [],
              terminated: [],
              reason: `not rolled: ${refusalReason(e)}; nothing was changed on this group`,
              cause: e,
              leftSuspended: []
            }
            yield* step(initial.name, "skip", result.reason!)
            yield* emit({ type: "group-result", ...result })
            return result
          })
        const result = yield* Effect.gen(function*() {
          const fresh = yield* lookAgain(initial.name, stackName)
          const go = yield* Ref.modify(activity, (a) => (a.refused ? [false, a] : [true, { ...a, rolling: a.rolling + 1 }]))
          // Another group's refusal is failing the run: this one must not start.
          if (!go) return yield* Effect.interrupt
          return yield* rollGroup(fresh, stackName, options, hub, claim).pipe(
            // Refusals and errors come before this group's first change (or are cleaned up by it).
            Effect.onExit((exit) =>
              Ref.update(activity, (a) => ({
                ...a,
                rolling: a.rolling - 1,
                changed: a.changed || (exit._tag === "Success" && exit.value.status !== "up-to-date")
              }))
            )
          )
        }).pipe(Effect.catchIf(isRefusal, refused))
        if (result.status !== "succeeded" && result.status !== "up-to-date") {
          yield* Ref.update(stoppedBy, (s) => s ?? initial.name)
        }
        return result
      }).pipe(Effect.provideService(TerminateConcurrency, terminateShare(atOnce))), { concurrency: options.parallel === "all" ? "unbounded" : options.parallel ?? 1 })
  }))
  const results = outcomes.filter((o): o is GroupResult => typeof o !== "string")
  const done: StackRolloutResult = {
    stack: stackName,
    status: overallStatus(results.map((r) => r.status)),
    groups: results,
    notAttempted: outcomes.filter((o): o is string => typeof o === "string")
  }
  return done
})
