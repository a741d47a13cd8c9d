import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { AlarmStateValue } from "../../services/Alarms.js"
import type { AutoScalingGroup, GroupSizes, LaunchTemplateRef } from "../../services/AutoScaling.js"
import type { StackEvent } from "../../services/CloudFormation.js"
import type { InstanceHealth } from "../../services/LoadBalancing.js"

/** How the simulated world behaves. Every delay is measured on `Clock`, so `TestClock` drives it. */
export interface FakeWorldOptions {
  /** Pending → InService in the group. Default 60 s. */
  readonly launchDelay?: Duration.DurationInput
  /** InService → healthy in the group's load balancers. Default 30 s. */
  readonly healthDelay?: Duration.DurationInput
  /** Terminating (deregistration / draining) → Terminated. Default 10 s. */
  readonly drainDelay?: Duration.DurationInput
  /** Launch → listed by DescribeAutoScalingGroups: AWS lists a new instance a few seconds after the launch. Default 3 s. */
  readonly listingDelay?: Duration.DurationInput
  /** Time between two events of a stack action. Default 5 s. */
  readonly stackEventInterval?: Duration.DurationInput
  /** DescribeStackEvents' page size. Default 100, as AWS's. */
  readonly stackEventPageSize?: number
  /** Whether a stack action's events carry its ClientRequestToken. Default true, as AWS's; false models a service that drops it. */
  readonly stackEventTokens?: boolean
  /** Region used in ARNs and S3 URLs. Default eu-west-1. */
  readonly region?: string
  /**
   * As AWS does, UpdateAutoScalingGroup, TerminateInstanceInAutoScalingGroup and SetDesiredCapacity answer
   * ScalingActivityInProgress while a scaling activity of the group runs (any of its instances Pending or
   * Terminating: launching or draining), changing nothing. Default false: the world lets every change through.
   */
  readonly scalingActivityConflicts?: boolean
}

/**
 * What an injected fault does to a call. "throttle", "transient", "scaling-activity" and "resource-contention"
 * answer Throttling, a 5xx, ScalingActivityInProgress or ResourceContention without the call taking effect;
 * "hang" never answers (until the caller gives up: it is interruptible); "ambiguous" takes effect in the world and
 * then answers a 5xx, as a lost response does.
 */
export type FaultKind = "throttle" | "transient" | "scaling-activity" | "resource-contention" | "hang" | "ambiguous"

export interface GroupSpec {
  readonly name: string
  readonly minSize: number
  readonly maxSize: number
  readonly desiredCapacity: number
  readonly launchTemplate?: LaunchTemplateRef
  readonly launchConfigurationName?: string
  readonly loadBalancerNames?: ReadonlyArray<string>
  readonly targetGroupArns?: ReadonlyArray<string>
  readonly suspendedProcesses?: ReadonlyArray<string>
  readonly tags?: Readonly<Record<string, string>>
  readonly healthCheckType?: "EC2" | "ELB"
  /**
   * Which instances the group picks when desired drops, after balancing zones. Default "Default", as AWS's: oldest
   * launch template or configuration first, then the one closest to the next billing hour.
   */
  readonly terminationPolicy?: TerminationPolicy
  /** Capacity units each instance it launches counts for (mixed-instances weights). Default 1. */
  readonly instanceWeight?: number
  /**
   * The weights of the instances it starts with, one instance each (their sum must reach desired); default
   * `instanceWeight` each. Lets a group's capacity overshoot desired, as mixed instance types do.
   */
  readonly initialWeights?: ReadonlyArray<number>
  /** A warm pool of this many stopped instances built from the launch spec of the moment; a scale-out takes them first. */
  readonly warmPoolSize?: number
}

export type TerminationPolicy = "Default" | "NewestInstance" | "OldestInstance" | "OldestLaunchTemplate" | "OldestLaunchConfiguration" | "ClosestToNextInstanceHour"

/** A load balancer's set-up: the Availability Zones it routes to (default every zone). */
export interface LoadBalancerSpec {
  readonly zones?: ReadonlyArray<string>
}

/** Marks a release (or one instance) as one that never passes a health check. */
export type NeverHealthyTarget =
  | { readonly launchTemplateId: string; readonly version: string }
  | { readonly launchConfigurationName: string }
  | { readonly instanceId: string }

export interface FakeInstance {
  readonly instanceId: string
  readonly group: string
  readonly lifecycleState: string
  readonly healthStatus: string
  readonly launchTemplate?: LaunchTemplateRef
  readonly launchConfigurationName?: string
  /** Epoch ms. */
  readonly launchedAt: number
}

