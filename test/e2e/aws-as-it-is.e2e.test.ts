/**
 * The rollout against moto where AWS is less kind than a simple model: an operator's Standby instance. The real
 * update-asgs binary runs through the fault proxy; assertions read moto's end state with the SDK.
 */
import * as AS from "@aws-sdk/client-auto-scaling"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { describeRun, runCli } from "../support/cli.js"
import { resetMoto } from "../support/moto.js"
import { createClassicStack, destroyClients, readGroupState, sdkClients, twoImageIds } from "../support/motoWorld.js"
import { proxyPerTest } from "../support/proxyPerTest.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const ROLL = ["--healthy-timeout", "60", "--poll-interval", "1", "--output", "json"]
const TEST_TIMEOUT = 150_000

let amis: readonly [string, string]

beforeAll(async () => {
  await resetMoto(motoUrl)
  amis = await twoImageIds(sdk)
})

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => destroyClients(sdk))

describe("update-asgs against AWS as it really is", () => {
  it("keeps an operator's Standby instance: it is neither counted nor terminated, and the summary lists it", async () => {
    const { group } = await createClassicStack(sdk, "standby", amis[0])
    const before = await readGroupState(sdk, group)
    expect(before.ids).toHaveLength(2)
    const [standby, serving] = before.ids as [string, string]
    await sdk.autoScaling.send(new AS.EnterStandbyCommand({
      AutoScalingGroupName: group,
      InstanceIds: [standby],
      ShouldDecrementDesiredCapacity: true
    }))
    const parked = await readGroupState(sdk, group)
    expect(parked.instances.find((i) => i.id === standby)?.lifecycleState).toBe("Standby")

    const run = await runCli("update-asgs", ["standby", "--replace-all", ...ROLL], { endpoint: currentProxy().url, timeoutMs: 120_000 })
    expect(run.code, describeRun(run)).toBe(0)
    const result = (run.summary as Record<string, any>)["groups"][0]
    expect(result).toMatchObject({ status: "succeeded", terminated: [serving], standby: [standby] })
    // Never asked to terminate the Standby instance.
    const terminated = currentProxy().calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup").map((c) => c.params["InstanceId"])
    expect(terminated).toEqual([serving])

    const after = await readGroupState(sdk, group)
    expect(after.sizes).toEqual(parked.sizes)
    expect(after.instances.find((i) => i.id === standby)?.lifecycleState).toBe("Standby")
    expect(after.ids).not.toContain(serving)
    expect(after.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(1)
    expect(after.suspended).toEqual([])
  }, TEST_TIMEOUT)
})
