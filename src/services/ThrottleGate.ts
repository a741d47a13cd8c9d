import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

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
  /** The first pause after a throttled call; it doubles with each throttle in a row. Default 250. */
  readonly initialMillis?: number
  /** The longest pause. Default 20 000. */
  readonly maxMillis?: number
}

export const makeThrottleGate = (settings: GateSettings = {}): Effect.Effect<Context.Tag.Service<ThrottleGate>> =>
  Effect.sync(() => {
    const initial = settings.initialMillis ?? 250
    const max = settings.maxMillis ?? 20_000
    // Plain fields, not a Ref: every AWS call passes here, and a read or write of them is one synchronous step.
    const state = { openAt: 0, pause: 0 }
    const pass = Effect.suspend(() => {
      const openAt = state.openAt
      return Effect.flatMap(Clock.currentTimeMillis, (now) => (openAt > now ? Effect.sleep(openAt - now) : Effect.void))
    })
    const throttled = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        const next = Math.min(max, state.pause === 0 ? initial : state.pause * 2)
        state.openAt = Math.max(state.openAt, now + next)
        state.pause = next
      }))
    const succeeded = Effect.sync(() => {
      if (state.pause !== 0) state.pause = Math.floor(state.pause / 2)
    })
    return ThrottleGate.of({ pass, throttled, succeeded })
  })

/** Runs `effect` with a fresh gate shared by every AWS call inside it. */
export const withThrottleGate = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, ThrottleGate>> =>
  Effect.flatMap(makeThrottleGate(), (gate) => Effect.provideService(effect, ThrottleGate, gate))

/**
 * One gate for every AWS call of the program it is provided to (`Effect.provide(program, ThrottleGate.layer())`):
 * each call looks for a gate where it runs, so the gate may sit anywhere above the calls.
 */
export const layer = (settings: GateSettings = {}): Layer.Layer<ThrottleGate> =>
  Layer.effect(ThrottleGate, makeThrottleGate(settings))
