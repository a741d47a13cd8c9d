import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { LaunchTemplates } from "../../services/LaunchTemplates.js"
import type { LoadBalancing } from "../../services/LoadBalancing.js"
import { emit, step } from "../Emit.js"
import type { GroupResult } from "../Events.js"
import { idsOf, isOutdated, isRunning, isStandby, type LaunchSpec, type LoadBalancerHealth } from "./Assess.js"
import * as Claim from "./Claim.js"
import { commit, type CommitError, commitFailed, commitWave } from "./Commit.js"
import type * as PollHub from "./PollHub.js"
import { nextWave, raise, spreadAfterLast } from "./Raise.js"
import { isWaitFailure, reasonOf, rollBack } from "./RollBack.js"
import { type GroupNotFound, type RecordDoesNotFit, type RolloutHeld, type RolloutInProgress, RolloutInterrupted, WarmPoolPresent } from "./RolloutErrors.js"
import { advance, type Plan, planRollout, plural, SCALING_PROCESS } from "./RolloutPlan.js"
import type { Wave } from "./RolloutWave.js"
import { readHealth } from "./Terminations.js"
import { waitHealthy } from "./WaitHealthy.js"
import { type Amount, waveCount } from "./Waves.js"

export { keepOthersChange } from "./Commit.js"
export { PROCESSES_TO_SUSPEND, processesToSuspend, SCALING_PROCESS } from "./RolloutPlan.js"

export interface RolloutOptions {
  /** How long the new instances of a wave have to become healthy everywhere. */
  readonly healthyTimeout: Duration.DurationInput
  /** Time between two poll rounds while waiting. */
  readonly pollInterval: Duration.DurationInput
  /** Replace every running instance even when none is outdated. */
  readonly replaceAll: boolean
  /** How long a roll-back waits for AWS to list the instances the scale-out launched. Default 30 s. */
  readonly listingTimeout?: Duration.DurationInput
  /** Capacity launched beyond the group's capacity at any moment: N units or P% of the running capacity. Default 100%. */
  readonly maxSurge?: Amount
  /** The first wave's size when a canary goes first; the rest follows in `maxSurge` waves. Default: no canary. */
  readonly canary?: Amount
  /** How long a wave's new instances are watched once healthy before old ones go. Default 0. */
  readonly bake?: Duration.DurationInput
  /** CloudWatch alarms read in every poll round while waiting and baking: one in ALARM rolls the wave back. */
  readonly alarms?: ReadonlyArray<string>
  /** Suspend AlarmNotification too, so that scaling policies stay still for the whole rollout. Default false. */
  readonly freezeScaling?: boolean
}

export const defaultOptions: RolloutOptions = {
  healthyTimeout: Duration.seconds(600),
  pollInterval: Duration.seconds(5),
  replaceAll: false
}

/**
 * Rolls one group, as the README's update-asgs lists the steps: check it, plan, claim; write the record, suspend;
 * then per wave raise, wait until the new instances are healthy (and bake), and retire as many old ones by id; after
 * the last, commit — or, on a failure, roll the current wave back alone (also when the fiber is interrupted).
 */
export const rollGroup: (
  initial: AutoScalingGroup,
  stackName: string,
  options: RolloutOptions,
  hub: PollHub.PollHub,
  claim?: Claim.ClaimSettings
) => Effect.Effect<
  GroupResult,
  WarmPoolPresent | RecordDoesNotFit | RolloutHeld | RolloutInProgress | GroupNotFound | AwsError,
  AutoScaling | LaunchTemplates | LoadBalancing
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
> = Effect.fn("Rollout.rollGroup")(function*(
  initial: AutoScalingGroup,
  stackName: string,
  options: RolloutOptions,
  /** The run's shared poll rounds (rollStack makes them, with the watched alarms). */
  hub: PollHub.PollHub,
  /** The run's claim settings: the group is claimed before its first change and its record kept alive. */
  claim?: Claim.ClaimSettings
) {
  // Check: a warm pool refuses the group; a group whose running instances all run its launch spec is up to date.
  if (initial.warmPool !== undefined) {
    return yield* Effect.fail(new WarmPoolPresent({ group: initial.name, size: initial.warmPool.size }))
  }
  const spec = yield* launchSpecOf(initial)
  const nothing = nothingToReplace(initial, spec, options.replaceAll)
  if (nothing !== undefined) return yield* upToDate(initial, nothing)

  // Plan the waves and the record (refused when it would not fit the group's tags), then claim the group.
  const plan = yield* planRollout(initial, stackName, options, spec, claim)
  if (claim !== undefined) yield* Claim.acquire(initial.name, stackName, claim, initial)
  yield* inspect(plan)
  // What each load balancer serves from the old instances now: a wave's new instances must give each at least what the
  // old ones it retires gave it (all of them in one wave).
  const startHealth = yield* readHealth(initial)

  // Record, suspend, and wave after wave raise, wait healthy, retire; an interruption rolls the current wave back.
  const outcome = yield* waves(plan, hub, startHealth).pipe(
    // The heartbeat lives as long as the waves: it ends before the record is removed.
    Effect.scoped,
    Effect.onInterrupt(() => rollBack(plan, "interrupted", "interrupted", new RolloutInterrupted({ group: initial.name }))),
    Effect.either
  )
  // A failure rolls the current wave back; otherwise the last wave commits. Neither can be interrupted.
  if (Either.isLeft(outcome)) {
    const e = outcome.left
    return yield* rollBack(plan, reasonOf(e), isWaitFailure(e) ? "rolled-back" : "failed", e)
  }
  if (outcome.right._tag === "CommitFailed") return yield* commitFailed(plan, outcome.right.error).pipe(Effect.uninterruptible)
  return yield* commit(plan, outcome.right.wave)
})

