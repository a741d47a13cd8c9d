import type { AsgInstance, AutoScalingGroup } from "../../services/AutoScaling.js"
import type { InstanceHealth } from "../../services/LoadBalancing.js"
import { classicState, targetState } from "./FakeHealth.js"
import { type GroupState, groupInstances, type InstanceState, type Settings, type StackState, type World } from "./FakeState.js"
import type { FakeInstance, FakeStack, WorldSnapshot } from "./FakeWorld.js"

const launchSpec = (i: InstanceState) => ({
  ...(i.launchTemplate !== undefined ? { launchTemplate: i.launchTemplate } : {}),
  ...(i.launchConfigurationName !== undefined ? { launchConfigurationName: i.launchConfigurationName } : {})
})

export const asgInstanceView = (i: InstanceState): AsgInstance => ({
  instanceId: i.instanceId,
  lifecycleState: i.lifecycleState,
  healthStatus: i.healthStatus,
  availabilityZone: i.availabilityZone,
  protectedFromScaleIn: i.protectedFromScaleIn,
  ...launchSpec(i),
  weightedCapacity: i.weight
})

/** As DescribeAutoScalingGroups shows the group: Terminated instances are gone from it. */
export const groupView = (w: World, g: GroupState): AutoScalingGroup => ({
  name: g.name,
  minSize: g.minSize,
  maxSize: g.maxSize,
  desiredCapacity: g.desiredCapacity,
  ...(g.launchConfigurationName !== undefined ? { launchConfigurationName: g.launchConfigurationName } : {}),
  ...(g.launchTemplate !== undefined ? { launchTemplate: g.launchTemplate } : {}),
  loadBalancerNames: g.loadBalancerNames,
  targetGroupArns: g.targetGroupArns,
  instances: groupInstances(w, g).map(asgInstanceView),
  suspendedProcesses: g.suspendedProcesses,
  tags: g.tags,
  healthCheckType: g.healthCheckType
})

const registered = (w: World, ids: ReadonlyArray<string>): ReadonlyArray<InstanceState> =>
  ids.flatMap((id) => {
    const i = w.instances.get(id)
    return i === undefined || i.lifecycleState === "Terminated" ? [] : [i]
  })

export const classicView = (w: World, name: string, s: Settings): ReadonlyArray<InstanceHealth> =>
  registered(w, w.classicLoadBalancers.get(name) ?? []).map((i) => classicState(w, i, s))

export const targetView = (w: World, arn: string, s: Settings): ReadonlyArray<InstanceHealth> =>
  registered(w, w.targetGroups.get(arn) ?? []).map((i) => targetState(w, i, s))

const fakeInstanceView = (i: InstanceState): FakeInstance => ({
  instanceId: i.instanceId,
  group: i.group,
  lifecycleState: i.lifecycleState,
  healthStatus: i.healthStatus,
  ...launchSpec(i),
  launchedAt: i.launchedAt
})

const fakeStackView = (st: StackState): FakeStack => ({
  stackId: st.stackId,
  stackName: st.stackName,
  status: st.status,
  parameters: st.parameters,
  templateBody: st.templateBody,
  resources: Object.fromEntries(
    st.resources.map((r) => [r.logicalId, { physicalId: r.physicalId, resourceType: r.resourceType }])
  ),
  events: st.events
})

export const snapshotOf = (w: World, s: Settings): WorldSnapshot => ({
  now: w.now,
  groups: [...w.groups.values()].map((g) => groupView(w, g)),
  instances: [...w.instances.values()].map(fakeInstanceView),
  classicLoadBalancers: Object.fromEntries([...w.classicLoadBalancers.keys()].map((n) => [n, classicView(w, n, s)])),
  targetGroups: Object.fromEntries([...w.targetGroups.keys()].map((arn) => [arn, targetView(w, arn, s)])),
  stacks: [...w.stacks.values()].map(fakeStackView)
})
