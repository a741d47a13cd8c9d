import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, vi } from "vitest"
import { AwsClientConfig } from "../../src/layers/live/AwsClientConfig.js"
import * as LiveAlarms from "../../src/layers/live/LiveAlarms.js"
import { Alarms } from "../../src/services/Alarms.js"
import { RetryPolicy } from "../../src/services/Retry.js"

/** What CloudWatch's JSON protocol carries in a DescribeAlarms request. */
interface DescribeAlarmsBody {
  readonly AlarmNames?: ReadonlyArray<string>
  readonly AlarmTypes?: ReadonlyArray<string>
  readonly MaxRecords?: number
  readonly NextToken?: string
}

type Behaviour = (body: DescribeAlarmsBody, res: ServerResponse) => void

let behaviour: Behaviour = (_, res) => res.end()
const seen: Array<{ readonly target: string; readonly body: DescribeAlarmsBody; readonly aborted: Promise<boolean> }> = []
let server: Server
let endpoint = ""

const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.0", ...headers })
  res.end(JSON.stringify(body))
}

const metricAlarm = (name: string, StateValue: string, StateReason: string) => ({
  AlarmName: name,
  AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
  StateValue,
  StateReason,
  MetricName: "HTTPCode_Target_5XX_Count",
  Namespace: "AWS/ApplicationELB",
  Threshold: 10
})

beforeAll(async () => {
  // No real credential chain here: env keys, and never the instance metadata endpoint.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "testing")
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing")
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true")
  vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true")
  server = createServer((req: IncomingMessage, res) => {
    let text = ""
    req.on("data", (chunk: Buffer) => (text += chunk.toString()))
    req.on("end", () => {
      const aborted = new Promise<boolean>((resolve) => {
        res.on("close", () => resolve(!res.writableFinished))
      })
      const body = JSON.parse(text === "" ? "{}" : text) as DescribeAlarmsBody
      seen.push({ target: String(req.headers["x-amz-target"] ?? ""), body, aborted })
      behaviour(body, res)
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

const describeAlarms = (names: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    seen.length = 0
    const live = LiveAlarms.layer.pipe(
      Layer.provide(Layer.succeed(AwsClientConfig, { region: "us-east-1", endpoint })),
      // Two retries without delay: enough to count attempts, quick enough for a unit test.
      Layer.provide(Layer.succeed(RetryPolicy, { schedule: Schedule.recurs(2) }))
    )
    return Effect.provide(Effect.flatMap(Alarms, (alarms) => alarms.describe(names)), live)
  })

describe("live CloudWatch alarms", () => {
  it.live("asks for 100 names a request, metric and composite alarms, and follows NextToken", () =>
    Effect.gen(function*() {
      // Each batch answers in two pages: its metric alarms (even numbers) first, then its composite ones (odd).
      const numberOf = (name: string) => Number(name.replace("alarm-", ""))
      behaviour = (body, res) => {
        const names = body.AlarmNames ?? []
        if (body.NextToken === undefined) {
          answer(res, 200, {
            MetricAlarms: names.filter((n) => numberOf(n) % 2 === 0).map((n) => metricAlarm(n, "OK", "fine")),
            NextToken: `after-${names[0]}`
          })
        } else {
          answer(res, 200, {
            CompositeAlarms: names.filter((n) => numberOf(n) % 2 === 1).map((n) => ({
              AlarmName: n,
              StateValue: "ALARM",
              StateReason: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:child transitioned to ALARM"
            }))
          })
        }
      }
      const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`)
      const alarms = yield* describeAlarms([...names, "alarm-0"])

      expect(seen.map((s) => s.target)).toEqual(Array.from({ length: 4 }, () => "GraniteServiceVersion20100801.DescribeAlarms"))
      expect(seen.map((s) => [s.body.AlarmNames?.length, s.body.NextToken])).toEqual([
        [100, undefined],
        [100, "after-alarm-0"],
        [50, undefined],
        [50, "after-alarm-100"]
      ])
      expect(seen[0]?.body).toMatchObject({ AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100 })
      expect(seen[2]?.body.AlarmNames?.[0]).toBe("alarm-100")

      expect(alarms.map((a) => a.name).sort()).toEqual([...names].sort())
      expect(alarms.find((a) => a.name === "alarm-120")).toEqual({ name: "alarm-120", state: "OK", reason: "fine" })
      expect(alarms.find((a) => a.name === "alarm-121")).toEqual({
        name: "alarm-121",
        state: "ALARM",
        reason: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:child transitioned to ALARM"
      })
    }))

  it.live("asks nothing of CloudWatch for an empty name list, which would mean every alarm", () =>
    Effect.gen(function*() {
      expect(yield* describeAlarms([])).toEqual([])
      expect(seen).toHaveLength(0)
    }))

  it.live("retries throttling with our schedule only, and says Throttled once it gives up", () =>
    Effect.gen(function*() {
      behaviour = (_, res) =>
        answer(res, 400, { __type: "com.amazonaws.cloudwatch#Throttling", message: "Rate exceeded" }, {
          "x-amzn-query-error": "Throttling;Sender"
        })
      const error = yield* Effect.flip(describeAlarms(["web-5xx"]))
      expect(error).toMatchObject({ _tag: "Throttled", operation: "DescribeAlarms" })
      expect(seen).toHaveLength(3)
    }))

  it.live("interrupting a call aborts its HTTP request", () =>
    Effect.gen(function*() {
      behaviour = () => undefined
      const outcome = yield* Effect.flip(describeAlarms(["web-5xx"]).pipe(Effect.timeout("300 millis")))
      expect(outcome._tag).toBe("TimeoutException")
      expect(seen).toHaveLength(1)
      expect(yield* Effect.promise(() => seen[0]!.aborted).pipe(Effect.timeout("5 seconds"))).toBe(true)
    }))
})
