import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { AutoScalingGroup, GroupSizes } from "../services/AutoScaling.js"
import { AutoScaling } from "../services/AutoScaling.js"
import type { AwsError } from "../services/Errors.js"
import { capacityOf, isRunning } from "./Assess.js"
import { GroupNotFound } from "./RolloutErrors.js"

/** Terminating exactly some instances stopped part-way: `terminated` went, the rest did not. */
export class TerminationIncomplete extends Data.TaggedError("TerminationIncomplete")<{
  readonly group: string
  readonly terminated: ReadonlyArray<string>
  readonly cause: AwsError
}> {}

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
 * Terminates exactly `ids` with decrement. AWS refuses a decrement that would take desired below min, so min is
 * first lowered as far as these terminations need (never above `floorMin`, the min the group is restored to).
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
  const terminated: Array<string> = []
  yield* Effect.forEach(ids, (id) =>
    asg.terminateInstance(id, true).pipe(
      Effect.tap(() => Effect.sync(() => void terminated.push(id))),
      Effect.mapError((cause) => new TerminationIncomplete({ group: group.name, terminated: [...terminated], cause }))
    ), { discard: true })
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
  if (ownLaunch) yield* asg.suspendProcesses(o.name, ["Launch"])
  const listed = listedCapacityReachesDesired(first) ? first : yield* describeGroup(o.name, o.stackName).pipe(
    Effect.repeat(
      Schedule.spaced("1 second").pipe(
        Schedule.upTo(Duration.decode(o.listingTimeout)),
        Schedule.whileInput((g: AutoScalingGroup) => !listedCapacityReachesDesired(g)),
        Schedule.passthrough
      )
    )
  )
  const fresh = listed.instances.filter((i) => !o.isOld(i.instanceId) && !LEAVING.test(i.lifecycleState)).map((i) => i.instanceId)
  const terminated = yield* terminateExactly(listed, fresh, o.sizes.minSize)
  yield* asg.updateSizes(o.name, o.sizes).pipe(
    Effect.mapError((cause) => new TerminationIncomplete({ group: o.name, terminated, cause }))
  )
  if (ownLaunch) {
    yield* asg.resumeProcesses(o.name, ["Launch"]).pipe(
      Effect.mapError((cause) => new TerminationIncomplete({ group: o.name, terminated, cause }))
    )
  }
  return terminated
})
