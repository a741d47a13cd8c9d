import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, vi } from "vitest"
import { AwsClientConfig } from "../../src/layers/live/AwsClientConfig.js"
import * as LiveAutoScaling from "../../src/layers/live/LiveAutoScaling.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { RetryPolicy, type RetryPolicyShape } from "../../src/services/Retry.js"

/** What the stub server does with the next requests; it records every request it saw. */
type Behaviour = (req: IncomingMessage, res: ServerResponse) => void

let behaviour: Behaviour = (_, res) => res.end()
const seen: Array<{ readonly body: string; readonly aborted: Promise<boolean> }> = []
let server: Server
let endpoint = ""

const queryError = (code: string, message: string) =>
  `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
  `<RequestId>stub</RequestId></ErrorResponse>`

beforeAll(async () => {
  // No real credential chain here: env keys, and never the instance metadata endpoint.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "testing")
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing")
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true")
  vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true")
  server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => (body += chunk.toString()))
    req.on("end", () => {
      const aborted = new Promise<boolean>((resolve) => {
        res.on("close", () => resolve(!res.writableFinished))
      })
      seen.push({ body, aborted })
      behaviour(req, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  vi.unstubAllEnvs()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const withAutoScaling = <A, E>(effect: Effect.Effect<A, E, AutoScaling>, policy: RetryPolicyShape = { schedule: Schedule.recurs(2) }) =>
  Effect.suspend(() => {
    seen.length = 0
    const live = LiveAutoScaling.layer.pipe(
      Layer.provide(Layer.succeed(AwsClientConfig, { region: "us-east-1", endpoint })),
      // Two retries without delay by default: enough to count attempts, quick enough for a unit test.
      Layer.provide(Layer.succeed(RetryPolicy, policy))
    )
    return Effect.provide(effect, live)
  })

describe("live SDK calls", () => {
  it.live("retries throttling with our schedule only: one HTTP request per attempt", () =>
    Effect.gen(function*() {
      behaviour = (_, res) => {
        res.writeHead(400, { "content-type": "text/xml" })
        res.end(queryError("Throttling", "Rate exceeded"))
      }
      const error = yield* withAutoScaling(Effect.flatMap(AutoScaling, (as) => as.describeGroups(["web"]))).pipe(
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "Throttled", operation: "DescribeAutoScalingGroups" })
      expect(seen).toHaveLength(3)
      expect(seen[0]?.body).toContain("Action=DescribeAutoScalingGroups")
      expect(seen[0]?.body).toContain("MaxRecords=100")
    }))

  it.live("does not retry a validation error", () =>
    Effect.gen(function*() {
      behaviour = (_, res) => {
        res.writeHead(400, { "content-type": "text/xml" })
        res.end(queryError("ValidationError", "New SetDesiredCapacity value 9 is above max value 4"))
      }
      const error = yield* withAutoScaling(
        Effect.flatMap(AutoScaling, (as) => as.updateSizes("web", { desiredCapacity: 9 }))
      ).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "AwsValidationError", operation: "UpdateAutoScalingGroup" })
      expect(seen).toHaveLength(1)
    }))

  it.live("interrupting a call aborts its HTTP request", () =>
    Effect.gen(function*() {
      // Never answers: only the client giving up closes the connection.
      behaviour = () => undefined
      const outcome = yield* withAutoScaling(
        Effect.flatMap(AutoScaling, (as) => as.describeGroups(["web"])).pipe(Effect.timeout("300 millis"))
      ).pipe(Effect.flip)
      expect(outcome._tag).toBe("TimeoutException")
      expect(seen).toHaveLength(1)
      const aborted = yield* Effect.promise(() => seen[0]!.aborted).pipe(Effect.timeout("5 seconds"))
      expect(aborted).toBe(true)
    }))

  it.live("asks nothing of AWS for an empty name list, which would mean every group", () =>
    Effect.gen(function*() {
      const groups = yield* withAutoScaling(Effect.flatMap(AutoScaling, (as) => as.describeGroups([])))
      expect(groups).toEqual([])
      expect(seen).toHaveLength(0)
    }))

  it.live("an attempt that gets no answer within the call timeout is aborted and retried as transient", () =>
    Effect.gen(function*() {
      behaviour = () => undefined
      const started = Date.now()
      const error = yield* withAutoScaling(
        Effect.flatMap(AutoScaling, (as) => as.describeGroups(["web"])),
        { schedule: Schedule.recurs(1), callTimeout: "300 millis" }
      ).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "TransientAwsError", message: expect.stringContaining("call timeout") })
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(seen).toHaveLength(2)
      const aborted = yield* Effect.promise(() => Promise.all(seen.map((s) => s.aborted))).pipe(Effect.timeout("5 seconds"))
      expect(aborted).toEqual([true, true])
    }))

  it.live("ScalingActivityInProgress is retried on the activity schedule, then the call goes through", () =>
    Effect.gen(function*() {
      let refusals = 2
      behaviour = (_, res) => {
        if (refusals-- > 0) {
          res.writeHead(400, { "content-type": "text/xml" })
          res.end(queryError("ScalingActivityInProgress", "Scaling activity 1234 is in progress and blocks this action"))
        } else {
          res.writeHead(200, { "content-type": "text/xml" })
          res.end("<UpdateAutoScalingGroupResponse><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></UpdateAutoScalingGroupResponse>")
        }
      }
      yield* withAutoScaling(
        Effect.flatMap(AutoScaling, (as) => as.updateSizes("web", { desiredCapacity: 3 })),
        { schedule: Schedule.stop, activitySchedule: Schedule.recurs(3) }
      )
      expect(seen.map((s) => s.body.includes("Action=UpdateAutoScalingGroup"))).toEqual([true, true, true])
    }))

  it.live("a terminate that failed with a 5xx is not sent again when DescribeAutoScalingInstances shows it terminating", () =>
    Effect.gen(function*() {
      behaviour = (_, res) => {
        const last = seen.at(-1)?.body ?? ""
        if (last.includes("Action=TerminateInstanceInAutoScalingGroup")) {
          res.writeHead(503, { "content-type": "text/xml" })
          res.end(queryError("ServiceUnavailable", "try later"))
        } else {
          res.writeHead(200, { "content-type": "text/xml" })
          res.end(
            "<DescribeAutoScalingInstancesResponse><DescribeAutoScalingInstancesResult><AutoScalingInstances><member>" +
              "<InstanceId>i-0123</InstanceId><AutoScalingGroupName>web</AutoScalingGroupName><LifecycleState>Terminating</LifecycleState>" +
              "<AvailabilityZone>us-east-1a</AvailabilityZone><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn>" +
              "</member></AutoScalingInstances></DescribeAutoScalingInstancesResult>" +
              "<ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></DescribeAutoScalingInstancesResponse>"
          )
        }
      }
      yield* withAutoScaling(Effect.flatMap(AutoScaling, (as) => as.terminateInstance("i-0123", true)))
      expect(seen.map((s) => new URLSearchParams(s.body).get("Action"))).toEqual([
        "TerminateInstanceInAutoScalingGroup",
        "DescribeAutoScalingInstances"
      ])
      expect(new URLSearchParams(seen[1]?.body ?? "").get("InstanceIds.member.1")).toBe("i-0123")
    }))
})
