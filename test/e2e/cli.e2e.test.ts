/**
 * The real CLI binaries (dist/bin, built by `npm test` before this runs) as child processes, against moto_server,
 * with the fault proxy in between: every AWS call the CLI makes crosses the proxy, which counts it and can throttle
 * it or act after it. Assertions are on moto's end state (sizes, instance ids, load balancer health, processes,
 * tags), read straight from moto with the SDK, not only on exit codes.
 */
import * as CFN from "@aws-sdk/client-cloudformation"
import * as EC2 from "@aws-sdk/client-ec2"
import * as ELB from "@aws-sdk/client-elastic-load-balancing"
import * as ELBv2 from "@aws-sdk/client-elastic-load-balancing-v2"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { type CliResult, describeRun, runCli } from "../support/cli.js"
import type { RecordedCall } from "../support/FaultProxy.js"
import { proxyPerTest } from "../support/proxyPerTest.js"
import { resetMoto } from "../support/moto.js"
import {
  createClassicStack,
  defaultNetwork,
  describeStackDirectly,
  destroyClients,
  haGroupSizes,
  haStackTemplate,
  type GroupState,
  readGroupState,
  sdkClients,
  twoImageIds
} from "../support/motoWorld.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const workDir = mkdtempSync(join(tmpdir(), "aws-ha-updater-e2e-"))
const suiteStarted = Date.now()

/** What the rollout suspends, and what a failed one leaves suspended. */
const OUR_PROCESSES = ["AZRebalance", "AlarmNotification", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"]
/** A rollout of a two-instance group, polled every second, takes a few seconds against moto: 60 s is generous. */
const ROLL = ["--healthy-timeout", "60", "--poll-interval", "1"]
const TEST_TIMEOUT = 150_000

let amis: readonly [string, string]

beforeAll(async () => {
  // moto's AMI catalogue is the same after every reset: read it once (it is a slow call).
  await resetMoto(motoUrl)
  amis = await twoImageIds(sdk)
})

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => {
  destroyClients(sdk)
  rmSync(workDir, { recursive: true, force: true })
  console.log(`cli e2e suite: ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s`)
})

// ---- reading moto's state, around the tool ----

const groupState = (name: string) => readGroupState(sdk, name)

const classicHealth = async (loadBalancerName: string): Promise<Record<string, string>> => {
  const answer = await sdk.elb.send(new ELB.DescribeInstanceHealthCommand({ LoadBalancerName: loadBalancerName }))
  return Object.fromEntries((answer.InstanceStates ?? []).map((s) => [s.InstanceId ?? "", s.State ?? ""]))
}

const targetHealth = async (targetGroupArn: string): Promise<Record<string, string>> => {
  const answer = await sdk.elbv2.send(new ELBv2.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
  return Object.fromEntries(
    (answer.TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id ?? "", d.TargetHealth?.State ?? ""])
  )
}

const ec2States = async (ids: ReadonlyArray<string>): Promise<Record<string, string>> => {
  const answer = await sdk.ec2.send(new EC2.DescribeInstancesCommand({ InstanceIds: [...ids] }))
  return Object.fromEntries(
    (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId ?? "", i.State?.Name ?? ""])
  )
}

const toolTags = (tags: Readonly<Record<string, string>>): Array<string> =>
  Object.keys(tags).filter((k) => k.startsWith("aws-ha-updater:")).sort()

const writeTemplate = (name: string, body: string): string => {
  const file = join(workDir, name)
  writeFileSync(file, body)
  return file
}

/** The CLI's exit code, with its output when it is not the expected one. */
const expectExit = (run: CliResult, code: number): void => {
  expect(run.code, describeRun(run)).toBe(code)
  expect(run.unparsed, "stdout lines that are not JSON").toEqual([])
}

const summaryOf = (run: CliResult): Record<string, any> => {
  expect(run.summary, describeRun(run)).toBeDefined()
  return run.summary as Record<string, any>
}

const cli = (bin: "update-asgs" | "update-stack", args: ReadonlyArray<string>) =>
  runCli(bin, args, { endpoint: currentProxy().url, timeoutMs: 120_000 })

/** Stacks built straight in moto, for the update-asgs tests: the tool meets a world it did not make. */
const classicStack = (stackName: string) => createClassicStack(sdk, stackName, amis[0])

/**
 * The end state of a successful rollout: the original sizes, none of the original instances (terminated in EC2),
 * as many new ones, all InService and Healthy in the group, no process suspended, none of our tags left.
 */
