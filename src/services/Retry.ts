import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { type AwsError, isAmbiguous, isBusy, isRetryable, TransientAwsError } from "./Errors.js"
import { ThrottleGate } from "./ThrottleGate.js"

export interface RetryPolicyShape {
  /** Retries after throttling and transient failures (5xx, a broken connection, an attempt that timed out). */
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /**
   * Retries after ScalingActivityInProgress / ResourceContention: the group is busy with a launch or a termination,
   * which lasts minutes (draining alone is 300 s by default). Default `defaultActivitySchedule`.
   */
  readonly activitySchedule?: Schedule.Schedule<unknown, unknown>
  /**
   * How long one attempt of one call may take. An attempt that has not answered by then is abandoned (its HTTP
   * request aborted) and counts as a transient failure, retried by `schedule`. Default `defaultCallTimeout`.
   */
  readonly callTimeout?: Duration.DurationInput
}

/**
 * Retries are owned here, not by the SDK: live clients are built with maxAttempts 1, and every service method
 * (live and fake alike) is wrapped once by `retrying`, so attempts never multiply.
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("aws-ha-updater/RetryPolicy", {
  defaultValue: (): RetryPolicyShape => ({ schedule: defaultRetrySchedule })
}) {}

/** Exponential from 250 ms with jitter, each delay capped at 20 s, at most 8 retries (about a minute in all). */
export const defaultRetrySchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(20))),
  Schedule.intersect(Schedule.recurs(8))
)

/** Exponential from 2 s with jitter, each delay capped at 30 s, for at most 10 minutes: long enough for a drain. */
export const defaultActivitySchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("2 seconds", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(30))),
  Schedule.upTo("10 minutes")
)

/** An attempt that has not answered in 30 s will not: the socket's own timeout would wait for minutes. */
export const defaultCallTimeout: Duration.Duration = Duration.seconds(30)

/** Look-before-you-start checks: a couple of quick retries, then the caller goes on without the answer. */
export const advisoryRetrySchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("200 millis", 2).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(2))
)
const ADVISORY_METHODS: ReadonlySet<string> = new Set(["instanceRefreshInProgress"])

type AnyMethod = (...args: ReadonlyArray<any>) => Effect.Effect<any, any, never>

type Tagged = AwsError | { readonly _tag: string }

/**
 * For a method that must not take effect twice: what to look at before sending it again after an ambiguous failure.
 * `Some(a)` means it already took effect (answer `a` without sending); `None` means send it again.
 */
export type Looks<S> = {
  readonly [K in keyof S]?: S[K] extends (...args: infer P) => Effect.Effect<infer A, infer E, never>
    ? (...args: P) => Effect.Effect<Option.Option<A>, E>
    : never
}

/**
 * One attempt, bounded by `timeout`. The attempt runs in a fiber of its own that is interruptible, so that the
 * timeout can end it: a child of an interruptible caller; inside an uninterruptible region (a commit, a roll-back) a
 * daemon that the caller's interruption does not reach, so the region still runs to its end, one bounded attempt after
 * another. An attempt that answers within one turn of the scheduler needs no timer: only a slower one gets one, for
 * what is left of `timeout`. Only the attempt's answer comes back: its fiber refs stay its own (a call changes none of
 * its caller's), so nothing is merged back.
 */
export const bounded = <A, E>(
  attempt: Effect.Effect<A, E>,
  timeout: Duration.Duration,
  operation: string
): Effect.Effect<A, E | TransientAwsError> =>
  Effect.checkInterruptible((interruptible) =>
    Effect.flatMap(Clock.currentTimeMillis, (start) =>
      Effect.flatMap(interruptible ? Effect.fork(attempt) : Effect.forkDaemon(Effect.interruptible(attempt)), (fiber) =>
        Effect.zipRight(
          Effect.yieldNow(),
          Effect.suspend(() => {
            const exit = fiber.unsafePoll()
            if (exit !== null) return exit
            return Effect.flatMap(Clock.currentTimeMillis, (now) =>
              awaitWithin(fiber, Duration.millis(Math.max(0, Duration.toMillis(timeout) - (now - start))), () =>
                new TransientAwsError({ operation, message: `no answer within ${Duration.format(timeout)} (call timeout)` })))
          })
        ))))

