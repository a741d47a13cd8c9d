import type * as AS from "@aws-sdk/client-auto-scaling"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  type AsgInstance,
  AutoScaling,
  type AutoScalingGroup,
  type LaunchTemplateRef,
  type ManagedInstance
} from "../../services/AutoScaling.js"
import { retrying } from "../../services/Retry.js"
import { terminateLooks } from "../../services/TerminateCheck.js"
import type { AwsClientConfig } from "./AwsClientConfig.js"
import { lazyClient } from "./SdkClient.js"

/** DescribeAutoScalingGroups accepts at most 100 names per call with MaxRecords=100. */
const describeBatch = 100

/** DescribeAutoScalingInstances accepts at most 50 instance ids per call. */
const instancesBatch = 50

/** Instance Refresh statuses during which a refresh still replaces instances. */
const activeRefreshStatuses: ReadonlySet<string> = new Set([
  "Pending",
  "InProgress",
  "Cancelling",
  "RollbackInProgress",
  "Baking"
])

const toLaunchTemplate = (spec: AS.LaunchTemplateSpecification | undefined): LaunchTemplateRef | undefined => {
  if (spec?.LaunchTemplateId === undefined) return undefined
  return {
    id: spec.LaunchTemplateId,
    ...(spec.LaunchTemplateName !== undefined ? { name: spec.LaunchTemplateName } : {}),
    // AWS uses the template's default version when a group names none.
    version: spec.Version ?? "$Default"
  }
}

const toWeight = (weight: string | undefined): number => {
  const parsed = weight === undefined ? Number.NaN : Number(weight)
  return Number.isFinite(parsed) && parsed > 0 ? parsed : 1
}

const toInstance = (i: AS.Instance): AsgInstance => {
  const launchTemplate = toLaunchTemplate(i.LaunchTemplate)
  return {
    instanceId: i.InstanceId ?? "",
    lifecycleState: i.LifecycleState ?? "",
    healthStatus: i.HealthStatus ?? "",
    availabilityZone: i.AvailabilityZone ?? "",
    protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
    ...(i.LaunchConfigurationName !== undefined ? { launchConfigurationName: i.LaunchConfigurationName } : {}),
    ...(launchTemplate !== undefined ? { launchTemplate } : {}),
    weightedCapacity: toWeight(i.WeightedCapacity)
  }
}

export const toGroup = (g: AS.AutoScalingGroup): AutoScalingGroup => {
  const launchTemplate = toLaunchTemplate(
    g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification
  )
  const tags: Record<string, string> = {}
  for (const tag of g.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? ""
  }
  return {
    name: g.AutoScalingGroupName ?? "",
    minSize: g.MinSize ?? 0,
    maxSize: g.MaxSize ?? 0,
    desiredCapacity: g.DesiredCapacity ?? 0,
    ...(g.LaunchConfigurationName !== undefined ? { launchConfigurationName: g.LaunchConfigurationName } : {}),
    ...(launchTemplate !== undefined ? { launchTemplate } : {}),
    loadBalancerNames: g.LoadBalancerNames ?? [],
    targetGroupArns: g.TargetGroupARNs ?? [],
    instances: (g.Instances ?? []).map(toInstance),
    suspendedProcesses: (g.SuspendedProcesses ?? []).flatMap((p) =>
      p.ProcessName !== undefined ? [p.ProcessName] : []
    ),
    tags,
    healthCheckType: g.HealthCheckType ?? "EC2",
    ...(g.WarmPoolConfiguration !== undefined ? { warmPool: { size: g.WarmPoolSize ?? 0 } } : {}),
    ...(g.Status !== undefined ? { status: g.Status } : {})
  }
}