const expectRolled = async (group: string, before: GroupState, summary: Record<string, any>) => {
  const after = await groupState(group)
  expect(after.sizes).toEqual(before.sizes)
  expect(after.ids).toHaveLength(before.ids.length)
  expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
  expect(after.instances.every((i) => i.lifecycleState === "InService" && i.healthStatus === "Healthy")).toBe(true)
  expect(after.suspended).toEqual([])
  expect(toolTags(after.tags)).toEqual([])
  expect(Object.values(await ec2States(before.ids)).every((s) => s === "terminated" || s === "shutting-down")).toBe(true)
  expect(summary["groups"]).toEqual([
    expect.objectContaining({ name: group, status: "succeeded" })
  ])
  const result = summary["groups"][0]
  expect([...result.terminated].sort()).toEqual(before.ids)
  expect([...result.launched].sort()).toEqual(after.ids)
  return after
}

/**
 * From the proxy's log: the scale-out (sizes raised by the group's instance count) came first; then health was read
 * in the load balancer; only then were exactly the old instances terminated by id, with decrement.
 */
const expectCommitOrder = (calls: ReadonlyArray<RecordedCall>, before: GroupState, healthAction: string) => {
  const n = before.ids.length
  const forwarded = calls.filter((c) => c.outcome === "forwarded")
  const scaleOut = forwarded.findIndex((c) =>
    c.action === "UpdateAutoScalingGroup" && c.params["DesiredCapacity"] === String(before.sizes.desiredCapacity + n)
  )
  expect(scaleOut, "the scale-out call").toBeGreaterThanOrEqual(0)
  // Min is held at the raised desired, so nothing scales the group in while old and new run side by side.
  expect(forwarded[scaleOut]?.params).toMatchObject({
    MinSize: String(before.sizes.desiredCapacity + n),
    MaxSize: String(before.sizes.maxSize + n)
  })
  const terminations = forwarded.flatMap((c, i) => (c.action === "TerminateInstanceInAutoScalingGroup" ? [i] : []))
  expect(terminations.map((i) => forwarded[i]?.params["InstanceId"]).sort()).toEqual(before.ids)
  expect(terminations.every((i) => forwarded[i]?.params["ShouldDecrementDesiredCapacity"] === "true")).toBe(true)
  const healthRead = forwarded.findIndex((c, i) => i > scaleOut && c.action === healthAction)
  expect(healthRead, `a ${healthAction} after the scale-out`).toBeGreaterThan(scaleOut)
  expect(Math.min(...terminations)).toBeGreaterThan(healthRead)
  // The group never shrank by desired capacity (which would let it pick the victims) before the old ones were gone.
  const lowered = forwarded.findIndex((c, i) =>
    i > scaleOut && i < Math.max(...terminations) && c.action === "UpdateAutoScalingGroup" && c.params["DesiredCapacity"] !== undefined
  )
  expect(lowered).toBe(-1)
}

