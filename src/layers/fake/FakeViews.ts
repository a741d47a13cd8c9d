import type { AsgInstance, AutoScalingGroup } from "../../services/AutoScaling.js"
import type { InstanceHealth } from "../../services/LoadBalancing.js"
import { classicState, targetState } from "./FakeHealth.js"
import { type GroupState, type InstanceState, type Settings, type StackState, type World } from "./FakeState.js"
import type { FakeInstance, FakeStack, WorldSnapshot } from "./FakeWorld.js"

const launchSpec = (i: InstanceState) => ({
  ...(i.launchTemplate !== undefined ? { launchTemplate: i.launchTemplate } : {}),
  ...(i.launchConfigurationName !== undefined ? { launchConfigurationName: i.launchConfigurationName } : {})
})

/** DescribeAutoScalingGroups' view of an instance; optional fields only when set, as the SDK leaves them out. */
export const asgInstanceView = (i: InstanceState): AsgInstance => {
  const view: { -readonly [K in keyof AsgInstance]: AsgInstance[K] } = {
    instanceId: i.instanceId,
    lifecycleState: i.lifecycleState,
    healthStatus: i.healthStatus,
    availabilityZone: i.availabilityZone,
    protectedFromScaleIn: i.protectedFromScaleIn,
    weightedCapacity: i.weight
  }
  if (i.launchTemplate !== undefined) view.launchTemplate = i.launchTemplate
  if (i.launchConfigurationName !== undefined) view.launchConfigurationName = i.launchConfigurationName
  return view
}

const asgInstanceViews = (w: World, g: GroupState): Array<AsgInstance> => {
  const out: Array<AsgInstance> = []
  const ids = g.instanceIds
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    // AWS lists a new instance only some seconds after the call that launched it.
    if (i !== undefined && (i.listedAt === undefined || i.listedAt <= w.now)) out.push(asgInstanceView(i))
  }
  return out
}

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
  instances: asgInstanceViews(w, g),
  suspendedProcesses: g.suspendedProcesses,
  tags: g.tags,
  healthCheckType: g.healthCheckType,
  ...(g.warmPoolSize !== undefined ? { warmPool: { size: g.warmPoolIds.length } } : {})
})

/** `state` of every registered instance that is not Terminated, in registration order. */
const registeredView = (
  w: World,
  ids: ReadonlyArray<string>,
  s: Settings,
  state: (w: World, i: InstanceState, s: Settings, name: string) => InstanceHealth,
  name: string
): ReadonlyArray<InstanceHealth> => {
  const out: Array<InstanceHealth> = []
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    if (i !== undefined && i.lifecycleState !== "Terminated") out.push(state(w, i, s, name))
  }
  return out
}

export const classicView = (w: World, name: string, s: Settings): ReadonlyArray<InstanceHealth> =>
  registeredView(w, w.classicLoadBalancers.get(name) ?? [], s, classicState, name)

export const targetView = (w: World, arn: string, s: Settings): ReadonlyArray<InstanceHealth> =>
  registeredView(w, w.targetGroups.get(arn) ?? [], s, targetState, arn)

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
  events: st.events,
  tags: Object.fromEntries((st.tags ?? []).map((t) => [t.key, t.value])),
  ...(st.roleArn !== undefined ? { roleArn: st.roleArn } : {}),
  terminationProtection: st.terminationProtection ?? false,
  notificationArns: st.notificationArns ?? []
})

export const snapshotOf = (w: World, s: Settings): WorldSnapshot => ({
  now: w.now,
  groups: [...w.groups.values()].map((g) => groupView(w, g)),
  instances: [...w.instances.values()].map(fakeInstanceView),
  classicLoadBalancers: Object.fromEntries([...w.classicLoadBalancers.keys()].map((n) => [n, classicView(w, n, s)])),
  targetGroups: Object.fromEntries([...w.targetGroups.keys()].map((arn) => [arn, targetView(w, arn, s)])),
  stacks: [...w.stacks.values()].map(fakeStackView)
})
