import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import {
  type AwsError,
  isAmbiguous,
  isBusy,
  isRetryable,
  type ResourceContention,
  type ScalingActivityInProgress,
  type Throttled,
  TransientAwsError
} from "./Errors.js"
import { ThrottleGate } from "./ThrottleGate.js"

/** What `schedule` is stepped with: AWS did not execute the call (throttling), or may not have (5xx, a timeout). */
export type RetriedError = Throttled | TransientAwsError

/** What `activitySchedule` is stepped with: AWS refused a change because the group is busy. */
export type BusyError = ScalingActivityInProgress | ResourceContention

export interface RetryPolicyShape {
  /**
   * Retries after throttling and transient failures (5xx, a broken connection, an attempt that timed out); each
   * step sees the error, so a policy may tell them apart. Other errors are never retried and never reach it.
   */
  readonly schedule: Schedule.Schedule<unknown, RetriedError>
  /**
   * Retries after ScalingActivityInProgress / ResourceContention: the group is busy with a launch or a termination,
   * which lasts minutes (draining alone is 300 s by default). Default `defaultActivitySchedule`.
   */
  readonly activitySchedule?: Schedule.Schedule<unknown, BusyError>
  /**
   * How long one attempt of one call may take. An attempt that has not answered by then is abandoned (its HTTP
   * request aborted) and counts as a transient failure, retried by `schedule`. Default `defaultCallTimeout`.
   */
  readonly callTimeout?: Duration.DurationInput
}

/**
 * Retries are owned here, not by the SDK: live clients are built with maxAttempts 1, and every service method
 * (live and fake alike) is wrapped once by `retrying`, so attempts never multiply. A call runs under the policy
 * provided nearest to it: where it runs (`Effect.provideService`, `Effect.provide(layer(…))` around the program or
 * beside the service layers), else where its service layer was built (`Layer.provide`), else the defaults.
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("aws-ha-updater/RetryPolicy", {
  defaultValue: (): RetryPolicyShape => ({ schedule: defaultRetrySchedule })
}) {}

/** The policy as a layer: `Effect.provide(program, Retry.layer({ schedule: Schedule.recurs(3) }))`. */
export const layer = (policy: RetryPolicyShape): Layer.Layer<never> => Layer.succeed(RetryPolicy, policy)

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

// The errors' classes are Errors.ts's; only an error of one of these tags reaches a schedule.
const isRetried = (e: Tagged): e is RetriedError => isRetryable(e) && !isBusy(e)
const isBusyError = (e: Tagged): e is BusyError => isBusy(e)

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
 * Busy answers (ScalingActivityInProgress, ResourceContention) step the patient `busy` schedule, throttling and
 * transient failures `schedule`; any other error ends the call. Once an attempt failed ambiguously, each later one
 * first runs `look`, when given.
 */
const retried = <A, E extends Tagged>(
  attempt: Effect.Effect<A, E>,
  schedule: Schedule.Schedule<unknown, RetriedError>,
  busy: Schedule.Schedule<unknown, BusyError>,
  look: Effect.Effect<Option.Option<A>, E> | undefined
): Effect.Effect<A, E> =>
  Effect.catchAll(attempt, (first) => {
    if (!isRetryable(first)) return Effect.fail(first)
    return Effect.flatMap(Effect.all([Schedule.driver(schedule), Schedule.driver(busy)]), ([plain, patient]) => {
      let ambiguous = false
      const onError = (e: E): Effect.Effect<A, E> => {
        if (isAmbiguous(e)) ambiguous = true
        const step: Effect.Effect<{ readonly iterationMeta: Ref.Ref<Schedule.IterationMetadata> }, unknown> = isBusyError(e)
          ? Effect.as(patient.next(e), patient)
          : isRetried(e)
          ? Effect.as(plain.next(e), plain)
          : Effect.fail(e)
        return Effect.matchEffect(step, {
          onFailure: () => Effect.fail(e),
          onSuccess: (driver) => {
            const send = Effect.provideServiceEffect(attempt, Schedule.CurrentIterationMetadata, Ref.get(driver.iterationMeta))
            const again = look === undefined || !ambiguous
              ? send
              : Effect.flatMap(look, Option.match({ onNone: () => send, onSome: Effect.succeed }))
            return Effect.catchAll(again, onError)
          }
        })
      }
      return onError(first)
    })
  })

/** The policy provided to the running fiber, if any: `None` where only the default applies. */
export const providedPolicy: Effect.Effect<Option.Option<RetryPolicyShape>> = Effect.contextWith((context) =>
  context.unsafeMap.has(RetryPolicy.key)
    ? Option.some(Context.unsafeGet(context, RetryPolicy))
    : Option.none()
)

/**
 * The policy a call runs under: the one provided where it runs, else `built` (the one provided to its layer), else
 * the default.
 */
export const policyFor = (built: Option.Option<RetryPolicyShape>): Effect.Effect<RetryPolicyShape> =>
  Option.isNone(built)
    ? RetryPolicy
    : Effect.map(providedPolicy, Option.getOrElse(() => built.value))

/**
 * Wraps every method of a service: each attempt is bounded by the call timeout of the retry policy (`policyFor`: the
 * one provided where the call runs, else the one provided to the layer being built, else the default), and
 * throttling, transient and busy errors are retried by its schedules. `looks` names the methods that must not take
 * effect twice and how to tell that they already did.
 */
export const retrying = <S extends { readonly [K in keyof S]: AnyMethod }>(
  service: S,
  looks: Looks<S> = {}
): Effect.Effect<S> =>
  Effect.map(providedPolicy, (built) => {
    const currentPolicy = policyFor(built)
    const wrapped: Record<string, AnyMethod> = {}
    for (const [name, method] of Object.entries(service) as Array<[string, AnyMethod]>) {
      const advisory = ADVISORY_METHODS.has(name)
      const lookFor = (looks as Record<string, AnyMethod | undefined>)[name]
      wrapped[name] = (...args) =>
        Effect.flatMap(currentPolicy, (policy) => Effect.flatMap(Effect.serviceOption(ThrottleGate), (gate) => {
          const timeout = Duration.decode(policy.callTimeout ?? defaultCallTimeout)
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
          const schedule = advisory ? advisoryRetrySchedule : policy.schedule
          return retried(once(method(...args)), schedule, policy.activitySchedule ?? defaultActivitySchedule, look)
        }))
    }
    return wrapped as unknown as S
  })
