/**
 * The real binaries against moto as AWS really is: groups that change while the tool rolls others, two runs started
 * at the same moment on one stack, and recover against a rollout that is still alive.
 */
import * as AS from "@aws-sdk/client-auto-scaling"
import { afterAll, describe, expect, inject, it } from "vitest"
import { describeRun, runCli, startCli } from "../support/cli.js"
import { proxyPerTest } from "../support/proxyPerTest.js"
import { createStackDirectly, destroyClients, readGroupState, sdkClients, stackOutputs, twoImageIds } from "../support/motoWorld.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const ROLL = ["--replace-all", "--healthy-timeout", "60", "--poll-interval", "1"]
const TEST_TIMEOUT = 150_000

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => destroyClients(sdk))

const ourTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith("aws-ha-updater:"))

/** A stack with a launch template and two groups of 2 (min 1, max 6), no load balancer, made straight in moto. */
const twoGroupTemplate = JSON.stringify({
  AWSTemplateFormatVersion: "2010-09-09",
  Parameters: { ImageId: { Type: "AWS::EC2::Image::Id" } },
  Resources: {
    Template: { Type: "AWS::EC2::LaunchTemplate", Properties: { LaunchTemplateData: { ImageId: { Ref: "ImageId" }, InstanceType: "t3.micro" } } },
    ...Object.fromEntries(["First", "Second"].map((id) => [id, {
      Type: "AWS::AutoScaling::AutoScalingGroup",
      Properties: {
        MinSize: "1",
        MaxSize: "6",
        DesiredCapacity: "2",
        AvailabilityZones: { "Fn::GetAZs": "" },
        LaunchTemplate: { LaunchTemplateId: { Ref: "Template" }, Version: { "Fn::GetAtt": ["Template", "LatestVersionNumber"] } }
      }
    }]))
  },
  Outputs: { First: { Value: { Ref: "First" } }, Second: { Value: { Ref: "Second" } } }
})

const stack = async (stackName: string) => {
  const [ami] = await twoImageIds(sdk)
  await createStackDirectly(sdk, stackName, twoGroupTemplate, { ImageId: ami })
  const outputs = await stackOutputs(sdk, stackName)
  return { first: outputs["First"]!, second: outputs["Second"]! }
}

const groupParam = (p: URLSearchParams) => p.get("AutoScalingGroupName")

describe("update-asgs on AWS as it really is", () => {
  it("a group scaled out while an earlier group rolled keeps its new size (each group is looked at again at its turn)", async () => {
    const { first, second } = await stack("fresh-look")
    currentProxy().onAfter("UpdateAutoScalingGroup", async () => {
      // A scaling policy or a person: the second group goes 2→4 while the first one rolls.
      await sdk.autoScaling.send(new AS.SetDesiredCapacityCommand({ AutoScalingGroupName: second, DesiredCapacity: 4 }))
    }, { when: (p) => groupParam(p) === first && p.get("DesiredCapacity") === "4" })
    const run = await runCli("update-asgs", ["fresh-look", ...ROLL, "--parallel", "1", "--output", "json"], { endpoint: currentProxy().url })
    expect(run.code, describeRun(run)).toBe(0)
    const after = await readGroupState(sdk, second)
    expect(after.sizes).toEqual({ minSize: 1, maxSize: 6, desiredCapacity: 4 })
    expect(after.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(4)
    expect(ourTags(after.tags)).toEqual([])
  }, TEST_TIMEOUT)

  it("two update-asgs started at the same moment: one exits 0, the other exits 2, the group is rolled once", async () => {
    const { first } = await stack("two-writers")
    const before = await readGroupState(sdk, first)
    const args = ["two-writers", ...ROLL, "--asg", "First"]
    const [a, b] = await Promise.all([
      startCli("update-asgs", args, { endpoint: currentProxy().url }).done,
      startCli("update-asgs", args, { endpoint: currentProxy().url }).done
    ])
    const codes = [a!.code, b!.code].sort()
    expect(codes, `${describeRun(a!)}\n${describeRun(b!)}`).toEqual([0, 2])
    const loser = a!.code === 2 ? a! : b!
    expect(loser.stderr).toContain("another rollout holds group")
    const after = await readGroupState(sdk, first)
    expect(after.sizes).toEqual(before.sizes)
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([])
    expect(after.ids).toHaveLength(2)
    expect(ourTags(after.tags)).toEqual([])
    // Rolled once: one scale-out, each old instance terminated once.
    const calls = currentProxy().calls.filter((c) => c.params["AutoScalingGroupName"] === first || c.action === "TerminateInstanceInAutoScalingGroup")
    expect(calls.filter((c) => c.action === "UpdateAutoScalingGroup" && c.params["DesiredCapacity"] === "4")).toHaveLength(1)
    expect(calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup").map((c) => c.params["InstanceId"]).sort()).toEqual(before.ids)
    expect(calls.filter((c) => c.action === "SuspendProcesses")).toHaveLength(1)
  }, TEST_TIMEOUT)

  it("recover against a rollout that is still alive exits 2 and changes nothing; the rollout then finishes", async () => {
    const { first } = await stack("alive")
    let held: Promise<void> | undefined
    // Once scaled out, the next look at the group is held: the run is alive, waiting.
    currentProxy().onAfter("UpdateAutoScalingGroup", () => void (held = currentProxy().hold("DescribeAutoScalingGroups")), {
      when: (p) => groupParam(p) === first && p.get("DesiredCapacity") === "4"
    })
    const running = startCli("update-asgs", ["alive", ...ROLL, "--asg", "First", "--output", "json"], { endpoint: currentProxy().url })
    for (let i = 0; i < 600 && held === undefined; i++) await new Promise((r) => setTimeout(r, 100))
    expect(held, "the scale-out never came").toBeDefined()
    await held
    const mutatingBefore = currentProxy().mutatingCalls().length
    const recovered = await runCli("aws-ha-updater", ["recover", "alive"], { endpoint: currentProxy().url })
    expect(recovered.code, describeRun(recovered)).toBe(2)
    expect(recovered.stderr).toContain(`another rollout holds group ${first}`)
    // Nothing of recover's: only the live run's own heartbeat may have been written meanwhile.
    const heartbeat = (c: { readonly action: string; readonly params: Readonly<Record<string, string>> }) =>
      c.action === "CreateOrUpdateTags" && c.params["Tags.member.1.Key"] === "aws-ha-updater:rollout:heartbeat"
    expect(currentProxy().mutatingCalls().slice(mutatingBefore).filter((c) => !heartbeat(c))).toEqual([])
    currentProxy().release("DescribeAutoScalingGroups")
    const done = await running.done
    expect(done.code, describeRun(done)).toBe(0)
    expect(ourTags((await readGroupState(sdk, first)).tags)).toEqual([])
  }, TEST_TIMEOUT)
})
