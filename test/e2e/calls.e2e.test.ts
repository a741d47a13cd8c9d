/**
 * A hung AWS call for real: the built CLI rolls a group in moto while the fault proxy holds one of its calls open
 * and never answers it. With `--call-timeout 2` the attempt is abandoned and retried, also inside the
 * uninterruptible commit, and the run ends correctly in seconds instead of waiting on the socket for minutes.
 */
import { afterAll, describe, expect, inject, it } from "vitest"
import { describeRun, runCli } from "../support/cli.js"
import { proxyPerTest } from "../support/proxyPerTest.js"
import { createClassicStack, destroyClients, readGroupState, sdkClients } from "../support/motoWorld.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const currentProxy = proxyPerTest(motoUrl)

afterAll(() => destroyClients(sdk))

/** Resolves when the held call arrived, or rejects after `ms`: a hold that is never reached is a broken test. */
const arrived = (held: Promise<void>, what: string, ms = 60_000) =>
  Promise.race([held, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} never arrived`)), ms).unref())])

describe("a hung call does not hang the run", () => {
  it("the commit's TerminateInstanceInAutoScalingGroup never answers: abandoned after --call-timeout, looked up, sent again", async () => {
    const { group } = await createClassicStack(sdk, "hung")
    const before = await readGroupState(sdk, group)
    const proxy = currentProxy()
    const held = arrived(proxy.hold("TerminateInstanceInAutoScalingGroup"), "the commit's first terminate")

    const run = await runCli(
      "update-asgs",
      ["hung", "--replace-all", "--healthy-timeout", "60", "--poll-interval", "1", "--call-timeout", "2", "--output", "json"],
      { endpoint: proxy.url, timeoutMs: 90_000 }
    )
    await held
    // The held request is still open on the proxy's side: drop it, nothing reaches moto.
    proxy.release("TerminateInstanceInAutoScalingGroup", { forward: false })

    expect(run.code, describeRun(run)).toBe(0)
    expect(run.summary).toMatchObject({ type: "summary", status: "succeeded" })
    // Without the call timeout the held attempt would wait for the socket for minutes.
    expect(run.durationMs, describeRun(run)).toBeLessThan(45_000)

    const after = await readGroupState(sdk, group)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
    expect(after.ids).toHaveLength(before.ids.length)
    expect(after.suspended).toEqual([])

    const calls = proxy.calls.filter((c) =>
      c.action === "TerminateInstanceInAutoScalingGroup" || c.action === "DescribeAutoScalingInstances"
    )
    // Both old instances' terminates go out together; only the held one is abandoned, looked up and sent again.
    expect([calls[0]?.action, calls[0]?.outcome]).toEqual(["TerminateInstanceInAutoScalingGroup", "dropped"])
    expect(calls.map((c) => `${c.action} ${c.outcome}`).sort()).toEqual([
      "DescribeAutoScalingInstances forwarded",
      "TerminateInstanceInAutoScalingGroup dropped",
      "TerminateInstanceInAutoScalingGroup forwarded",
      "TerminateInstanceInAutoScalingGroup forwarded"
    ])
    // The abandoned attempt's instance was terminated once, by the second attempt; every old instance exactly once.
    const terminated = calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup" && c.outcome === "forwarded")
    expect(terminated.map((c) => c.params["InstanceId"]).sort()).toEqual([...before.ids].sort())
    const look = calls.findIndex((c) => c.action === "DescribeAutoScalingInstances")
    const resent = calls.findIndex((c, k) => k > look && c.action === "TerminateInstanceInAutoScalingGroup" && c.params["InstanceId"] === calls[0]?.params["InstanceId"])
    expect(resent).toBeGreaterThan(look)
    // The retry came once the call timeout had passed, not at once and not minutes later.
    const waited = (calls[look]?.at ?? 0) - (calls[0]?.at ?? 0)
    expect(waited).toBeGreaterThanOrEqual(1_900)
    expect(waited).toBeLessThan(10_000)
  }, 120_000)
})
