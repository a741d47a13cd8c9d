import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import {
  type AwsError,
  AwsValidationError,
  ResourceContention,
  ScalingActivityInProgress,
  Throttled,
  TransientAwsError
} from "../../services/Errors.js"
import { advance, settle, settleAll } from "./FakeSchedule.js"
import { atomically, checkpoint, rollback, type Settings, type World } from "./FakeState.js"
import { type FaultKind, MUTATING_OPERATIONS, type Operation, OPERATIONS } from "./FakeWorld.js"

/** Every AWS operation the fake world answers. */
export const FAKE_OPERATIONS: ReadonlySet<string> = new Set<string>(OPERATIONS)

/** AWS's message, with an activity id made from the instance (or counter) behind it, as stable as the world's ids. */
export const scalingActivityMessage = (serialHex: string): string =>
  `Scaling activity 00000000-0000-4000-8000-${serialHex.slice(-12).padStart(12, "0")} is in progress and blocks this action`

export const scalingActivityInProgress = (operation: string, serialHex: string): ScalingActivityInProgress =>
  new ScalingActivityInProgress({ operation, message: scalingActivityMessage(serialHex) })

const injected = (operation: string, kind: Exclude<FaultKind, "hang">): AwsError => {
  switch (kind) {
    case "throttle":
      return new Throttled({ operation, message: "Rate exceeded" })
    case "scaling-activity":
      return scalingActivityInProgress(operation, "0")
    case "resource-contention":
      return new ResourceContention({
        operation,
        message: "You already have a pending update to an Auto Scaling resource (for example, a group, instance, or load balancer)."
      })
    case "transient":
    case "ambiguous":
      return new TransientAwsError({ operation, message: "We encountered an internal error. Please try again." })
  }
}

/**
 * What every call of the fibers it is set for passes through before it reaches the world, each attempt and each
 * retry alike: a test's hold on a program. `kill -9` is a guard that, once set off, never lets a call through again.
 */
export const CallGuard: FiberRef.FiberRef<(call: Effect.Effect<any, any>) => Effect.Effect<any, any>> = FiberRef.unsafeMake(
  (call: Effect.Effect<any, any>) => call
)

/** What a hung call hands back instead of an answer. */
const HANG = Symbol("hang")

export const invalid = (operation: string, message: string): Either.Either<never, AwsValidationError> =>
  Either.left(new AwsValidationError({ operation, message }))

/** How every fake service reaches the one shared world. */
export interface Runner {
  /**
   * One AWS call: the world catches up with Clock's now, the call is recorded, an injected fault may answer it,
   * otherwise `run` does (changing the world only when it succeeds).
   */
  readonly call: <A, E>(
    operation: Operation,
    run: (w: World) => Either.Either<A, E>,
    /** The request's parameters by their AWS names, for the call log. */
    params?: Readonly<Record<string, unknown>>
  ) => Effect.Effect<A, E | AwsError>
  /** A change made by the test or the demo: not a call, never faulted. */
  readonly control: <A>(f: (w: World) => A) => Effect.Effect<A>
  /** Reads the world as of Clock's now (storing the caught-up world changes nothing observable). */
  readonly read: <A>(f: (w: World) => A) => Effect.Effect<A>
  readonly settings: Settings
}

export const makeRunner = (ref: Ref.Ref<World>, settings: Settings): Runner => {
  // Each works on the one world in place, atomically: a throw leaves it as it was (see `Changes`).
  const call = <A, E>(operation: Operation, run: (w: World) => Either.Either<A, E>, params: Readonly<Record<string, unknown>> = {}) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(ref, (w): [Either.Either<A, E | AwsError> | typeof HANG, World] =>
        atomically(w, () => {
          advance(w, now, settings)
          const [fault, ...rest] = w.faults.get(operation) ?? []
          w.faults.set(operation, rest)
          const record = {
            operation,
            params,
            at: w.now,
            mutating: MUTATING_OPERATIONS.has(operation),
            failed: fault !== undefined,
            ...(fault === undefined ? {} : { fault })
          }
          w.calls = Chunk.append(w.calls, record)
          if (fault === "hang") return [HANG, w]
          if (fault !== undefined && fault !== "ambiguous") return [Either.left(injected(operation, fault)), w]
          // A refused call changes nothing: what `run` did before refusing is undone.
          const beforeRun = checkpoint(w)
          const result = run(w)
          if (Either.isLeft(result)) {
            rollback(w, beforeRun)
            return [fault === "ambiguous" ? Either.left(injected(operation, fault)) : result, w]
          }
          settle(w, settings)
          // The change stays; only its answer is lost.
          return [fault === "ambiguous" ? Either.left(injected(operation, fault)) : result, w]
        }))).pipe(
      Effect.flatMap((r) => (r === HANG ? Effect.never : r)),
      (attempt) => Effect.flatMap(FiberRef.get(CallGuard), (guard) => guard(attempt) as typeof attempt)
    )
  const control = <A>(f: (w: World) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(ref, (w): [A, World] =>
        atomically(w, () => {
          advance(w, now, settings)
          const { neverHealthy } = w
          const marked = neverHealthy.length
          const result = f(w)
          // A never-healthy mark changes health without changing a group or an instance: every group looks again.
          if (w.neverHealthy !== neverHealthy || w.neverHealthy.length !== marked) settleAll(w, settings)
          else settle(w, settings)
          return [result, w]
        })))
  const read = <A>(f: (w: World) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(ref, (w): [A, World] =>
        atomically(w, () => {
          advance(w, now, settings)
          return [f(w), w]
        })))
  return { call, control, read, settings }
}