/** Joins `fiber`, or interrupts it and fails with `onTimeout()` once `remaining` has passed; one timer fiber. */
const awaitWithin = <A, E, T>(
  fiber: Fiber.RuntimeFiber<A, E>,
  remaining: Duration.Duration,
  onTimeout: () => T
): Effect.Effect<A, E | T> =>
  Effect.fiberIdWith((self) =>
    Effect.flatMap(Effect.forkDaemon(Effect.interruptible(Effect.sleep(remaining))), (timer) =>
      Effect.async<A, E | T>((resume) => {
        let settled = false
        const answered = (exit: Exit.Exit<A, E>) => {
          if (settled) return
          settled = true
          timer.unsafeInterruptAsFork(self)
          resume(exit)
        }
        const expired = (exit: Exit.Exit<void>) => {
          if (settled || Exit.isInterrupted(exit)) return
          settled = true
          fiber.removeObserver(answered)
          resume(Effect.zipRight(Fiber.interrupt(fiber), Effect.fail(onTimeout())))
        }
        fiber.addObserver(answered)
        timer.addObserver(expired)
        // The caller interrupted (it was interruptible): neither the attempt nor its timer outlives the wait.
        return Effect.sync(() => {
          settled = true
          fiber.removeObserver(answered)
          timer.removeObserver(expired)
          timer.unsafeInterruptAsFork(self)
          fiber.unsafeInterruptAsFork(self)
        })
      })))

/**
 * `Effect.retry(attempt, { schedule, while: isRetryable })`, step for step, with the retry machinery (a schedule
 * driver, the iteration metadata in context) set up only once an attempt has failed: most calls succeed at once.
 * Busy answers (ScalingActivityInProgress, ResourceContention) step the patient `busy` schedule, the others
 * `schedule`. Once an attempt failed ambiguously, each later one first runs `look`, when given.
 */
const retried = <A, E extends Tagged>(
  attempt: Effect.Effect<A, E>,
  schedule: Schedule.Schedule<unknown, E>,
  busy: Schedule.Schedule<unknown, E>,
  look: Effect.Effect<Option.Option<A>, E> | undefined
): Effect.Effect<A, E> =>
  Effect.catchAll(attempt, (first) =>
    Effect.flatMap(Effect.all([Schedule.driver(schedule), Schedule.driver(busy)]), ([plain, patient]) => {
      let ambiguous = false
      const onError = (e: E): Effect.Effect<A, E> => {
        if (isAmbiguous(e)) ambiguous = true
        const driver = isBusy(e) ? patient : plain
        return Effect.matchEffect(driver.next(e), {
          onFailure: () => Effect.fail(e),
          onSuccess: () => {
            const send = Effect.provideServiceEffect(attempt, Schedule.CurrentIterationMetadata, Ref.get(driver.iterationMeta))
            const again = look === undefined || !ambiguous
              ? send
              : Effect.flatMap(look, Option.match({ onNone: () => send, onSome: Effect.succeed }))
            return Effect.catchAll(again, onError)
          }
        })
      }
      return onError(first)
    }))

/**
 * Wraps every method of a service: each attempt is bounded by the policy's call timeout, and throttling,
 * transient and busy errors are retried by the policy's schedules. `looks` names the methods that must not take
 * effect twice and how to tell that they already did.
 */
export const retrying = <S extends { readonly [K in keyof S]: AnyMethod }>(
  service: S,
  policy: RetryPolicyShape | Schedule.Schedule<unknown, unknown>,
  looks: Looks<S> = {}
): S => {
  const { activitySchedule, callTimeout, schedule } = Schedule.isSchedule(policy) ? { schedule: policy } as RetryPolicyShape : policy
  const timeout = Duration.decode(callTimeout ?? defaultCallTimeout)
  const busy = activitySchedule ?? defaultActivitySchedule
  const wrapped: Record<string, AnyMethod> = {}
  for (const [name, method] of Object.entries(service) as Array<[string, AnyMethod]>) {
    const policy = Schedule.whileInput(
      ADVISORY_METHODS.has(name) ? advisoryRetrySchedule : schedule,
      (e: Tagged) => isRetryable(e)
    )
    const lookFor = (looks as Record<string, AnyMethod | undefined>)[name]
    wrapped[name] = (...args) =>
      Effect.flatMap(Effect.serviceOption(ThrottleGate), (gate) => {
        // With a run-wide gate, every attempt first waits for it, and reports back what AWS said.
        const once = <A>(call: Effect.Effect<A, Tagged>) =>
          Option.match(gate, {
            onNone: () => bounded(call, timeout, name),
            onSome: (g) =>
              g.pass.pipe(
                Effect.zipRight(bounded(call, timeout, name)),
                Effect.tapBoth({
                  onFailure: (e: { readonly _tag: string }) => (e._tag === "Throttled" ? g.throttled : Effect.void),
                  onSuccess: () => g.succeeded
                })
              )
          })
        const look = lookFor === undefined ? undefined : once(lookFor(...args))
        return retried(once(method(...args)), policy, busy, look)
      })
  }
  return wrapped as unknown as S
}
