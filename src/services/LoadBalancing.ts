import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AwsError } from "./Errors.js"

export interface InstanceHealth {
  readonly instanceId: string
  /** Classic: InService | OutOfService | Unknown. Target groups: initial | healthy | unhealthy | draining | ... */
  readonly state: string
  readonly reason?: string
}

export class LoadBalancing extends Context.Tag("aws-ha-updater/LoadBalancing")<
  LoadBalancing,
  {
    /** One DescribeInstanceHealth; all registered instances when `instanceIds` is omitted. */
    readonly classicHealth: (
      loadBalancerName: string,
      instanceIds?: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<InstanceHealth>, AwsError>
    /** One DescribeTargetHealth for the whole target group. */
    readonly targetHealth: (targetGroupArn: string) => Effect.Effect<ReadonlyArray<InstanceHealth>, AwsError>
  }
>() {}

export const isClassicHealthy = (h: InstanceHealth): boolean => h.state === "InService"
export const isTargetHealthy = (h: InstanceHealth): boolean => h.state === "healthy"
