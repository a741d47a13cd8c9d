import { describe, expect, it } from "@effect/vitest"
import { assess, capacityOf, healthyIn, isOutdated, isRunning, type LoadBalancerHealth } from "../../src/program/rollout/Assess.js"
import type { AsgInstance, AutoScalingGroup } from "../../src/services/AutoScaling.js"

const LT = { id: "lt-1", name: "web", version: "2" }

const instance = (instanceId: string, fields: Partial<AsgInstance> = {}): AsgInstance => ({
  instanceId,
  lifecycleState: "InService",
  healthStatus: "Healthy",
  availabilityZone: "eu-west-1a",
  protectedFromScaleIn: false,
  launchTemplate: LT,
  weightedCapacity: 1,
  ...fields
})

const groupOf = (instances: ReadonlyArray<AsgInstance>, fields: Partial<AutoScalingGroup> = {}): AutoScalingGroup => ({
  name: "web",
  minSize: 1,
  maxSize: 4,
  desiredCapacity: 2,
  launchTemplate: LT,
  loadBalancerNames: [],
  targetGroupArns: [],
  instances,
  suspendedProcesses: [],
  tags: {},
  healthCheckType: "EC2",
  ...fields
})

const noLb: LoadBalancerHealth = { classic: {}, targetGroups: {} }
const none = new Set<string>()

describe("which instances count", () => {
  it("running: Pending, Pending:Wait, Pending:Proceed, InService, Rebooting; never leaving or standing by", () => {
    for (const s of ["Pending", "Pending:Wait", "Pending:Proceed", "InService", "Rebooting"]) {
      expect(isRunning(instance("i", { lifecycleState: s }))).toBe(true)
    }
    for (const s of ["Terminating", "Terminating:Wait", "Terminated", "Standby", "EnteringStandby", "Detaching", "Quarantined", "Warmed:Running"]) {
      expect(isRunning(instance("i", { lifecycleState: s }))).toBe(false)
    }
  })

  it("capacity in units, by weight", () => {
    expect(capacityOf([instance("a", { weightedCapacity: 2 }), instance("b", { weightedCapacity: 3 })])).toBe(5)
    expect(capacityOf([])).toBe(0)
  })

  it("outdated: another launch template, another version, another configuration, or a switch between the two", () => {
    const spec = { launchTemplate: LT }
    expect(isOutdated(instance("a"), spec)).toBe(false)
    expect(isOutdated(instance("a", { launchTemplate: { ...LT, version: "1" } }), spec)).toBe(true)
    expect(isOutdated(instance("a", { launchTemplate: { ...LT, id: "lt-2" } }), spec)).toBe(true)
    const { launchTemplate: _, ...bare } = instance("a")
    expect(isOutdated({ ...bare, launchConfigurationName: "web-v1" }, spec)).toBe(true)
    const byConfig = { launchConfigurationName: "web-v2" }
    expect(isOutdated({ ...bare, launchConfigurationName: "web-v2" }, byConfig)).toBe(false)
    expect(isOutdated({ ...bare, launchConfigurationName: "web-v1" }, byConfig)).toBe(true)
    expect(isOutdated(instance("a", { launchConfigurationName: "web-v2" }), byConfig)).toBe(true)
  })
})

describe("healthy", () => {
  it("in a group without a load balancer: InService and Healthy in the group, never Pending", () => {
    const healthy = healthyIn(groupOf([]), noLb)
    expect(healthy(instance("a"))).toBe(true)
    expect(healthy(instance("a", { lifecycleState: "Pending" }))).toBe(false)
    expect(healthy(instance("a", { lifecycleState: "Pending:Proceed" }))).toBe(false)
    expect(healthy(instance("a", { healthStatus: "Unhealthy" }))).toBe(false)
  })

  it("behind load balancers: healthy in every one of them, as each kind spells it", () => {
    const g = groupOf([], { loadBalancerNames: ["clb"], targetGroupArns: ["tg-1", "tg-2"] })
    const lb = (clb: string, tg1: string, tg2: string | undefined): LoadBalancerHealth => ({
      classic: { clb: [{ instanceId: "a", state: clb }] },
      targetGroups: { "tg-1": [{ instanceId: "a", state: tg1 }], "tg-2": tg2 === undefined ? [] : [{ instanceId: "a", state: tg2 }] }
    })
    expect(healthyIn(g, lb("InService", "healthy", "healthy"))(instance("a"))).toBe(true)
    expect(healthyIn(g, lb("OutOfService", "healthy", "healthy"))(instance("a"))).toBe(false)
    expect(healthyIn(g, lb("InService", "initial", "healthy"))(instance("a"))).toBe(false)
    // Not registered in one target group yet: not healthy there.
    expect(healthyIn(g, lb("InService", "healthy", undefined))(instance("a"))).toBe(false)
    expect(healthyIn(g, { classic: {}, targetGroups: {} })(instance("a"))).toBe(false)
  })
})

