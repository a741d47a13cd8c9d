import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { capacityOf, healthyIn, isRunning, type LoadBalancerHealth } from "./Assess.js"
import { LoadBalancing } from "../../services/LoadBalancing.js"
import { GroupNotFound } from "./RolloutErrors.js"

/** Terminating exactly some instances stopped part-way: `terminated` went, the rest did not. */
export class TerminationIncomplete extends Data.TaggedError("TerminationIncomplete")<{
  readonly group: string
  readonly terminated: ReadonlyArray<string>
  readonly cause: AwsError | GroupNotFound
}> {}

/** A call made once `terminated` have left the group: its failure still names them. */
export const afterTerminating = (group: string, terminated: ReadonlyArray<string>) =>
  <A, R>(call: Effect.Effect<A, AwsError | GroupNotFound, R>): Effect.Effect<A, TerminationIncomplete, R> =>
    Effect.mapError(call, (cause) => new TerminationIncomplete({ group, terminated, cause }))

/** Terminations that stopped part-way after `earlier` had already left: the failure names those too. */
export const alsoTerminated = (earlier: ReadonlyArray<string>) =>
  <A, R>(effect: Effect.Effect<A, TerminationIncomplete, R>): Effect.Effect<A, TerminationIncomplete, R> =>
    Effect.mapError(effect, (e) => new TerminationIncomplete({ group: e.group, terminated: [...earlier, ...e.terminated], cause: e.cause }))

/** One DescribeInstanceHealth per CLB and one DescribeTargetHealth per target group of the group. */
export const readHealth = Effect.fn("Rollout.readHealth")(function*(group: AutoScalingGroup) {
  const lb = yield* LoadBalancing
  const [classic, targetGroups] = yield* Effect.all([
    Effect.forEach(group.loadBalancerNames, (n) => Effect.map(lb.classicHealth(n), (h) => [n, h] as const), {
      concurrency: "unbounded"
    }),
    Effect.forEach(group.targetGroupArns, (a) => Effect.map(lb.targetHealth(a), (h) => [a, h] as const), {
      concurrency: "unbounded"
    })
  ])
  return { classic: Object.fromEntries(classic), targetGroups: Object.fromEntries(targetGroups) } as LoadBalancerHealth
})

/** Leaving the group for good (Standby comes back, so it does not count). */
export const LEAVING = /^(Terminating|Terminated|Detach)/

export const describeGroup = (name: string, stackName: string): Effect.Effect<AutoScalingGroup, AwsError | GroupNotFound, AutoScaling> =>
  Effect.flatMap(AutoScaling, (asg) => asg.describeGroups([name])).pipe(
    Effect.flatMap((groups) => {
      const g = groups.find((x) => x.name === name)
      return g === undefined ? Effect.fail(new GroupNotFound({ group: name, stackName })) : Effect.succeed(g)
    })
  )

/**
 * AWS's answer to a terminate of an instance that finished leaving the group meanwhile (terminated from outside, say):
 * what the terminate was for has happened.
 */
const alreadyGone = (e: AwsError): boolean =>
  e._tag === "AwsValidationError" && /Instance Id not found|No managed instance found/i.test(e.message)

/** Terminations requested at once: a wave of a hundred retires in a few round trips, within AWS's request rates. */
export const TERMINATE_CONCURRENCY = 10

/**
 * Terminations one group sends at once. A run that rolls several groups together shares ten among them (at least one
 * each): AWS rates requests per account and region, and a hundred groups committing together must not send a thousand.
 */
export class TerminateConcurrency extends Context.Reference<TerminateConcurrency>()("aws-ha-updater/TerminateConcurrency", {
  defaultValue: (): number => TERMINATE_CONCURRENCY
}) {}

/** The share of each group when `groups` roll at once. */
export const terminateShare = (groups: number): number => Math.max(1, Math.ceil(TERMINATE_CONCURRENCY / Math.max(1, groups)))

/**
 * Terminates exactly `ids` with decrement, ten at a time. AWS refuses a decrement that would take desired below min,
 * so min is first lowered as far as these terminations need (never above `floorMin`, the min the group is restored to).
 */
export const terminateExactly = Effect.fn("Rollout.terminateExactly")(function*(
  group: AutoScalingGroup,
  ids: ReadonlyArray<string>,
  floorMin: number
) {
  const asg = yield* AutoScaling
  if (ids.length === 0) return [] as ReadonlyArray<string>
  const leaving = capacityOf(group.instances.filter((i) => ids.includes(i.instanceId) && isRunning(i)))
  const min = Math.max(0, Math.min(floorMin, group.desiredCapacity - leaving))
  if (group.minSize > min) {
    yield* asg.updateSizes(group.name, { minSize: min }).pipe(
      Effect.mapError((cause) => new TerminationIncomplete({ group: group.name, terminated: [], cause }))
    )
  }
  const inCapacity = new Set(group.instances.filter(isRunning).map((i) => i.instanceId))
  // A Standby instance is not part of desired: taking it away must not lower desired. Each request runs to its answer
  // even when another fails, so that `terminated` says exactly which ones AWS took.
  const answers = yield* Effect.forEach(ids, (id) => Effect.either(asg.terminateInstance(id, inCapacity.has(id)).pipe(Effect.catchIf(alreadyGone, () => Effect.void))), {
    concurrency: yield* TerminateConcurrency
  })
  const terminated = ids.filter((_, k) => answers[k]!._tag === "Right")
  const failure = answers.find((a) => a._tag === "Left")
  if (failure !== undefined && failure._tag === "Left") {
    return yield* Effect.fail(new TerminationIncomplete({ group: group.name, terminated, cause: failure.left }))
  }
  return terminated as ReadonlyArray<string>
})

