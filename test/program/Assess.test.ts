import { describe, expect, it } from "@effect/vitest"
import { assess, baselineOf } from "../../src/program/rollout/Assess.js"
import type { AsgInstance, AutoScalingGroup } from "../../src/services/AutoScaling.js"

const LT = "lt-0123456789abcdef0"

const instance = (id: string, version: string, zone = "eu-west-1a", state = "InService"): AsgInstance => ({
  instanceId: id,
  lifecycleState: state,
  healthStatus: "Healthy",
  availabilityZone: zone,
  protectedFromScaleIn: false,
  launchTemplate: { id: LT, version },
  weightedCapacity: 1
})

const groupOf = (instances: ReadonlyArray<AsgInstance>, lbs: { readonly classic?: ReadonlyArray<string>; readonly tg?: ReadonlyArray<string> } = {}): AutoScalingGroup => ({
  name: "web",
  minSize: 2,
  maxSize: 6,
  desiredCapacity: 4,
  launchTemplate: { id: LT, version: "2" },
  loadBalancerNames: lbs.classic ?? [],
  targetGroupArns: lbs.tg ?? [],
  instances,
  suspendedProcesses: [],
  tags: {},
  healthCheckType: "EC2"
})

const none = { classic: {}, targetGroups: {} }

describe("assessing a poll round", () => {
  it("an instance that does not run the group's launch spec is not new, however healthy (a warm pool's, say)", () => {
    const g = groupOf([instance("i-old", "1"), instance("i-pooled", "1"), instance("i-new", "2")])
    const a = assess(g, none, { oldIds: new Set(["i-old"]), seenNew: new Set(), everHealthy: new Set(), spec: { launchTemplate: { id: LT, version: "2" } } })
    expect(a.newInstances.map((i) => i.instanceId)).toEqual(["i-new"])
    expect(a.healthyCapacity).toBe(1)
  })

  it("a Pending instance is never healthy, even in a group without load balancers", () => {
    const g = groupOf([instance("i-old", "1"), instance("i-new", "2", "eu-west-1a", "Pending")])
    expect(assess(g, none, { oldIds: new Set(["i-old"]), seenNew: new Set(), everHealthy: new Set() }).healthyCapacity).toBe(0)
  })

  it("a target its load balancer cannot route to does not hold the rollout, but each load balancer needs what it had", () => {
    const TG = "arn:tg"
    const old = [instance("i-o1", "1", "eu-west-1a"), instance("i-o2", "1", "eu-west-1c")]
    const fresh = [instance("i-n1", "2", "eu-west-1a"), instance("i-n2", "2", "eu-west-1c")]
    const start = { classic: {}, targetGroups: { [TG]: [{ instanceId: "i-o1", state: "healthy" }, { instanceId: "i-o2", state: "unused", reason: "Target.NotInUse" }] } }
    const baseline = baselineOf(groupOf(old, { tg: [TG] }), start, old)
    expect(baseline).toEqual({ classic: {}, targetGroups: { [TG]: 1 } })
    const g = groupOf([...old, ...fresh], { tg: [TG] })
    const input = { oldIds: new Set(["i-o1", "i-o2"]), seenNew: new Set<string>(), everHealthy: new Set<string>(), baseline }
    const booting = { classic: {}, targetGroups: { [TG]: [{ instanceId: "i-n1", state: "initial" }, { instanceId: "i-n2", state: "unused", reason: "Target.NotInUse" }] } }
    expect(assess(g, booting, input)).toMatchObject({ healthyCapacity: 1, short: [TG] })
    const ready = { classic: {}, targetGroups: { [TG]: [{ instanceId: "i-n1", state: "healthy" }, { instanceId: "i-n2", state: "unused", reason: "Target.NotInUse" }] } }
    expect(assess(g, ready, input)).toMatchObject({ healthyCapacity: 2, short: [] })
  })
})
