import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AwsError } from "./Errors.js"

/** CloudWatch's alarm states. */
export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA"

/** One alarm as the rollout watches it: its state and why CloudWatch put it there. */
export interface AlarmState {
  readonly name: string
  readonly state: AlarmStateValue
  /** CloudWatch's StateReason, e.g. "Threshold Crossed: 1 datapoint [93.0] was greater than the threshold (80.0)." */
  readonly reason: string
}

/** CloudWatch alarms that gate a rollout (loaded only when the run names an alarm). */
export class Alarms extends Context.Tag("aws-ha-updater/Alarms")<
  Alarms,
  {
    /**
     * The named alarms, metric and composite, read with one DescribeAlarms (pages followed, 100 names per request).
     * A name CloudWatch does not know is absent from the answer.
     */
    readonly describe: (names: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<AlarmState>, AwsError>
  }
>() {}
