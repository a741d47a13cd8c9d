import type * as ELB from "@aws-sdk/client-elastic-load-balancing"
import type * as ELBv2 from "@aws-sdk/client-elastic-load-balancing-v2"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type InstanceHealth, LoadBalancing } from "../../services/LoadBalancing.js"
import { retrying } from "../../services/Retry.js"
import type { AwsClientConfig } from "./AwsClientConfig.js"
import { lazyClient } from "./SdkClient.js"

/** "N/A" is what the classic API says when it has nothing to say. */
const meaningful = (text: string | undefined): string | undefined =>
  text !== undefined && text !== "" && text !== "N/A" ? text : undefined

export const toClassicHealth = (state: ELB.InstanceState): InstanceHealth => {
  const reason = meaningful(state.Description) ?? meaningful(state.ReasonCode)
  return {
    instanceId: state.InstanceId ?? "",
    state: state.State ?? "Unknown",
    ...(reason !== undefined ? { reason } : {})
  }
}

export const toTargetHealth = (target: ELBv2.TargetHealthDescription): InstanceHealth => {
  const reason = meaningful(target.TargetHealth?.Description) ?? meaningful(target.TargetHealth?.Reason)
  return {
    instanceId: target.Target?.Id ?? "",
    state: target.TargetHealth?.State ?? "unavailable",
    ...(reason !== undefined ? { reason } : {})
  }
}

/** Classic ELB and ELBv2 target groups; each SDK is loaded only once a group behind it is checked. */
export const layer: Layer.Layer<LoadBalancing, never, AwsClientConfig> = Layer.scoped(
  LoadBalancing,
  Effect.gen(function*() {
    const classic = yield* lazyClient(
      () => import("@aws-sdk/client-elastic-load-balancing"),
      (m, options) => new m.ElasticLoadBalancingClient(options)
    )
    const v2 = yield* lazyClient(
      () => import("@aws-sdk/client-elastic-load-balancing-v2"),
      (m, options) => new m.ElasticLoadBalancingV2Client(options)
    )

    return yield* retrying(LoadBalancing.of({
      classicHealth: (loadBalancerName, instanceIds) =>
        // An empty list would widen the question to every registered instance.
        instanceIds !== undefined && instanceIds.length === 0
          ? Effect.succeed([])
          : classic("DescribeInstanceHealth", (m, client, signal) =>
            client.send(
              new m.DescribeInstanceHealthCommand({
                LoadBalancerName: loadBalancerName,
                ...(instanceIds !== undefined ? { Instances: instanceIds.map((InstanceId) => ({ InstanceId })) } : {})
              }),
              { abortSignal: signal }
            )).pipe(Effect.map((out) => (out.InstanceStates ?? []).map(toClassicHealth))),

      targetHealth: (targetGroupArn) =>
        v2("DescribeTargetHealth", (m, client, signal) =>
          client.send(new m.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), {
            abortSignal: signal
          })).pipe(Effect.map((out) => (out.TargetHealthDescriptions ?? []).map(toTargetHealth)))
    }))
  })
)
