/**
 * kill -9 for real: the built CLI runs update-asgs against moto through the fault proxy, which holds one of its
 * calls so the test can SIGKILL the process at a known phase; then `status` and `recover` (fresh processes) must see
 * the record the dead run left and bring the group back: sizes, processes, the right instances, no record.
 */
import { afterAll, describe, expect, inject, it } from "vitest"
import { type CliResult, describeRun, runCli, startCli } from "../support/cli.js"
import { proxyPerTest } from "../support/proxyPerTest.js"
import { createClassicStack, destroyClients, readGroupState, sdkClients } from "../support/motoWorld.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const ROLL = ["--healthy-timeout", "60", "--poll-interval", "1"]
const TEST_TIMEOUT = 150_000

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => destroyClients(sdk))

const groupState = (name: string) => readGroupState(sdk, name)

const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith("aws-ha-updater:"))

const tool = (args: ReadonlyArray<string>) => runCli("aws-ha-updater", args, { endpoint: currentProxy().url, timeoutMs: 120_000 })

const lastEvent = (run: CliResult): Record<string, any> => {
  expect(run.events.length, describeRun(run)).toBeGreaterThan(0)
  return run.events.at(-1) as Record<string, any>
}

/** A stack made straight in moto: a classic ELB, a group of 2 (min 1, max 4) that the tool never saw. */
const stack = async (stackName: string) => (await createClassicStack(sdk, stackName)).group

/** Starts update-asgs, waits until the held call arrives, then SIGKILLs the process: no finalizer gets to run. */
const killAt = async (stackName: string, arrived: Promise<void>) => {
  const running = startCli("update-asgs", [stackName, "--replace-all", ...ROLL, "--output", "json"], { endpoint: currentProxy().url })
  const outcome = await Promise.race([
    arrived.then(() => "held" as const),
    running.done.then((r) => r),
    new Promise<"late">((resolve) => setTimeout(() => resolve("late"), 90_000))
  ])
  if (outcome !== "held") throw new Error(`the held call never came: ${outcome === "late" ? "timed out" : describeRun(outcome)}`)
  running.child.kill("SIGKILL")
  const dead = await running.done
  expect(dead.signal).toBe("SIGKILL")
  return dead
}

describe("recover after the CLI was killed with SIGKILL", () => {
  it("mid-way through terminating the old instances: status shows the record, recover completes, status is clean", async () => {
    const group = await stack("killed-commit")
    const before = await groupState(group)
    const held = currentProxy().hold("TerminateInstanceInAutoScalingGroup")
    await killAt("killed-commit", held)
    // The request the dead process had sent still reaches AWS: one old instance goes, the other stays.
    currentProxy().release("TerminateInstanceInAutoScalingGroup")

    const shown = await tool(["status", "killed-commit", "--output", "json"])
    expect(shown.code, describeRun(shown)).toBe(0)
    expect(lastEvent(shown)).toMatchObject({
      type: "status",
      groups: [{ name: group, state: "in-rollout", phase: "terminating-old", needed: 2, newCount: 2 }]
    })

    const recovered = await tool(["recover", "killed-commit", "--force", ...ROLL, "--output", "json"])
    expect(recovered.code, describeRun(recovered)).toBe(0)
    console.log(`recover after SIGKILL in terminating-old (moto):\n${recovered.stdout}`)
    expect(recovered.summary).toMatchObject({
      status: "succeeded",
      decisions: [{ group, action: "complete" }],
      groups: [{ name: group, status: "succeeded" }]
    })
    const after = await groupState(group)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids).toHaveLength(2)
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
    expect(after.suspended).toEqual([])
    expect(recordTags(after.tags)).toEqual([])
    // Every terminate of both runs went to an old instance, by id, with decrement.
    const terminates = currentProxy().calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup" && c.outcome === "forwarded")
    expect(terminates.map((c) => c.params["InstanceId"]).sort()).toEqual(before.ids)
    expect(terminates.every((c) => c.params["ShouldDecrementDesiredCapacity"] === "true")).toBe(true)

    const clean = await tool(["status", "killed-commit", "--output", "json"])
    expect(lastEvent(clean)["groups"]).toEqual([{ name: group, logicalId: "Group", state: "clean" }])
  }, TEST_TIMEOUT)

  it("right after the scale-out (the waiting phase's tag held): recover --mode rollback keeps the old instances, exit 3", async () => {
    const group = await stack("killed-scaled")
    const before = await groupState(group)
    let held: Promise<void> | undefined
    // Armed by the scale-out itself, so the next tag write (phase waiting) is the one held.
    currentProxy().onAfter("UpdateAutoScalingGroup", () => void (held = currentProxy().hold("CreateOrUpdateTags")), {
      when: (p) => p.get("DesiredCapacity") === String(before.sizes.desiredCapacity + before.ids.length)
    })
    const armed = new Promise<void>((resolve, reject) => {
      const started = Date.now()
      const poll = setInterval(() => {
        if (held !== undefined) {
          clearInterval(poll)
          resolve(held)
        } else if (Date.now() - started > 60_000) {
          clearInterval(poll)
          reject(new Error("the scale-out never came"))
        }
      }, 50)
    })
    await killAt("killed-scaled", armed)
    currentProxy().release("CreateOrUpdateTags", { forward: false })

    const shown = await tool(["status", "killed-scaled"])
    expect(shown.code, describeRun(shown)).toBe(0)
    expect(shown.stdout).toMatch(new RegExp(`${group} \\(Group\\): in rollout, phase scaling-out, .*2 old, 2 new`))

    const recovered = await tool(["recover", "killed-scaled", "--force", "--mode", "rollback", ...ROLL, "--output", "json"])
    expect(recovered.code, describeRun(recovered)).toBe(3)
    console.log(`recover --mode rollback after SIGKILL in scaling-out (moto):\n${recovered.stdout}`)
    expect(recovered.summary).toMatchObject({ status: "rolled-back", decisions: [{ group, action: "rollback" }] })
    const after = await groupState(group)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids).toEqual(before.ids)
    expect(after.suspended).toEqual([])
    expect(recordTags(after.tags)).toEqual([])

    const clean = await tool(["status", "killed-scaled"])
    expect(clean.stdout).toContain(`${group} (Group): clean`)
  }, TEST_TIMEOUT)
})
