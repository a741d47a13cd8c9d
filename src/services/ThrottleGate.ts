import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

/**
 * One limiter for the whole run: when AWS throttles any call, every call site waits before its next request,
 * instead of each one hammering the account's shared rate limit on its own schedule.
 */
export class ThrottleGate extends Context.Tag("aws-ha-updater/ThrottleGate")<
  ThrottleGate,
  {
    /** Waits until the gate is open. */
    readonly pass: Effect.Effect<void>
    /** AWS throttled a call: close the gate for a while, longer each time in a row. */
    readonly throttled: Effect.Effect<void>
    /** A call went through: the next close is shorter again. */
    readonly succeeded: Effect.Effect<void>
  }
>() {}

export interface GateSettings {
  readonly initialMillis?: number
  readonly maxMillis?: number
}

export const makeThrottleGate = (settings: GateSettings = {}) =>
  Effect.gen(function*() {
    const initial = settings.initialMillis ?? 250
    const max = settings.maxMillis ?? 20_000
    const state = yield* Ref.make({ openAt: 0, pause: 0 })
    const pass = Effect.gen(function*() {
      const { openAt } = yield* Ref.get(state)
      const now = yield* Clock.currentTimeMillis
      if (openAt > now) yield* Effect.sleep(openAt - now)
    })
    const throttled = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      yield* Ref.update(state, ({ openAt, pause }) => {
        const next = Math.min(max, pause === 0 ? initial : pause * 2)
        return { openAt: Math.max(openAt, now + next), pause: next }
      })
    })
    const succeeded = Ref.update(state, (s) => (s.pause === 0 ? s : { ...s, pause: Math.floor(s.pause / 2) }))
    return ThrottleGate.of({ pass, throttled, succeeded })
  })

/** Runs `effect` with a fresh gate shared by every AWS call inside it. */
export const withThrottleGate = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, ThrottleGate>> =>
  Effect.flatMap(makeThrottleGate(), (gate) => Effect.provideService(effect, ThrottleGate, gate))
