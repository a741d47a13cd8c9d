import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { AutoScaling, AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import type { AwsValidationError, ScalingActivityInProgress } from "../../services/Errors.js"
import { invalid, type Runner, scalingActivityInProgress } from "./FakeCalls.js"
import { beginTermination } from "./FakeScaling.js"
import { type GroupState, type Settings, updateGroup, type World } from "./FakeState.js"
import { groupView } from "./FakeViews.js"

export const PROCESSES: ReadonlyArray<string> = [
  "Launch",
  "Terminate",
  "AddToLoadBalancer",
  "AlarmNotification",
  "AZRebalance",
  "HealthCheck",
  "InstanceRefresh",
  "ReplaceUnhealthy",
  "ScheduledActions"
]

/** 100 names a call, as the live layer asks with MaxRecords=100 (AWS takes 50 without it). */
const DESCRIBE_BATCH = 100

const findGroup = (w: World, operation: string, name: string): Either.Either<GroupState, AwsValidationError> => {
  const g = w.groups.get(name)
  return g !== undefined ? Either.right(g) : invalid(operation, `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`)
}

/**
 * With `scalingActivityConflicts`, a change of a group whose instances are launching or draining is refused, as
 * AWS refuses it while a scaling activity runs.
 */
const noActivityRunning = (
  w: World,
  s: Settings,
  operation: string,
  g: GroupState
): Either.Either<void, ScalingActivityInProgress> => {
  if (!s.scalingActivityConflicts) return Either.void
  for (const id of g.instanceIds) {
    const i = w.instances.get(id)
    if (i !== undefined && (i.lifecycleState === "Pending" || i.lifecycleState === "Terminating")) {
      return Either.left(scalingActivityInProgress(operation, id.replace(/^i-/, "")))
    }
  }
  return Either.void
}

const processList = (operation: string, processes: ReadonlyArray<string>) => {
  const unknown = processes.filter((p) => !PROCESSES.includes(p))
  if (unknown.length > 0) {
    return invalid(operation, `Process name(s) ${unknown.join(", ")} are not valid; valid processes are ${PROCESSES.join(", ")}`)
  }
  return Either.right(processes)
}

const sizes = (g: GroupState, given: Partial<GroupSizes>) => {
  const op = "UpdateAutoScalingGroup"
  const min = given.minSize ?? g.minSize
  const max = given.maxSize ?? g.maxSize
  if (min < 0 || max < 0 || (given.desiredCapacity ?? 0) < 0) return invalid(op, "Sizes must be greater than or equal to 0")
  if (min > max) return invalid(op, `Max bound, ${max}, must be greater than or equal to min bound, ${min}`)
  if (given.desiredCapacity === undefined) {
    // AWS moves desired into the new bounds when it is not given.
    return Either.right({ minSize: min, maxSize: max, desiredCapacity: Math.min(max, Math.max(min, g.desiredCapacity)) })
  }
  const desired = given.desiredCapacity
  if (desired < min || desired > max) {
    return invalid(op, `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`)
  }
  return Either.right({ minSize: min, maxSize: max, desiredCapacity: desired })
}

const tagLimits = (g: GroupState, tags: Readonly<Record<string, string>>) => {
  const op = "CreateOrUpdateTags"
  const entries = Object.entries(tags)
  for (const [n, [key, value]] of entries.entries()) {
    const at = `tags.${n + 1}.member`
    if (key.length === 0 || key.length > 128) {
      return invalid(op, `1 validation error detected: Value '${key}' at '${at}.key' failed to satisfy constraint: Member must have length between 1 and 128`)
    }
    if (value.length > 256) {
      return invalid(op, `1 validation error detected: Value '${value}' at '${at}.value' failed to satisfy constraint: Member must have length less than or equal to 256`)
    }
    if (key.toLowerCase().startsWith("aws:")) return invalid(op, `Tag keys starting with 'aws:' are reserved: ${key}`)
  }
  const merged = { ...g.tags, ...tags }
  if (Object.keys(merged).length > 50) {
    return invalid(op, `The number of tags on AutoScalingGroup ${g.name} would exceed the limit of 50`)
  }
  return Either.right(merged)
}

export const makeAutoScaling = (runner: Runner): typeof AutoScaling.Service => {
  const { call, settings } = runner
  const describeBatch = (names: ReadonlyArray<string>) =>
    call("DescribeAutoScalingGroups", (w) =>
      Either.right(names.flatMap((n) => {
        const g = w.groups.get(n)
        return g === undefined ? [] : [groupView(w, g)]
      })), { AutoScalingGroupNames: names })
  return {
    describeGroups: (names) => {
      const unique = [...new Set(names)]
      const batches = Array.from({ length: Math.ceil(unique.length / DESCRIBE_BATCH) }, (_, i) =>
        unique.slice(i * DESCRIBE_BATCH, (i + 1) * DESCRIBE_BATCH))
      return Effect.map(Effect.forEach(batches, describeBatch), (pages): ReadonlyArray<AutoScalingGroup> => pages.flat())
    },
    // As the live layer: no call for no process (to AWS an empty list means every one).
    suspendProcesses: (group, processes) =>
      processes.length === 0 ? Effect.void : call("SuspendProcesses", (w) =>
        Either.gen(function*() {
          const g = yield* findGroup(w, "SuspendProcesses", group)
          const list = yield* processList("SuspendProcesses", processes)
          updateGroup(w, group, { suspendedProcesses: [...g.suspendedProcesses, ...list.filter((p) => !g.suspendedProcesses.includes(p))] })
        }), { AutoScalingGroupName: group, ScalingProcesses: processes }),
    resumeProcesses: (group, processes) =>
      processes.length === 0 ? Effect.void : call("ResumeProcesses", (w) =>
        Either.gen(function*() {
          const g = yield* findGroup(w, "ResumeProcesses", group)
          const list = yield* processList("ResumeProcesses", processes)
          updateGroup(w, group, { suspendedProcesses: g.suspendedProcesses.filter((p) => !list.includes(p)) })
        }), { AutoScalingGroupName: group, ScalingProcesses: processes }),
    updateSizes: (group, given) =>
      call("UpdateAutoScalingGroup", (w) =>
        Either.gen(function*() {
          const g = yield* findGroup(w, "UpdateAutoScalingGroup", group)
          yield* noActivityRunning(w, settings, "UpdateAutoScalingGroup", g)
          updateGroup(w, group, yield* sizes(g, given))
        }), {
        AutoScalingGroupName: group,
        ...(given.minSize === undefined ? {} : { MinSize: given.minSize }),
        ...(given.maxSize === undefined ? {} : { MaxSize: given.maxSize }),
        ...(given.desiredCapacity === undefined ? {} : { DesiredCapacity: given.desiredCapacity })
      }),
    terminateInstance: (instanceId, decrementDesired) =>
      call("TerminateInstanceInAutoScalingGroup", (w): Either.Either<void, AwsValidationError | ScalingActivityInProgress> => {
        const op = "TerminateInstanceInAutoScalingGroup"
        const i = w.instances.get(instanceId)
        const g = i === undefined ? undefined : w.groups.get(i.group)
        if (i === undefined || g === undefined || i.lifecycleState === "Terminated") {
          return invalid(op, `Instance Id not found - No managed instance found for instance ID: ${instanceId}`)
        }
        const busy = noActivityRunning(w, settings, op, g)
        if (Either.isLeft(busy)) return busy
        // Already on its way out: AWS accepts the request again without changing anything.
        if (i.lifecycleState === "Terminating") return Either.void
        // Standby is outside desired: AWS leaves desired alone when one goes.
        if (decrementDesired && i.lifecycleState !== "Standby" && i.lifecycleState !== "EnteringStandby") {
          if (g.desiredCapacity - i.weight < g.minSize) {
            return invalid(
              op,
              `Currently, desiredSize equals minSize (${g.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`
            )
          }
          updateGroup(w, g.name, { desiredCapacity: g.desiredCapacity - i.weight })
        }
        beginTermination(w, i, settings)
        return Either.void
      }, { InstanceId: instanceId, ShouldDecrementDesiredCapacity: decrementDesired }),
    describeInstances: (instanceIds) =>
      call("DescribeAutoScalingInstances", (w) =>
        Either.right(instanceIds.flatMap((id) => {
          const i = w.instances.get(id)
          // A terminated instance is no longer managed: AWS stops listing it.
          return i === undefined || i.lifecycleState === "Terminated"
            ? []
            : [{ instanceId: i.instanceId, group: i.group, lifecycleState: i.lifecycleState }]
        })), { InstanceIds: instanceIds }),
    setTags: (group, tags) =>
      call("CreateOrUpdateTags", (w) =>
        Either.gen(function*() {
          const g = yield* findGroup(w, "CreateOrUpdateTags", group)
          updateGroup(w, group, { tags: yield* tagLimits(g, tags) })
        }), { AutoScalingGroupName: group, Tags: tags }),
    deleteTags: (group, keys) =>
      call("DeleteTags", (w) =>
        Either.gen(function*() {
          const g = yield* findGroup(w, "DeleteTags", group)
          updateGroup(w, group, { tags: Object.fromEntries(Object.entries(g.tags).filter(([k]) => !keys.includes(k))) })
        }), { AutoScalingGroupName: group, TagKeys: keys }),
    instanceRefreshInProgress: (group) =>
      call("DescribeInstanceRefreshes", (w) =>
        Either.map(findGroup(w, "DescribeInstanceRefreshes", group), (g) => g.instanceRefreshInProgress), { AutoScalingGroupName: group })
  }
}