describe("one poll round", () => {
  const old = new Set(["o1", "o2"])

  it("counts the new instances healthy everywhere by their weight, and everything that serves", () => {
    const g = groupOf([instance("o1"), instance("o2"), instance("n1", { weightedCapacity: 2 }), instance("n2", { lifecycleState: "Pending" })])
    const a = assess(g, noLb, { oldIds: old, seenNew: none, everHealthy: none })
    expect(a.newInstances.map((i) => i.instanceId)).toEqual(["n1", "n2"])
    expect(a.healthyNew.map((i) => i.instanceId)).toEqual(["n1"])
    expect(a.healthyCapacity).toBe(2)
    expect(a.servingCount).toBe(3)
    expect(a.failed).toBeUndefined()
  })

  it("a new instance seen before that left the group, or went leaving or standing by, has failed", () => {
    expect(assess(groupOf([instance("o1")]), noLb, { oldIds: old, seenNew: new Set(["n1"]), everHealthy: none }).failed)
      .toEqual({ instanceId: "n1", reason: "it left the group" })
    for (const s of ["Terminating", "Terminated", "Detaching", "Detached", "EnteringStandby", "Standby", "Quarantined"]) {
      expect(assess(groupOf([instance("n1", { lifecycleState: s })]), noLb, { oldIds: old, seenNew: new Set(["n1"]), everHealthy: none }).failed)
        .toEqual({ instanceId: "n1", reason: `it went ${s}` })
    }
    expect(assess(groupOf([instance("n1", { lifecycleState: "Pending" })]), noLb, { oldIds: old, seenNew: new Set(["n1"]), everHealthy: none }).failed).toBeUndefined()
  })

  it("a new instance the group marked Unhealthy, or one that lost the health it had, has failed; an old one never", () => {
    expect(assess(groupOf([instance("n1", { healthStatus: "Unhealthy" })]), noLb, { oldIds: old, seenNew: none, everHealthy: none }).failed)
      .toEqual({ instanceId: "n1", reason: "the group marked it Unhealthy" })
    expect(assess(groupOf([instance("o1", { healthStatus: "Unhealthy" })]), noLb, { oldIds: old, seenNew: none, everHealthy: none }).failed).toBeUndefined()
    const g = groupOf([instance("n1")], { loadBalancerNames: ["clb"] })
    const out: LoadBalancerHealth = { classic: { clb: [{ instanceId: "n1", state: "OutOfService" }] }, targetGroups: {} }
    expect(assess(g, out, { oldIds: old, seenNew: none, everHealthy: new Set(["n1"]) }).failed).toEqual({ instanceId: "n1", reason: "it turned unhealthy in a load balancer" })
    // Never healthy yet: still coming up, not failed.
    expect(assess(g, out, { oldIds: old, seenNew: none, everHealthy: none }).failed).toBeUndefined()
  })

  it("reports the first failure it finds", () => {
    const g = groupOf([instance("n2", { healthStatus: "Unhealthy" }), instance("n3", { healthStatus: "Unhealthy" })])
    expect(assess(g, noLb, { oldIds: old, seenNew: new Set(["n1"]), everHealthy: none }).failed).toEqual({ instanceId: "n1", reason: "it left the group" })
    expect(assess(g, noLb, { oldIds: old, seenNew: none, everHealthy: none }).failed?.instanceId).toBe("n2")
  })
})
