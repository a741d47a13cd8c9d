import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { type AwsError, isRetryable } from "./Errors.js"
import { ThrottleGate } from "./ThrottleGate.js"

/**
 * Retries are owned here, not by the SDK: live clients are built with maxAttempts 1, and every service method
 * (live and fake alike) is wrapped once by `retrying`, so attempts never multiply.
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("aws-ha-updater/RetryPolicy", {
  defaultValue: () => ({ schedule: defaultRetrySchedule })
}) {}

/** Exponential from 250 ms with jitter, each delay capped at 20 s, at most 8 retries (about a minute in all). */
export const defaultRetrySchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(20))),
  Schedule.intersect(Schedule.recurs(8))
)

/** Look-before-you-start checks: a couple of quick retries, then the caller goes on without the answer. */
export const advisoryRetrySchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("200 millis", 2).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(2))
)
const ADVISORY_METHODS: ReadonlySet<string> = new Set(["instanceRefreshInProgress"])

type AnyMethod = (...args: ReadonlyArray<any>) => Effect.Effect<any, any, never>

type Tagged = AwsError | { readonly _tag: string }

/**
 * `Effect.retry(attempt, { schedule, while: isRetryable })`, step for step, with the retry machinery (a schedule
 * driver, the iteration metadata in context) set up only once an attempt has failed: most calls succeed at once.
 * The first attempt sees the default `CurrentIterationMetadata`, as under `Effect.retry`; every failure, retryable
 * or not, is handed to the schedule's driver as `Effect.retry` hands it.
 */
const retried = <A, E extends Tagged>(
  attempt: Effect.Effect<A, E>,
  policy: Schedule.Schedule<unknown, E>
): Effect.Effect<A, E> =>
  Effect.catchAll(attempt, (first) =>
    Effect.flatMap(Schedule.driver(policy), (driver) => {
      const again = Effect.provideServiceEffect(attempt, Schedule.CurrentIterationMetadata, Ref.get(driver.iterationMeta))
      const onError = (e: E): Effect.Effect<A, E> =>
        Effect.matchEffect(driver.next(e), {
          onFailure: () => Effect.fail(e),
          onSuccess: () => Effect.catchAll(again, onError)
        })
      return onError(first)
    }))

/** Wraps every method of a service so that throttling and transient errors are retried by `schedule`. */
export const retrying = <S extends { readonly [K in keyof S]: AnyMethod }>(
  service: S,
  schedule: Schedule.Schedule<unknown, unknown>
): S => {
  const wrapped: Record<string, AnyMethod> = {}
  for (const [name, method] of Object.entries(service) as Array<[string, AnyMethod]>) {
    const policy = Schedule.whileInput(
      ADVISORY_METHODS.has(name) ? advisoryRetrySchedule : schedule,
      (e: Tagged) => isRetryable(e)
    )
    wrapped[name] = (...args) =>
      Effect.flatMap(Effect.serviceOption(ThrottleGate), (gate) => {
        // With a run-wide gate, every attempt first waits for it, and reports back what AWS said.
        const attempt = Option.match(gate, {
          onNone: () => method(...args),
          onSome: (g) =>
            g.pass.pipe(
              Effect.zipRight(method(...args)),
              Effect.tapBoth({
                onFailure: (e: { readonly _tag: string }) => (e._tag === "Throttled" ? g.throttled : Effect.void),
                onSuccess: () => g.succeeded
              })
            )
        })
        return retried(attempt, policy)
      })
  }
  return wrapped as unknown as S
}