export interface FakeStack {
  readonly stackId: string
  readonly stackName: string
  readonly status: string
  /** Parameter values as stored (NoEcho ones unmasked here; DescribeStacks masks them). */
  readonly parameters: Readonly<Record<string, string>>
  readonly templateBody: string
  /** Logical id → physical id. */
  readonly resources: Readonly<Record<string, { readonly physicalId: string; readonly resourceType: string }>>
  readonly events: ReadonlyArray<StackEvent>
  readonly tags: Readonly<Record<string, string>>
  readonly roleArn?: string
  readonly terminationProtection: boolean
  readonly notificationArns: ReadonlyArray<string>
}

export interface WorldSnapshot {
  /** Epoch ms at which the snapshot was taken. */
  readonly now: number
  readonly groups: ReadonlyArray<AutoScalingGroup>
  /** Every instance ever launched, terminated ones included. */
  readonly instances: ReadonlyArray<FakeInstance>
  readonly classicLoadBalancers: Readonly<Record<string, ReadonlyArray<InstanceHealth>>>
  readonly targetGroups: Readonly<Record<string, ReadonlyArray<InstanceHealth>>>
  readonly stacks: ReadonlyArray<FakeStack>
}

/** Every AWS operation the fake world answers, by its AWS name. */
export const OPERATIONS = [
  "DescribeAutoScalingGroups",
  "DescribeAutoScalingInstances",
  "SuspendProcesses",
  "ResumeProcesses",
  "UpdateAutoScalingGroup",
  "TerminateInstanceInAutoScalingGroup",
  "CreateOrUpdateTags",
  "DeleteTags",
  "DescribeInstanceRefreshes",
  "DescribeInstanceHealth",
  "DescribeTargetHealth",
  "DescribeLaunchTemplates",
  "DescribeAlarms",
  "DescribeStacks",
  "ListStackResources",
  "GetTemplate",
  "ValidateTemplate",
  "CreateStack",
  "UpdateStack",
  "DescribeStackEvents",
  "CreateChangeSet",
  "DescribeChangeSet",
  "DeleteChangeSet",
  "ExecuteChangeSet",
  "UpdateTerminationProtection",
  "HeadBucket",
  "PutObject"
] as const

/** An AWS operation the fake world answers: what `failNext` and the call log name. */
export type Operation = (typeof OPERATIONS)[number]

export interface CallRecord {
  /** The AWS operation name, e.g. "DescribeAutoScalingGroups", "TerminateInstanceInAutoScalingGroup". */
  readonly operation: Operation
  /**
   * The request as AWS would get it, by its parameter names (`InstanceId`, `ShouldDecrementDesiredCapacity`,
   * `AutoScalingGroupName`, …): e.g. the ids a run terminated are the `InstanceId`s of its terminate calls.
   */
  readonly params: Readonly<Record<string, unknown>>
  /** Epoch ms. */
  readonly at: number
  readonly mutating: boolean
  /** Whether the world answered it with an injected fault (a hung call counts: it never answered). */
  readonly failed: boolean
  /** The injected fault, when there was one. */
  readonly fault?: FaultKind
}

export interface StackSpec {
  readonly name: string
  readonly templateBody: string
  readonly parameters?: Readonly<Record<string, string>>
  /**
   * Logical id → name of a group already added with `addGroup`. Resources not listed here are created from the
   * template as a CreateStack would create them.
   */
  readonly existingGroups?: Readonly<Record<string, string>>
  /** Stack tags it was created with. */
  readonly tags?: Readonly<Record<string, string>>
  readonly terminationProtection?: boolean
}