describe("update-stack, then a rollout with --replace-all", () => {
  it("creates a stack behind a classic ELB, then updates its ImageId and replaces every instance", async () => {
    const template = writeTemplate("classic.json", haStackTemplate("classic"))
    const created = await cli("update-stack", [
      "shop", "--template", template, "--output", "json", `ImageId=${amis[0]}`, "InstanceType=t3.micro"
    ])
    expectExit(created, 0)
    expect(summaryOf(created)).toMatchObject({ stack: "shop", stackAction: "created", stackStatus: "CREATE_COMPLETE" })
    expect(currentProxy().count("CreateStack")).toBe(1)

    const stack = await describeStackDirectly(sdk, "shop")
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]))
    const group = outputs["GroupName"]!
    const loadBalancer = outputs["LoadBalancerName"]!
    const before = await groupState(group)
    expect(before.sizes).toEqual(haGroupSizes)
    expect(before.ids).toHaveLength(haGroupSizes.desiredCapacity)
    currentProxy().clearCalls()

    const updated = await cli("update-stack", [
      "shop", "--replace-all", ...ROLL, "--output", "json", `ImageId=${amis[1]}`
    ])
    expectExit(updated, 0)
    const summary = summaryOf(updated)
    expect(summary).toMatchObject({ status: "succeeded", stackAction: "updated", stackStatus: "UPDATE_COMPLETE", exitCode: 0 })

    const stackAfter = await describeStackDirectly(sdk, "shop")
    expect(stackAfter.StackStatus).toBe("UPDATE_COMPLETE")
    expect(stackAfter.Parameters?.find((p) => p.ParameterKey === "ImageId")?.ParameterValue).toBe(amis[1])

    const after = await expectRolled(group, before, summary)
    const health = await classicHealth(loadBalancer)
    for (const id of after.ids) expect(health[id], `${id} in the classic ELB`).toBe("InService")
    for (const id of before.ids) expect(health[id], `old ${id} left the classic ELB`).toBeUndefined()
    expectCommitOrder(currentProxy().calls, before, "DescribeInstanceHealth")
    expect(currentProxy().count("UpdateStack")).toBe(1)

    console.log(`AWS calls of one update-stack + rollout (classic ELB, 2 instances), by operation:\n${currentProxy().table()}`)
  }, TEST_TIMEOUT)

  it("creates a stack behind an ALB target group, then updates its ImageId and replaces every instance", async () => {
    const network = await defaultNetwork(sdk)
    const template = writeTemplate("target-group.json", haStackTemplate("target-group"))
    const created = await cli("update-stack", [
      "shop-tg", "--template", template, "--output", "json",
      `ImageId=${amis[0]}`, "InstanceType=t3.micro", `VpcId=${network.vpcId}`, `Subnets=${network.subnetIds.join(",")}`
    ])
    expectExit(created, 0)
    expect(summaryOf(created)).toMatchObject({ stackAction: "created", stackStatus: "CREATE_COMPLETE" })

    const stack = await describeStackDirectly(sdk, "shop-tg")
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]))
    const group = outputs["GroupName"]!
    const targetGroupArn = outputs["TargetGroupArn"]!
    const before = await groupState(group)
    expect(before.sizes).toEqual(haGroupSizes)
    const healthBefore = await targetHealth(targetGroupArn)
    for (const id of before.ids) expect(healthBefore[id]).toBe("healthy")
    currentProxy().clearCalls()

    const updated = await cli("update-stack", [
      "shop-tg", "--replace-all", ...ROLL, "--output", "json", `ImageId=${amis[1]}`
    ])
    expectExit(updated, 0)
    const summary = summaryOf(updated)
    expect(summary).toMatchObject({ status: "succeeded", stackAction: "updated", stackStatus: "UPDATE_COMPLETE" })
    expect((await describeStackDirectly(sdk, "shop-tg")).Parameters?.find((p) => p.ParameterKey === "ImageId")?.ParameterValue)
      .toBe(amis[1])

    const after = await expectRolled(group, before, summary)
    const health = await targetHealth(targetGroupArn)
    for (const id of after.ids) expect(health[id], `${id} in the target group`).toBe("healthy")
    expectCommitOrder(currentProxy().calls, before, "DescribeTargetHealth")
  }, TEST_TIMEOUT)
})