type WaveEnd =
  | { readonly _tag: "Ready"; readonly wave: Wave }
  | { readonly _tag: "CommitFailed"; readonly error: CommitError }

/**
 * Record, suspend, then wave after wave: raise, wait healthy, and — unless it is the last — commit it and plan the
 * next. Ends with the last wave ready to commit, or with the commit of an earlier wave failed.
 */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
const waves = Effect.fn("Rollout.waves")(function*(plan: Plan, hub: PollHub.PollHub, startHealth: LoadBalancerHealth) {
  let w = plan.first
  let lastSpread = Number.POSITIVE_INFINITY
  yield* writeRecord(plan)
  yield* suspend(plan)
  // From here the group may be raised at any moment: recover must look for new instances.
  yield* advance(plan, "scaling-out")
  while (true) {
    yield* raise(plan, w)
    yield* waitHealthy(plan, hub, w, startHealth)
    // After the last replacing wave, and after each balancing one: another balancing wave only while the zones are two
    // or more apart and this wave brought them closer. AWS may not launch where expected (a zone short of capacity).
    if (w.last) {
      const spread = yield* spreadAfterLast(plan, w)
      const closer = spread >= 2 && spread < lastSpread
      lastSpread = spread
      if (!closer) return { _tag: "Ready", wave: w } as WaveEnd
    }
    const done = yield* Effect.either(commitWave(plan, w))
    if (Either.isLeft(done)) return { _tag: "CommitFailed", error: done.left } as WaveEnd
    w = yield* nextWave(plan, w, done.right)
  }
})

/** The record goes on the group before anything else changes: a run that dies from here on can be recovered. */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
const writeRecord = Effect.fn("Rollout.writeRecord")(function*(plan: Plan) {
  yield* (yield* AutoScaling).setTags(plan.name, plan.record)
  if (plan.claim !== undefined) yield* Claim.keepAlive(plan.name, plan.claim)
})

/** Suspends the processes that would act on their own; scaling policies keep working unless frozen. */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
const suspend = Effect.fn("Rollout.suspend")(function*(plan: Plan) {
  const asg = yield* AutoScaling
  const { freeze, name, toSuspend } = plan
  if (plan.revive) {
    yield* step(name, "resume", `resuming ${SCALING_PROCESS}, which a failed run left suspended: scaling stays alive during the rollout`)
    yield* asg.resumeProcesses(name, [SCALING_PROCESS])
  }
  if (toSuspend.length === 0) return
  yield* step(name, "suspend", `suspending ${toSuspend.join(", ")}${freeze ? "" : ` (${SCALING_PROCESS} stays on: scaling policies keep working)`}`)
  yield* asg.suspendProcesses(name, toSuspend)
})

/** "$Latest" / "$Default" resolved to a number, as the group's instances report their version. */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
const launchSpecOf = Effect.fn("Rollout.launchSpec")(function*(group: AutoScalingGroup) {
  const lt = group.launchTemplate
  if (lt === undefined) {
    return group.launchConfigurationName === undefined ? {} : { launchConfigurationName: group.launchConfigurationName }
  }
  if (lt.version !== "$Latest" && lt.version !== "$Default") return { launchTemplate: lt } satisfies LaunchSpec
  const versions = yield* (yield* LaunchTemplates).versions(lt.id)
  return { launchTemplate: { ...lt, version: lt.version === "$Latest" ? versions.latest : versions.default } }
})

/** Why the group needs no rollout, or undefined when it does. */
const nothingToReplace = (group: AutoScalingGroup, spec: LaunchSpec, replaceAll: boolean): string | undefined => {
  const running = group.instances.filter(isRunning)
  if (running.length === 0) return "no running instance to replace"
  if (!replaceAll && !running.some((i) => isOutdated(i, spec))) return "all instances run the group's launch spec"
  return undefined
}

const upToDate = (group: AutoScalingGroup, reason: string): Effect.Effect<GroupResult> => {
  const standby = idsOf(group.instances.filter(isStandby))
  const result: GroupResult = { name: group.name, status: "up-to-date", launched: [], terminated: [], leftSuspended: [], standby }
  return Effect.as(Effect.zipRight(step(group.name, "skip", reason), emit({ type: "group-result", ...result })), result)
}

/** Says what the rollout is about to replace, and how. */
const inspect = (plan: Plan): Effect.Effect<void> => {
  const { capacity, outdated, running, standby, waved, waves } = plan
  const count = waveCount(waves, capacity)
  return step(plan.name, "inspect", `${outdated.length} of ${running.length} running instances outdated; replacing ${capacity} (capacity units)${waved ? ` in ${count} wave${plural(count)} of up to ${waves.surge}${waves.canary === undefined ? "" : `, a canary of ${waves.canary} first`}` : ""}${standby.length > 0 ? `; ${standby.length} in Standby kept as they are` : ""}`)
}
