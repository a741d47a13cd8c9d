import * as Either from "effect/Either"
import type { InstanceHealth, LoadBalancing } from "../../services/LoadBalancing.js"
import { invalid, type Runner } from "./FakeCalls.js"
import { classicState } from "./FakeHealth.js"
import { classicView, targetView } from "./FakeViews.js"

/**
 * DescribeInstanceHealth with ids answers as AWS documents it: a registered instance with its state, a running
 * instance that is not registered as OutOfService, a terminated one not at all, an id EC2 never knew as
 * InvalidInstance (a ValidationError here).
 */
export const makeLoadBalancing = (runner: Runner): typeof LoadBalancing.Service => {
  const { call, settings } = runner
  return {
    classicHealth: (loadBalancerName, instanceIds) =>
      call("DescribeInstanceHealth", (w) => {
        const op = "DescribeInstanceHealth"
        const members = w.classicLoadBalancers.get(loadBalancerName)
        if (members === undefined) return invalid(op, `There is no ACTIVE Load Balancer named '${loadBalancerName}'`)
        if (instanceIds === undefined) return Either.right(classicView(w, loadBalancerName, settings))
        const unknown = instanceIds.filter((id) => !w.instances.has(id))
        if (unknown.length > 0) return invalid(op, `InvalidInstance: Could not find EC2 instance ${unknown.join(", ")}`)
        return Either.right(instanceIds.flatMap((id): ReadonlyArray<InstanceHealth> => {
          const i = w.instances.get(id)
          if (i === undefined || i.lifecycleState === "Terminated") return []
          if (!members.includes(id)) {
            return [{ instanceId: id, state: "OutOfService", reason: "Instance is not currently registered with the LoadBalancer." }]
          }
          return [classicState(w, i, settings, loadBalancerName)]
        }))
      }, { LoadBalancerName: loadBalancerName, ...(instanceIds === undefined ? {} : { Instances: instanceIds }) }),
    targetHealth: (targetGroupArn) =>
      call("DescribeTargetHealth", (w) =>
        w.targetGroups.has(targetGroupArn)
          ? Either.right(targetView(w, targetGroupArn, settings))
          : invalid("DescribeTargetHealth", `Target groups '${targetGroupArn}' not found`), { TargetGroupArn: targetGroupArn })
  }
}
