/**
 * Rollout strategies against moto: surge waves, a canary, a bake that keeps a scale-out and one that an alarm ends.
 * The real update-asgs binary runs through the fault proxy, whose record of every request is what the assertions
 * read (moto launches at once, so the desired capacity asked for is the number of instances running).
 */
import * as AS from "@aws-sdk/client-auto-scaling"
import * as CW from "@aws-sdk/client-cloudwatch"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { describeRun, runCli } from "../support/cli.js"
import { resetMoto } from "../support/moto.js"
import { createClassicStack, destroyClients, readGroupState, sdkClients, twoImageIds } from "../support/motoWorld.js"
import { proxyPerTest } from "../support/proxyPerTest.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const ROLL = ["--replace-all", "--healthy-timeout", "60", "--poll-interval", "1", "--output", "json"]
const TEST_TIMEOUT = 150_000

let amis: readonly [string, string]

beforeAll(async () => {
  await resetMoto(motoUrl)
  amis = await twoImageIds(sdk)
})

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => destroyClients(sdk))

/** A classic-ELB stack whose group runs `desired` instances (max 20). */
const stackOf = async (name: string, desired: number) => {
  const { group } = await createClassicStack(sdk, name, amis[0])
  if (desired !== 2) {
    await sdk.autoScaling.send(new AS.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, MinSize: 1, MaxSize: 20, DesiredCapacity: desired }))
  }
  return group
}

/** A metric alarm on the CLB's 5xx count, put in `state` for `reason`. */
const putAlarm = async (name: string, state: "OK" | "ALARM", reason: string) => {
  await sdk.cloudWatch.send(new CW.PutMetricAlarmCommand({
    AlarmName: name,
    Namespace: "AWS/ELB",
    MetricName: "HTTPCode_Backend_5XX",
    Statistic: "Sum",
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 10,
    ComparisonOperator: "GreaterThanThreshold"
  }))
  await sdk.cloudWatch.send(new CW.SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason }))
}

/** Every desired capacity the run asked for, in order. */
const desiredAsked = () =>
  currentProxy().calls
    .filter((c) => c.action === "UpdateAutoScalingGroup" && c.params["DesiredCapacity"] !== undefined)
    .map((c) => Number(c.params["DesiredCapacity"]))

/** Whether a CreateOrUpdateTags request writes the record's phase `phase`. */
const writesPhase = (phase: string) => (params: URLSearchParams) =>
  [...params.entries()].some(([k, v]) => k.endsWith(".Value") && v === phase) &&
  [...params.values()].includes("aws-ha-updater:rollout:phase")