describe("update-asgs against a stack it did not make", () => {
  it("makes no mutating call on an up-to-date group", async () => {
    const { group } = await classicStack("steady")
    const before = await groupState(group)

    const run = await cli("update-asgs", ["steady", "--output", "json"])
    expectExit(run, 0)
    expect(summaryOf(run)).toMatchObject({
      status: "up-to-date",
      groups: [{ name: group, status: "up-to-date", launched: [], terminated: [] }],
      exitCode: 0
    })
    // The CLI did talk to AWS through the proxy: it read the stack and the group, and changed nothing.
    expect(currentProxy().count("DescribeStacks")).toBeGreaterThanOrEqual(1)
    expect(currentProxy().count("DescribeAutoScalingGroups")).toBeGreaterThanOrEqual(1)
    expect(currentProxy().mutatingCalls()).toEqual([])
    expect(await groupState(group)).toEqual(before)
  }, TEST_TIMEOUT)

  it("rolls a group with --replace-all, with text output and --endpoint-url", async () => {
    const { group, loadBalancer } = await classicStack("text-run")
    const before = await groupState(group)

    const run = await runCli("update-asgs", ["text-run", "--replace-all", ...ROLL], {
      endpoint: currentProxy().url,
      endpointVia: "flag",
      timeoutMs: 120_000
    })
    expect(run.code, describeRun(run)).toBe(0)
    expect(run.stdout).toContain("Summary: stack text-run: succeeded (exit 0)")
    expect(run.stdout).toMatch(new RegExp(`${group}: succeeded; launched 2, terminated 2`))
    // moto does not implement DescribeInstanceRefreshes (HTTP 500): the check is advisory, so after two quick
    // retries a warning and not a failure. It runs before any change and again right before the group's rollout.
    if (currentProxy().calls.some((c) => c.action === "DescribeInstanceRefreshes" && c.status >= 500)) {
      expect(currentProxy().count("DescribeInstanceRefreshes")).toBe(6)
      expect(run.stdout).toMatch(/warning: could not check for an Instance Refresh/)
    }

    const after = await groupState(group)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
    expect(after.ids).toHaveLength(2)
    expect(after.suspended).toEqual([])
    expect(toolTags(after.tags)).toEqual([])
    const health = await classicHealth(loadBalancer)
    for (const id of after.ids) expect(health[id]).toBe("InService")
    expectCommitOrder(currentProxy().calls, before, "DescribeInstanceHealth")

    console.log(`AWS calls of one update-asgs rollout (classic ELB, 2 instances), by operation:\n${currentProxy().table()}`)
  }, TEST_TIMEOUT)

  it("survives throttling over the real wire protocol: our schedule retries, the SDK does not", async () => {
    const { group } = await classicStack("throttled")
    const before = await groupState(group)
    currentProxy().throttle("DescribeAutoScalingGroups", { count: 3 })
    currentProxy().throttle("UpdateAutoScalingGroup", { count: 2 })

    const run = await cli("update-asgs", ["throttled", "--replace-all", ...ROLL, "--output", "json"])
    expectExit(run, 0)
    await expectRolled(group, before, summaryOf(run))
    expect(summaryOf(run)).toMatchObject({ status: "succeeded", exitCode: 0 })

    const describes = currentProxy().calls.filter((c) => c.action === "DescribeAutoScalingGroups")
    expect(describes.slice(0, 4).map((c) => c.outcome)).toEqual(["throttled", "throttled", "throttled", "forwarded"])
    const updates = currentProxy().calls.filter((c) => c.action === "UpdateAutoScalingGroup")
    expect(updates.slice(0, 3).map((c) => c.outcome)).toEqual(["throttled", "throttled", "forwarded"])
    // The same scale-out was retried, and the third attempt reached moto.
    for (const c of updates.slice(0, 3)) expect(c.params).toMatchObject({ MinSize: "4", MaxSize: "6", DesiredCapacity: "4" })

    // Attempts = throttles + 1: each attempt is a fresh SDK invocation that the SDK itself made once (max=1).
    for (const attempts of [describes.slice(0, 4), updates.slice(0, 3)]) {
      expect(new Set(attempts.map((c) => c.invocationId)).size).toBe(attempts.length)
      expect(attempts.every((c) => c.invocationId !== undefined)).toBe(true)
    }
    expect(currentProxy().calls.filter((c) => c.sdkRequest !== "attempt=1; max=1")).toEqual([])
    // Backed off exponentially (from 250 ms, jittered), not hammered.
    const gaps = describes.slice(0, 4).map((c, i, all) => (i === 0 ? 0 : c.at - all[i - 1]!.at)).slice(1)
    expect(gaps.every((g) => g >= 150), `gaps ${gaps.join(", ")} ms`).toBe(true)
    expect(gaps[2]!, `gaps ${gaps.join(", ")} ms`).toBeGreaterThan(gaps[0]!)
  }, TEST_TIMEOUT)

  it("rolls back when the new instances never become healthy: exit 3, new ones gone, processes left suspended", async () => {
    const { group, loadBalancer } = await classicStack("broken")
    const before = await groupState(group)
    const stopped: Array<string> = []
    // Right after the scale-out (and before the CLI hears back), stop what it launched: never InService in the ELB.
    currentProxy().onAfter("UpdateAutoScalingGroup", async () => {
      const now = await groupState(group)
      const fresh = now.ids.filter((id) => !before.ids.includes(id))
      if (fresh.length === 0) throw new Error("the scale-out launched nothing")
      await sdk.ec2.send(new EC2.StopInstancesCommand({ InstanceIds: fresh }))
      stopped.push(...fresh)
    }, { when: (p) => p.get("DesiredCapacity") === String(before.sizes.desiredCapacity + before.ids.length) })

    const run = await cli("update-asgs", [
      "broken", "--replace-all", "--healthy-timeout", "8", "--poll-interval", "1", "--output", "json"
    ])
    expectExit(run, 3)
    expect(stopped).toHaveLength(2)
    expect(run.durationMs, "it waited out the healthy timeout").toBeGreaterThanOrEqual(8_000)

    // moto's view of the stopped instances: still InService in the group, OutOfService in the ELB.
    const after = await groupState(group)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids).toEqual(before.ids)
    expect(after.instances.every((i) => i.lifecycleState === "InService")).toBe(true)
    expect(Object.values(await ec2States(stopped)).every((s) => s === "terminated" || s === "shutting-down")).toBe(true)
    const health = await classicHealth(loadBalancer)
    for (const id of before.ids) expect(health[id], `old ${id} kept serving`).toBe("InService")
    for (const id of stopped) expect(health[id], `new ${id} left the ELB`).toBeUndefined()

    expect(after.suspended).toEqual(OUR_PROCESSES)
    expect(toolTags(after.tags)).toEqual([
      "aws-ha-updater:degraded",
      "aws-ha-updater:degraded-since",
      "aws-ha-updater:left-suspended"
    ])
    expect(after.tags["aws-ha-updater:degraded"]).toMatch(/timed out after 8 s with 0 of 2 new healthy/)
    expect(after.tags["aws-ha-updater:left-suspended"]?.split(",").sort()).toEqual(OUR_PROCESSES)

    const summary = summaryOf(run)
    expect(summary).toMatchObject({ status: "rolled-back", stack: "broken", exitCode: 3 })
    const result = summary["groups"][0]
    expect(result).toMatchObject({ name: group, status: "rolled-back" })
    expect([...result.terminated].sort()).toEqual([...stopped].sort())
    expect([...result.leftSuspended].sort()).toEqual(OUR_PROCESSES)
    expect(result.resumeCommand).toMatch(
      new RegExp(`^aws autoscaling resume-processes --region us-east-1 --auto-scaling-group-name ${group} --scaling-processes `)
    )
    expect(String(result.resumeCommand).split(" --scaling-processes ")[1]?.split(" ").sort()).toEqual(OUR_PROCESSES)

    // Only the new instances were terminated, by id.
    const terminated = currentProxy().calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup")
    expect(terminated.map((c) => c.params["InstanceId"]).sort()).toEqual([...stopped].sort())
  }, TEST_TIMEOUT)
})