export const layer: Layer.Layer<AutoScaling, never, AwsClientConfig> = Layer.scoped(
  AutoScaling,
  Effect.gen(function*() {
    const send = yield* lazyClient(
      () => import("@aws-sdk/client-auto-scaling"),
      (m, options) => new m.AutoScalingClient(options)
    )

    const describeBatchOf = (names: ReadonlyArray<string>) =>
      send("DescribeAutoScalingGroups", async (m, client, signal) => {
        const groups: Array<AS.AutoScalingGroup> = []
        const pages = m.paginateDescribeAutoScalingGroups(
          { client, pageSize: describeBatch },
          { AutoScalingGroupNames: [...names], MaxRecords: describeBatch },
          { abortSignal: signal }
        )
        for await (const page of pages) groups.push(...(page.AutoScalingGroups ?? []))
        return groups
      })

    const service = AutoScaling.of({
      describeGroups: (names) => {
        const unique = Arr.dedupe(names)
        // An empty name list would describe every group of the account.
        if (unique.length === 0) return Effect.succeed([])
        return Effect.forEach(Arr.chunksOf(unique, describeBatch), describeBatchOf).pipe(
          Effect.map((batches) => batches.flat().map(toGroup))
        )
      },

      suspendProcesses: (group, processes) =>
        // An empty list would suspend every process.
        processes.length === 0 ? Effect.void : send("SuspendProcesses", (m, client, signal) =>
          client.send(
            new m.SuspendProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: [...processes] }),
            { abortSignal: signal }
          )).pipe(Effect.asVoid),

      resumeProcesses: (group, processes) =>
        // An empty list would resume every process, also those someone else suspended.
        processes.length === 0 ? Effect.void : send("ResumeProcesses", (m, client, signal) =>
          client.send(
            new m.ResumeProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: [...processes] }),
            { abortSignal: signal }
          )).pipe(Effect.asVoid),

      updateSizes: (group, sizes) => {
        const input: AS.UpdateAutoScalingGroupCommandInput = {
          AutoScalingGroupName: group,
          ...(sizes.minSize !== undefined ? { MinSize: sizes.minSize } : {}),
          ...(sizes.maxSize !== undefined ? { MaxSize: sizes.maxSize } : {}),
          ...(sizes.desiredCapacity !== undefined ? { DesiredCapacity: sizes.desiredCapacity } : {})
        }
        if (Object.keys(input).length === 1) return Effect.void
        return send("UpdateAutoScalingGroup", (m, client, signal) =>
          client.send(new m.UpdateAutoScalingGroupCommand(input), { abortSignal: signal })).pipe(Effect.asVoid)
      },

      terminateInstance: (instanceId, decrementDesired) =>
        send("TerminateInstanceInAutoScalingGroup", (m, client, signal) =>
          client.send(
            new m.TerminateInstanceInAutoScalingGroupCommand({
              InstanceId: instanceId,
              ShouldDecrementDesiredCapacity: decrementDesired
            }),
            { abortSignal: signal }
          )).pipe(Effect.asVoid),

      describeInstances: (instanceIds) => {
        const unique = Arr.dedupe(instanceIds)
        // An empty id list would describe every instance of the account.
        if (unique.length === 0) return Effect.succeed([])
        return Effect.forEach(Arr.chunksOf(unique, instancesBatch), (ids) =>
          send("DescribeAutoScalingInstances", async (m, client, signal) => {
            const found: Array<ManagedInstance> = []
            const pages = m.paginateDescribeAutoScalingInstances(
              { client, pageSize: instancesBatch },
              { InstanceIds: [...ids], MaxRecords: instancesBatch },
              { abortSignal: signal }
            )
            for await (const page of pages) {
              for (const i of page.AutoScalingInstances ?? []) {
                found.push({
                  instanceId: i.InstanceId ?? "",
                  group: i.AutoScalingGroupName ?? "",
                  lifecycleState: i.LifecycleState ?? ""
                })
              }
            }
            return found
          })).pipe(Effect.map((batches) => batches.flat()))
      },

      setTags: (group, tags) => {
        const entries = Object.entries(tags)
        if (entries.length === 0) return Effect.void
        return send("CreateOrUpdateTags", (m, client, signal) =>
          client.send(
            new m.CreateOrUpdateTagsCommand({
              Tags: entries.map(([Key, Value]) => ({
                ResourceId: group,
                ResourceType: "auto-scaling-group",
                Key,
                Value,
                PropagateAtLaunch: false
              }))
            }),
            { abortSignal: signal }
          )).pipe(Effect.asVoid)
      },

      deleteTags: (group, keys) =>
        keys.length === 0 ? Effect.void : send("DeleteTags", (m, client, signal) =>
          client.send(
            new m.DeleteTagsCommand({
              Tags: keys.map((Key) => ({ ResourceId: group, ResourceType: "auto-scaling-group", Key }))
            }),
            { abortSignal: signal }
          )).pipe(Effect.asVoid),

      instanceRefreshInProgress: (group) =>
        // Refreshes come newest first and only one can be active, so the first page is enough.
        send("DescribeInstanceRefreshes", (m, client, signal) =>
          client.send(
            new m.DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 10 }),
            { abortSignal: signal }
          )).pipe(
            Effect.map((out) =>
              (out.InstanceRefreshes ?? []).some((r) => r.Status !== undefined && activeRefreshStatuses.has(r.Status))
            )
          )
    })
    return yield* retrying(service, terminateLooks(service))
  })
)