describe("update-asgs strategies against moto", () => {
  it("a surge of 2 on a group of 6 replaces it in three waves and never runs more than 8 instances", async () => {
    const group = await stackOf("surge", 6)
    const before = await readGroupState(sdk, group)
    expect(before.ids).toHaveLength(6)
    const run = await runCli("update-asgs", ["surge", "--max-surge", "2", ...ROLL], { endpoint: currentProxy().url, timeoutMs: 120_000 })
    expect(run.code, describeRun(run)).toBe(0)
    const asked = desiredAsked()
    expect(Math.max(...asked), `desired asked: ${asked.join(", ")}`).toBe(8)
    expect(asked.filter((d) => d === 8).length).toBeGreaterThanOrEqual(3)
    const result = (run.summary as Record<string, any>)["groups"][0]
    expect(result).toMatchObject({ status: "succeeded", waves: { committed: expect.any(Number) } })
    // Three waves replace the six; moto places instances in zones its own way, so balancing waves (at most 3) may follow.
    expect(result.waves.committed).toBeGreaterThanOrEqual(3)
    expect(result.waves.committed).toBeLessThanOrEqual(6)
    expect([...result.terminated].filter((id: string) => before.ids.includes(id)).sort()).toEqual([...before.ids])
    const after = await readGroupState(sdk, group)
    expect(after.sizes).toEqual({ minSize: 1, maxSize: 20, desiredCapacity: 6 })
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
    expect(after.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(6)
    // moto does not place launches in the emptiest zone as AWS does: when the zones end two apart, AZRebalance is
    // left suspended on purpose, and the group's marker says why.
    expect(after.suspended.filter((p) => p !== "AZRebalance")).toEqual([])
    if (after.suspended.includes("AZRebalance")) {
      expect(after.tags["aws-ha-updater:degraded"]).toContain("AZRebalance left suspended: the zones are")
      expect(result.leftSuspended).toEqual(["AZRebalance"])
    }
  }, TEST_TIMEOUT)

  it("a canary of 1 raises desired by 1 first, then the rest follows", async () => {
    const group = await stackOf("canary", 4)
    const run = await runCli("update-asgs", ["canary", "--canary", "1", "--max-surge", "100%", ...ROLL], { endpoint: currentProxy().url, timeoutMs: 120_000 })
    expect(run.code, describeRun(run)).toBe(0)
    const asked = desiredAsked()
    expect(asked[0], `desired asked: ${asked.join(", ")}`).toBe(5)
    expect(asked).toContain(7)
    const after = await readGroupState(sdk, group)
    expect(after.sizes.desiredCapacity).toBe(4)
  }, TEST_TIMEOUT)

  it("a scale-out during the bake is kept: desired ends one above where it started", async () => {
    const group = await stackOf("bake", 2)
    const before = await readGroupState(sdk, group)
    // As a scaling policy would, once the rollout bakes its new instances.
    currentProxy().onAfter("CreateOrUpdateTags", async () => {
      const now = await readGroupState(sdk, group)
      await sdk.autoScaling.send(new AS.SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: now.sizes.desiredCapacity + 1 }))
    }, { when: writesPhase("baking") })
    const run = await runCli("update-asgs", ["bake", "--bake", "3", ...ROLL], { endpoint: currentProxy().url, timeoutMs: 120_000 })
    expect(run.code, describeRun(run)).toBe(0)
    expect(run.events.some((e) => e["type"] === "step" && e["step"] === "bake")).toBe(true)
    const after = await readGroupState(sdk, group)
    expect(after.sizes).toEqual({ ...before.sizes, desiredCapacity: before.sizes.desiredCapacity + 1 })
    expect(after.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(3)
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
  }, TEST_TIMEOUT)

  it("an alarm set to ALARM during the bake rolls back with exit 3 and keeps the old instances", async () => {
    const group = await stackOf("alarm", 2)
    const before = await readGroupState(sdk, group)
    await putAlarm("web-5xx", "OK", "quiet")
    currentProxy().onAfter("CreateOrUpdateTags", () =>
      sdk.cloudWatch.send(new CW.SetAlarmStateCommand({ AlarmName: "web-5xx", StateValue: "ALARM", StateReason: "5xx above 10 a minute" })), { when: writesPhase("baking") })
    const run = await runCli("update-asgs", ["alarm", "--bake", "30", "--alarm", "web-5xx", ...ROLL], { endpoint: currentProxy().url, timeoutMs: 120_000 })
    expect(run.code, describeRun(run)).toBe(3)
    const result = (run.summary as Record<string, any>)["groups"][0]
    expect(result).toMatchObject({ status: "rolled-back", reason: "alarm web-5xx went to ALARM: 5xx above 10 a minute" })
    const after = await readGroupState(sdk, group)
    expect(after.ids).toEqual(before.ids)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.suspended).toContain("AlarmNotification")
    expect(after.tags["aws-ha-updater:degraded"]).toContain("web-5xx")
  }, TEST_TIMEOUT)

  it("an alarm already in ALARM refuses the run before any change: exit 2", async () => {
    await stackOf("refused", 2)
    await putAlarm("already-bad", "ALARM", "on fire")
    const run = await runCli("update-asgs", ["refused", "--alarm", "already-bad", ...ROLL], { endpoint: currentProxy().url, timeoutMs: 60_000 })
    expect(run.code, describeRun(run)).toBe(2)
    expect((run.summary as Record<string, any>)["error"]).toContain("alarm already-bad is already in ALARM (on fire)")
    expect(currentProxy().mutatingCalls().filter((c) => c.service === "autoscaling")).toEqual([])
  }, TEST_TIMEOUT)
})