describe("bad input against the emulator: exit 2 and no mutating call", () => {
  it("update-asgs on a stack that does not exist", async () => {
    const run = await cli("update-asgs", ["no-such-stack", "--replace-all", "--output", "json"])
    expectExit(run, 2)
    expect(summaryOf(run)).toMatchObject({ status: "failed", exitCode: 2, error: expect.stringMatching(/no-such-stack does not exist/) })
    expect(currentProxy().count("DescribeStacks")).toBeGreaterThanOrEqual(1)
    expect(currentProxy().mutatingCalls()).toEqual([])
  }, TEST_TIMEOUT)

  it.each([
    ["a template that is not JSON or YAML", "{ \"Resources\": { \"Group\": ", false],
    [
      "a template ValidateTemplate refuses",
      JSON.stringify({
        Parameters: { ImageId: { Type: "AWS::EC2::Image::Id" } },
        Resources: { Thing: { Type: "AWS::Nope::Thing", Properties: { ImageId: { Ref: "ImageId" } } } }
      }),
      true
    ]
  ])("update-stack with %s, on an existing stack and for a new one", async (what, body, reachesValidate) => {
    await classicStack("existing")
    const original = await sdk.cloudFormation.send(new CFN.GetTemplateCommand({ StackName: "existing" }))
    const bad = writeTemplate("malformed.json", body)

    const update = await cli("update-stack", ["existing", "--template", bad, "--output", "json", `ImageId=${amis[1]}`])
    expectExit(update, 2)
    expect(summaryOf(update)).toMatchObject({ status: "failed", exitCode: 2, error: expect.stringMatching(/template/i) })
    console.log(`update-stack with ${what}: ${summaryOf(update)["error"]}`)
    const create = await cli("update-stack", ["fresh", "--template", bad, "--output", "json", `ImageId=${amis[1]}`])
    expectExit(create, 2)

    expect(currentProxy().mutatingCalls()).toEqual([])
    if (reachesValidate) expect(currentProxy().count("ValidateTemplate")).toBe(2)
    const stack = await describeStackDirectly(sdk, "existing")
    expect(stack.StackStatus).toBe("CREATE_COMPLETE")
    expect(stack.Parameters?.find((p) => p.ParameterKey === "ImageId")?.ParameterValue).toBe(amis[0])
    const now = await sdk.cloudFormation.send(new CFN.GetTemplateCommand({ StackName: "existing" }))
    expect(now.TemplateBody).toBe(original.TemplateBody)
    await expect(describeStackDirectly(sdk, "fresh")).rejects.toThrow(/does not exist/)
  }, TEST_TIMEOUT)
})