export interface RemoveNewOptions {
  readonly name: string
  readonly stackName: string
  /** Instances of the group before the rollout: every other one goes. */
  readonly isOld: (instanceId: string) => boolean
  /** The sizes to restore once the new instances are gone. */
  readonly sizes: GroupSizes
  /** How long to wait for AWS to list what it launched (it lists a launch a few seconds late). */
  readonly listingTimeout: Duration.DurationInput
  /**
   * Runs before the first change, told whether Launch is ours to suspend and resume: the record must say so, so that
   * a run that dies meanwhile leaves `recover` what it needs.
   */
  readonly note: (suspendsLaunch: boolean) => Effect.Effect<void, AwsError>
  /** Processes to suspend for good together with Launch, in the same call (`note` records them first). */
  readonly suspendAlso?: ReadonlyArray<string>
}

const listedCapacityReachesDesired = (g: AutoScalingGroup): boolean =>
  capacityOf(g.instances.filter(isRunning)) >= g.desiredCapacity

/**
 * Takes every instance launched since the rollout began out of the group, and restores the sizes. Launch is suspended
 * first and the group read until it lists what the raised desired launched: a launch AWS had not listed yet would
 * otherwise survive, and restoring desired would then make AWS scale in its oldest instances — the serving ones.
 */
export const removeNewInstances = Effect.fn("Rollout.removeNewInstances")(function*(o: RemoveNewOptions) {
  const asg = yield* AutoScaling
  const first = yield* describeGroup(o.name, o.stackName)
  const ownLaunch = !first.suspendedProcesses.includes("Launch")
  yield* o.note(ownLaunch)
  const suspend = [...(o.suspendAlso ?? []).filter((p) => !first.suspendedProcesses.includes(p)), ...(ownLaunch ? ["Launch"] : [])]
  if (suspend.length > 0) yield* asg.suspendProcesses(o.name, suspend)
  const listed = yield* settledGroup(o.name, o.stackName, o.listingTimeout, first)
  const fresh = listed.instances.filter((i) => !o.isOld(i.instanceId) && !LEAVING.test(i.lifecycleState)).map((i) => i.instanceId)
  const terminated = yield* terminateExactly(listed, fresh, o.sizes.minSize)
  const done = afterTerminating(o.name, terminated)
  yield* done(asg.updateSizes(o.name, o.sizes))
  if (ownLaunch) yield* done(asg.resumeProcesses(o.name, ["Launch"]))
  return terminated
})

/**
 * The sizes of a scale-out that replaces `needed` running capacity: desired raised from the running capacity (which
 * may exceed desired under weights), min held at it so that nothing scales the group in while old and new run side by
 * side, max keeping its headroom above it.
 */
export const raisedSizes = (original: GroupSizes, needed: number): GroupSizes => {
  const desiredCapacity = Math.max(original.desiredCapacity, needed) + needed
  return {
    minSize: desiredCapacity,
    maxSize: Math.max(original.maxSize + desiredCapacity - original.desiredCapacity, desiredCapacity),
    desiredCapacity
  }
}

/** Reads the group (from `seen`, when just read) until it lists what its desired capacity launched, for at most `timeout`. */
export const settledGroup = (name: string, stackName: string, timeout: Duration.DurationInput, seen?: AutoScalingGroup) =>
  Effect.flatMap(seen === undefined ? describeGroup(name, stackName) : Effect.succeed(seen), (first) =>
    listedCapacityReachesDesired(first) ? Effect.succeed(first) : describeGroup(name, stackName).pipe(
      Effect.repeat(
        Schedule.spaced("1 second").pipe(
          Schedule.upTo(Duration.decode(timeout)),
          Schedule.whileInput((g: AutoScalingGroup) => !listedCapacityReachesDesired(g)),
          Schedule.passthrough
        )
      )
    ))

/**
 * Before desired goes back down: terminates by id the new instances beyond the capacity to keep, those not yet
 * healthy everywhere first. Left to itself, AWS would pick the victims by its termination policy — among instances of
 * one launch template, the oldest first: the proven ones, keeping those still booting. The group is read until it
 * lists every launch first (one it has not listed yet would be a victim AWS picks later); `keep` says, from that
 * group, what capacity to keep.
 */
export const trimSurplus = Effect.fn("Rollout.trimSurplus")(function*(
  name: string,
  stackName: string,
  isNew: (instanceId: string) => boolean,
  keep: (group: AutoScalingGroup) => number,
  floorMin: number,
  listingTimeout: Duration.DurationInput
) {
  const notYet = (cause: AwsError | GroupNotFound) => new TerminationIncomplete({ group: name, terminated: [], cause })
  const g = yield* Effect.mapError(settledGroup(name, stackName, listingTimeout), notYet)
  const running = g.instances.filter(isRunning)
  let surplus = capacityOf(running) - keep(g)
  if (surplus <= 0) return { group: g, terminated: [] as ReadonlyArray<string> }
  const healthy = healthyIn(g, yield* Effect.mapError(readHealth(g), notYet))
  const rank = (i: (typeof running)[number]) => (healthy(i) ? 2 : i.lifecycleState === "InService" ? 1 : 0)
  const candidates = running.filter((i) => isNew(i.instanceId)).sort((a, b) => rank(a) - rank(b) || b.instanceId.localeCompare(a.instanceId))
  const victims: Array<string> = []
  for (const i of candidates) {
    if (i.weightedCapacity > surplus) continue
    victims.push(i.instanceId)
    surplus -= i.weightedCapacity
  }
  return { group: g, terminated: yield* terminateExactly(g, victims, floorMin) }
})
