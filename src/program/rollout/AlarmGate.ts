import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Alarms, type AlarmState } from "../../services/Alarms.js"
import type { AwsError } from "../../services/Errors.js"
import { AlarmGateRefused } from "./RolloutErrors.js"

/** Reads the named alarms in one DescribeAlarms; none named: no call at all. */
export const alarmReader = (
  names: ReadonlyArray<string>
): Effect.Effect<Effect.Effect<ReadonlyArray<AlarmState>, AwsError> | undefined> =>
  names.length === 0
    ? Effect.succeed(undefined)
    : Effect.map(Effect.serviceOption(Alarms), Option.match({
      // Library users who compose their own layers and name no alarm never need the service.
      onNone: () => Effect.dieMessage("--alarm was given but the Alarms service is not provided (add it to the layer)"),
      onSome: (alarms) => alarms.describe(names)
    }))

/** The first named alarm that is missing from `states` or in ALARM: what a wave must roll back on. */
export const firing = (names: ReadonlyArray<string>, states: ReadonlyArray<AlarmState>): { readonly alarm: string; readonly reason: string } | undefined => {
  for (const name of names) {
    const s = states.find((a) => a.name === name)
    if (s === undefined) return { alarm: name, reason: "the alarm no longer exists, so it can no longer gate the rollout" }
    if (s.state === "ALARM") return { alarm: name, reason: s.reason }
  }
  return undefined
}

/** Before any change: every named alarm exists and none is in ALARM already (that could only end in a roll-back). */
export const checkAlarms = Effect.fn("Rollout.checkAlarms")(function*(names: ReadonlyArray<string>) {
  const read = yield* alarmReader(names)
  if (read === undefined) return
  const states = yield* read
  for (const name of names) {
    const s = states.find((a) => a.name === name)
    if (s === undefined) return yield* Effect.fail(new AlarmGateRefused({ alarm: name, problem: "missing", reason: "not found" }))
    if (s.state === "ALARM") return yield* Effect.fail(new AlarmGateRefused({ alarm: name, problem: "firing", reason: s.reason }))
  }
})
