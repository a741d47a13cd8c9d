import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AwsError } from "./Errors.js"

export interface LaunchTemplateRef {
  readonly id: string
  readonly name?: string
  /** A number as a string, or "$Latest" / "$Default" on a group. */
  readonly version: string
}

export interface AsgInstance {
  readonly instanceId: string
  /** Pending, InService, Terminating, Terminated, Standby, ... as AWS spells it. */
  readonly lifecycleState: string
  /** "Healthy" or "Unhealthy". */
  readonly healthStatus: string
  readonly availabilityZone: string
  readonly protectedFromScaleIn: boolean
  readonly launchConfigurationName?: string
  readonly launchTemplate?: LaunchTemplateRef
  /** Capacity units under a mixed-instances policy with weights; 1 otherwise. */
  readonly weightedCapacity: number
}

export interface AutoScalingGroup {
  readonly name: string
  readonly minSize: number
  readonly maxSize: number
  readonly desiredCapacity: number
  readonly launchConfigurationName?: string
  /** The group's launch template, also when it sits in a MixedInstancesPolicy. */
  readonly launchTemplate?: LaunchTemplateRef
  readonly loadBalancerNames: ReadonlyArray<string>
  readonly targetGroupArns: ReadonlyArray<string>
  readonly instances: ReadonlyArray<AsgInstance>
  readonly suspendedProcesses: ReadonlyArray<string>
  readonly tags: Readonly<Record<string, string>>
  readonly healthCheckType: string
  /** Present when the group has a warm pool: how many instances wait in it (built from the spec of their time). */
  readonly warmPool?: { readonly size: number }
  /** Set by AWS while the group is being deleted. */
  readonly status?: string
}

/** An instance as DescribeAutoScalingInstances reports it. */
export interface ManagedInstance {
  readonly instanceId: string
  readonly group: string
  /** Pending, InService, Terminating, Terminating:Wait, ... as AWS spells it. */
  readonly lifecycleState: string
}

export interface GroupSizes {
  readonly minSize: number
  readonly maxSize: number
  readonly desiredCapacity: number
}

/** The Auto Scaling calls the rollout needs, in our own types. */
export class AutoScaling extends Context.Tag("aws-ha-updater/AutoScaling")<
  AutoScaling,
  {
    /** Groups by name, batched to the API's limit; names not found are absent from the result. */
    readonly describeGroups: (names: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<AutoScalingGroup>, AwsError>
    /** An empty list would mean "all processes" to AWS: callers never pass one. */
    readonly suspendProcesses: (group: string, processes: ReadonlyArray<string>) => Effect.Effect<void, AwsError>
    readonly resumeProcesses: (group: string, processes: ReadonlyArray<string>) => Effect.Effect<void, AwsError>
    readonly updateSizes: (group: string, sizes: Partial<GroupSizes>) => Effect.Effect<void, AwsError>
    /** Only requests the termination; retried after an ambiguous failure only once a look shows it did not happen. */
    readonly terminateInstance: (instanceId: string, decrementDesired: boolean) => Effect.Effect<void, AwsError>
    /** DescribeAutoScalingInstances: instances Auto Scaling no longer manages (terminated long enough) are absent. */
    readonly describeInstances: (instanceIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ManagedInstance>, AwsError>
    /** CreateOrUpdateTags with PropagateAtLaunch=false. */
    readonly setTags: (group: string, tags: Readonly<Record<string, string>>) => Effect.Effect<void, AwsError>
    readonly deleteTags: (group: string, keys: ReadonlyArray<string>) => Effect.Effect<void, AwsError>
    /** True when an Instance Refresh is pending or in progress on the group: it would compete with us. */
    readonly instanceRefreshInProgress: (group: string) => Effect.Effect<boolean, AwsError>
  }
>() {}
