/** The fault proxy against a stub upstream: what it records, and that the SDK reads its faults as AWS's. */
import * as AS from "@aws-sdk/client-auto-scaling"
import * as EC2 from "@aws-sdk/client-ec2"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { FaultProxy } from "./FaultProxy.js"

/** Answers every Query call with an empty result of its action, and counts what reached it. */
const startStub = async () => {
  const seen: Array<string> = []
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString()).get("Action") ?? "Unknown"
      seen.push(action)
      res.writeHead(200, { "content-type": "text/xml" })
      res.end(`<${action}Response><${action}Result></${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

// The SDK's Node 20 notice is noise here.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"

const config = (endpoint: string) => ({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1
})

describe("FaultProxy", () => {
  let stub: Awaited<ReturnType<typeof startStub>>
  let proxy: FaultProxy
  let autoScaling: AS.AutoScalingClient
  let ec2: EC2.EC2Client

  beforeEach(async () => {
    stub = await startStub()
    proxy = await FaultProxy.start(stub.url)
    autoScaling = new AS.AutoScalingClient(config(proxy.url))
    ec2 = new EC2.EC2Client(config(proxy.url))
  })

  afterEach(async () => {
    autoScaling.destroy()
    ec2.destroy()
    await proxy.close()
    await stub.close()
  })

  it("forwards calls and records each action with its service, telling mutating ones apart", async () => {
    await autoScaling.send(new AS.DescribeAutoScalingGroupsCommand({}))
    await autoScaling.send(new AS.SuspendProcessesCommand({ AutoScalingGroupName: "g" }))
    await ec2.send(new EC2.DescribeInstancesCommand({}))
    expect(proxy.calls.map((c) => [c.service, c.action, c.outcome, c.status])).toEqual([
      ["autoscaling", "DescribeAutoScalingGroups", "forwarded", 200],
      ["autoscaling", "SuspendProcesses", "forwarded", 200],
      ["ec2", "DescribeInstances", "forwarded", 200]
    ])
    expect(proxy.mutatingCalls().map((c) => c.action)).toEqual(["SuspendProcesses"])
    expect(proxy.calls[1]?.params).toMatchObject({ Action: "SuspendProcesses", AutoScalingGroupName: "g" })
    // The SDK announces its own attempt count on the wire: with maxAttempts 1 it never retries by itself.
    expect(proxy.calls.map((c) => c.sdkRequest)).toEqual(["attempt=1; max=1", "attempt=1; max=1", "attempt=1; max=1"])
    expect(new Set(proxy.calls.map((c) => c.invocationId)).size).toBe(3)
    expect(stub.seen).toEqual(["DescribeAutoScalingGroups", "SuspendProcesses", "DescribeInstances"])
    expect(proxy.errors).toEqual([])
  })

  it("answers throttled calls in the shape the SDK reads as Throttling / RequestLimitExceeded", async () => {
    proxy.throttle("DescribeAutoScalingGroups", { count: 2 })
    proxy.throttle("DescribeInstances", { count: 1 })
    for (let i = 0; i < 2; i++) {
      await expect(autoScaling.send(new AS.DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({
        name: "Throttling",
        message: "Rate exceeded",
        $metadata: { httpStatusCode: 400 }
      })
    }
    await autoScaling.send(new AS.DescribeAutoScalingGroupsCommand({}))
    await expect(ec2.send(new EC2.DescribeInstancesCommand({}))).rejects.toMatchObject({ name: "RequestLimitExceeded" })
    expect(proxy.counts()).toEqual({ DescribeAutoScalingGroups: 3, DescribeInstances: 1 })
    expect(proxy.calls.filter((c) => c.outcome === "throttled")).toHaveLength(3)
    expect(stub.seen).toEqual(["DescribeAutoScalingGroups"])
  })

  it("throttles for a while, then lets calls through", async () => {
    proxy.throttle("DescribeAutoScalingGroups", { forMs: 150 })
    await expect(autoScaling.send(new AS.DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({ name: "Throttling" })
    await new Promise((r) => setTimeout(r, 200))
    await autoScaling.send(new AS.DescribeAutoScalingGroupsCommand({}))
    expect(stub.seen).toEqual(["DescribeAutoScalingGroups"])
  })

  it("holds a call until released, and tells when it arrived", async () => {
    const arrived = proxy.hold("UpdateAutoScalingGroup")
    let answered = false
    const call = autoScaling.send(new AS.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "g", DesiredCapacity: 3 }))
      .then(() => (answered = true))
    await arrived
    await new Promise((r) => setTimeout(r, 100))
    expect(answered).toBe(false)
    expect(stub.seen).toEqual([])
    proxy.release()
    await call
    expect(stub.seen).toEqual(["UpdateAutoScalingGroup"])
  })

  it("forwards a held call on release even when its client is gone (the call reached AWS, the answer did not)", async () => {
    const arrived = proxy.hold("TerminateInstanceInAutoScalingGroup")
    const abort = new AbortController()
    const call = autoScaling.send(
      new AS.TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-1", ShouldDecrementDesiredCapacity: true }),
      { abortSignal: abort.signal }
    )
    await arrived
    abort.abort()
    await expect(call).rejects.toBeDefined()
    proxy.release("TerminateInstanceInAutoScalingGroup")
    for (let i = 0; i < 50 && stub.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(stub.seen).toEqual(["TerminateInstanceInAutoScalingGroup"])
    expect(proxy.errors).toEqual([])
  })

  it("drops a held call on close, and closes within its bound", async () => {
    const arrived = proxy.hold("UpdateAutoScalingGroup")
    const call = autoScaling.send(new AS.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "g" }))
    await arrived
    await proxy.close()
    await expect(call).rejects.toBeDefined()
    expect(stub.seen).toEqual([])
    expect(proxy.calls.map((c) => c.outcome)).toEqual(["dropped"])
  })

  it("runs an onAfter hook once, before the answer reaches the client", async () => {
    const order: Array<string> = []
    proxy.onAfter("UpdateAutoScalingGroup", async (ctx) => {
      await new Promise((r) => setTimeout(r, 50))
      order.push(`hook ${ctx.params.get("DesiredCapacity")} ${ctx.status}`)
    }, { when: (p) => p.get("DesiredCapacity") === "4" })
    await autoScaling.send(new AS.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "g", DesiredCapacity: 2 }))
    order.push("answer 2")
    await autoScaling.send(new AS.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "g", DesiredCapacity: 4 }))
    order.push("answer 4")
    await autoScaling.send(new AS.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "g", DesiredCapacity: 4 }))
    order.push("answer 4 again")
    expect(order).toEqual(["answer 2", "hook 4 200", "answer 4", "answer 4 again"])
    expect(proxy.errors).toEqual([])
  })

  it("records a failing hook as an error instead of hiding it", async () => {
    proxy.onAfter("SuspendProcesses", () => {
      throw new Error("boom")
    })
    await autoScaling.send(new AS.SuspendProcessesCommand({ AutoScalingGroupName: "g" }))
    expect(proxy.errors).toEqual(["hook SuspendProcesses: boom"])
  })
})