/** The control and observation side of the simulated AWS world, for tests and the demo. */
export class FakeWorld extends Context.Tag("aws-ha-updater/FakeWorld")<
  FakeWorld,
  {
    /** Adds a group whose `desiredCapacity` instances are InService and healthy in its load balancers at once. */
    readonly addGroup: (spec: GroupSpec) => Effect.Effect<void>
    /** A classic ELB; an instance in a zone it does not enable is OutOfService there, for ever. */
    readonly addClassicLoadBalancer: (name: string, spec?: LoadBalancerSpec) => Effect.Effect<void>
    /** A target group; a target in a zone its load balancer does not enable stays `unused`. */
    readonly addTargetGroup: (arn: string, spec?: LoadBalancerSpec) => Effect.Effect<void>
    /** A stack in CREATE_COMPLETE, as if created long ago; its nested stacks too, from the templates put. */
    readonly addStack: (spec: StackSpec) => Effect.Effect<void>
    /**
     * An object in a bucket added with `addBucket`, e.g. a nested stack's template: CloudFormation reads its TemplateURL
     * (`https://s3.amazonaws.com/BUCKET/KEY` or `https://BUCKET.s3.REGION.amazonaws.com/KEY`) when a stack action
     * creates or updates the nested stack.
     */
    readonly putObject: (bucket: string, key: string, body: string) => Effect.Effect<void>
    /** A new release: the group now launches from this version; its running instances become outdated. */
    readonly setLaunchTemplateVersion: (group: string, version: string) => Effect.Effect<void>
    readonly setLaunchConfiguration: (group: string, name: string) => Effect.Effect<void>
    readonly markNeverHealthy: (target: NeverHealthyTarget) => Effect.Effect<void>
    /**
     * EnterStandby: the instance is deregistered from its load balancers (EnteringStandby for the drain delay), then
     * Standby: it stays in the group but not in its capacity. With `decrement` (default true) desired drops by its
     * weight, else the group launches a replacement.
     */
    readonly enterStandby: (instanceId: string, decrement?: boolean) => Effect.Effect<void>
    /** ExitStandby: desired grows by its weight, and it comes back through Pending as a launch does. */
    readonly exitStandby: (instanceId: string) => Effect.Effect<void>
    /**
     * An Availability Zone runs short of capacity (`short` false: it has capacity again). As AWS does, a group then
     * launches in its other zones, emptiest first, and AZRebalance cannot launch there. At least one zone keeps capacity.
     */
    readonly zoneShortOfCapacity: (zone: string, short?: boolean) => Effect.Effect<void>
    /** Sets ProtectedFromScaleIn: the group then skips the instance when it picks whom to terminate on scale-in. */
    readonly protectFromScaleIn: (instanceId: string, protect?: boolean) => Effect.Effect<void>
    /**
     * Someone else changes the group's sizes, as a scaling policy, a scheduled action or a person would (not one of
     * our calls: never recorded, never faulted). AWS's rules apply: desired must end inside [min, max].
     */
    readonly setSizes: (group: string, sizes: Partial<GroupSizes>) => Effect.Effect<void>
    /**
     * An alarm-driven simple scaling policy of the group executes, adding `change` (negative: removing) to desired.
     * AWS clamps the result into [min, max], and ignores the policy while the group's AlarmNotification is suspended.
     * Not one of our calls: never recorded, never faulted. Succeeds with whether desired changed.
     */
    readonly firePolicy: (group: string, change: number) => Effect.Effect<boolean>
    /** Creates or replaces a CloudWatch alarm, in `state` (default "OK") for `reason` (default CloudWatch's first one). */
    readonly putAlarm: (name: string, state?: AlarmStateValue, reason?: string) => Effect.Effect<void>
    /** As `aws cloudwatch set-alarm-state`: the alarm must exist already. */
    readonly setAlarmState: (name: string, state: AlarmStateValue, reason: string) => Effect.Effect<void>
    /** What "$Default" of the launch template resolves to (default "1"). */
    readonly setDefaultLaunchTemplateVersion: (launchTemplateId: string, version: string) => Effect.Effect<void>
    /** The instance fails its health checks from `after` on (default: now). */
    readonly makeUnhealthy: (instanceId: string, after?: Duration.DurationInput) => Effect.Effect<void>
    /** The instance is terminated from outside (EC2, spot), from `after` on (default: now). */
    readonly terminateInstance: (instanceId: string, after?: Duration.DurationInput) => Effect.Effect<void>
    /** The next `count` calls of `operation` meet the fault `kind` (see `FaultKind`); each is in `calls`. */
    readonly failNext: (operation: Operation, count: number, kind: FaultKind) => Effect.Effect<void>
    /** The next update of the stack fails at `logicalId`, then rolls back to UPDATE_ROLLBACK_COMPLETE. */
    readonly failNextStackUpdate: (stackName: string, logicalId: string, reason: string) => Effect.Effect<void>
    /** CloudFormation accepts the stack's next update at once but logs its first event only `after` it. */
    readonly delayNextStackAction: (stackName: string, after: Duration.DurationInput) => Effect.Effect<void>
    /** An empty S3 bucket, for templates sent by TemplateURL. */
    readonly addBucket: (name: string) => Effect.Effect<void>
    /** The bucket's objects, key → body. */
    readonly bucketObjects: (name: string) => Effect.Effect<Readonly<Record<string, string>>>
    /** The whole world as of Clock's now. */
    readonly snapshot: Effect.Effect<WorldSnapshot>
    readonly calls: Effect.Effect<ReadonlyArray<CallRecord>>
    /** Instances of the group InService in it and healthy in every one of its CLBs and target groups. */
    readonly healthyCount: (group: string) => Effect.Effect<number>
  }
>() {}

export const MUTATING_OPERATIONS: ReadonlySet<string> = new Set([
  "SuspendProcesses",
  "ResumeProcesses",
  "UpdateAutoScalingGroup",
  "TerminateInstanceInAutoScalingGroup",
  "SetDesiredCapacity",
  "CreateOrUpdateTags",
  "DeleteTags",
  "CreateStack",
  "UpdateStack",
  "DeleteStack",
  "CreateChangeSet",
  "ExecuteChangeSet",
  "DeleteChangeSet",
  "UpdateTerminationProtection",
  "PutObject"
])
