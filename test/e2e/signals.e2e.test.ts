/**
 * Ctrl-C for real: the built CLI rolls a group in moto while the fault proxy keeps the new instances from ever
 * becoming healthy; SIGINT must roll back (terminate exactly the new ones, restore sizes, leave processes suspended),
 * a second SIGINT must not abandon that roll-back, and the process must end with exit 130.
 */
import * as EC2 from "@aws-sdk/client-ec2"
import { afterAll, describe, expect, inject, it } from "vitest"
import { describeRun, startCli } from "../support/cli.js"
import { proxyPerTest } from "../support/proxyPerTest.js"
import { createClassicStack, destroyClients, readGroupState, sdkClients } from "../support/motoWorld.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const OUR_PROCESSES = ["AZRebalance", "AlarmNotification", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"]

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => destroyClients(sdk))

const groupState = (name: string) => readGroupState(sdk, name)

/** Resolves when `condition` holds, polling every 50 ms, or rejects after `ms`. */
const eventually = (condition: () => boolean, what: string, ms = 60_000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now()
    const poll = setInterval(() => {
      if (condition()) {
        clearInterval(poll)
        resolve()
      } else if (Date.now() - started > ms) {
        clearInterval(poll)
        reject(new Error(`${what} never happened`))
      }
    }, 50)
  })

describe("signals on the real CLI", () => {
  it("SIGINT while waiting rolls back, a second SIGINT does not abandon it, exit 130", async () => {
    const { group } = await createClassicStack(sdk, "interrupted")
    const before = await groupState(group)
    let launched: Array<string> = []
    // The new instances never pass a health check, so the run sits in its wait until we interrupt it.
    currentProxy().onAfter("UpdateAutoScalingGroup", async () => {
      launched = (await groupState(group)).ids.filter((id) => !before.ids.includes(id))
      await sdk.ec2.send(new EC2.StopInstancesCommand({ InstanceIds: launched }))
    }, { when: (p) => p.get("DesiredCapacity") === String(before.sizes.desiredCapacity + before.ids.length) })

    const running = startCli("update-asgs", ["interrupted", "--replace-all", "--healthy-timeout", "120", "--poll-interval", "1", "--output", "json"], {
      endpoint: currentProxy().url
    })
    await eventually(() => currentProxy().count("DescribeInstanceHealth") >= 2, "a health poll after the scale-out")
    expect(launched).toHaveLength(2)

    // The roll-back's first terminate is held, so the second SIGINT lands while the roll-back runs.
    const terminating = currentProxy().hold("TerminateInstanceInAutoScalingGroup")
    running.child.kill("SIGINT")
    await terminating
    running.child.kill("SIGINT")
    await new Promise((resolve) => setTimeout(resolve, 500))
    currentProxy().release("TerminateInstanceInAutoScalingGroup")
    const run = await running.done

    expect(run.code, describeRun(run)).toBe(130)
    expect(run.stderr).toContain("a second SIGINT will not abandon it")
    expect(run.stderr).toContain("SIGINT again: still rolling back")
    expect(run.summary).toMatchObject({ type: "summary", status: "interrupted", exitCode: 130 })
    expect((run.summary?.["groups"] as Array<Record<string, unknown>>)[0]).toMatchObject({ name: group, status: "interrupted" })

    const after = await groupState(group)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids).toEqual(before.ids)
    expect(after.suspended).toEqual(OUR_PROCESSES)
    expect(after.tags["aws-ha-updater:degraded"]).toBe("interrupted")
    expect(Object.keys(after.tags).filter((k) => k.startsWith("aws-ha-updater:rollout"))).toEqual([])
    const terminated = currentProxy().calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup" && c.outcome === "forwarded")
    expect(terminated.map((c) => c.params["InstanceId"]).sort()).toEqual([...launched].sort())
  }, 150_000)
})
