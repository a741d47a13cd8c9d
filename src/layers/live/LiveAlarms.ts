import type * as CW from "@aws-sdk/client-cloudwatch"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Alarms, type AlarmState, type AlarmStateValue } from "../../services/Alarms.js"
import { retrying } from "../../services/Retry.js"
import type { AwsClientConfig } from "./AwsClientConfig.js"
import { lazyClient } from "./SdkClient.js"

/** DescribeAlarms accepts at most 100 alarm names per call, and answers at most 100 alarms a page. */
const describeBatch = 100

const states: ReadonlySet<string> = new Set<AlarmStateValue>(["OK", "ALARM", "INSUFFICIENT_DATA"])

/** A state this client does not know yet says as little as INSUFFICIENT_DATA: it must not pass for OK. */
const toStateValue = (value: string | undefined): AlarmStateValue =>
  value !== undefined && states.has(value) ? value as AlarmStateValue : "INSUFFICIENT_DATA"

export const toAlarmState = (alarm: CW.MetricAlarm | CW.CompositeAlarm): AlarmState => ({
  name: alarm.AlarmName ?? "",
  state: toStateValue(alarm.StateValue),
  reason: alarm.StateReason ?? ""
})

/** CloudWatch DescribeAlarms; the CloudWatch SDK is loaded only when a run names an alarm. */
export const layer: Layer.Layer<Alarms, never, AwsClientConfig> = Layer.scoped(
  Alarms,
  Effect.gen(function*() {
    const send = yield* lazyClient(
      () => import("@aws-sdk/client-cloudwatch"),
      (m, options) => new m.CloudWatchClient(options)
    )

    const describeBatchOf = (names: ReadonlyArray<string>) =>
      send("DescribeAlarms", async (m, client, signal) => {
        const alarms: Array<AlarmState> = []
        const pages = m.paginateDescribeAlarms(
          { client, pageSize: describeBatch },
          { AlarmNames: [...names], AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: describeBatch },
          { abortSignal: signal }
        )
        for await (const page of pages) {
          alarms.push(...(page.MetricAlarms ?? []).map(toAlarmState), ...(page.CompositeAlarms ?? []).map(toAlarmState))
        }
        return alarms
      })

    return yield* retrying(Alarms.of({
      describe: (names) => {
        const unique = Arr.dedupe(names)
        // An empty name list would describe every alarm of the account.
        if (unique.length === 0) return Effect.succeed([])
        return Effect.forEach(Arr.chunksOf(unique, describeBatch), describeBatchOf).pipe(
          Effect.map((batches) => batches.flat())
        )
      }
    }))
  })
)
