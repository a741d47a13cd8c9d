import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Alarms, AlarmState } from "../../services/Alarms.js"
import type { Runner } from "./FakeCalls.js"

/** 100 names a call, as the live layer asks (DescribeAlarms takes no more). */
const DESCRIBE_BATCH = 100

/** DescribeAlarms answers the alarms it knows by name and leaves the others out, as CloudWatch does. */
export const makeAlarms = (runner: Runner): typeof Alarms.Service => {
  const describeBatch = (names: ReadonlyArray<string>) =>
    runner.call("DescribeAlarms", (w) =>
      Either.right(names.flatMap((name): ReadonlyArray<AlarmState> => {
        const alarm = w.alarms.get(name)
        return alarm === undefined ? [] : [{ name, state: alarm.state, reason: alarm.reason }]
      })), { AlarmNames: names })
  return {
    describe: (names) => {
      const unique = Arr.dedupe(names)
      // The live layer asks nothing for no names: an empty list would mean every alarm of the account.
      if (unique.length === 0) return Effect.succeed([])
      return Effect.map(Effect.forEach(Arr.chunksOf(unique, DESCRIBE_BATCH), describeBatch), (pages) => pages.flat())
    }
  }
}
