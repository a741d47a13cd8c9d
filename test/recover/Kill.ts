import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { expect } from "@effect/vitest"
import type { CallRecord } from "../../src/layers/fake/FakeWorld.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { defaultRecoverOptions } from "../../src/program/recover/RecoverView.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { LaunchTemplates } from "../../src/services/LaunchTemplates.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { collecting, group, runRollout } from "../support/World.js"
import type { StackRolloutOptions } from "../../src/program/stack/StackRollout.js"

export const PHASE_TAG = `${RECORD_PREFIX}:phase`

/** The runs these tests kill died a moment ago, so their heartbeat is still fresh: recover must be told (--force). */
export const KILLED_JUST_NOW = { ...defaultRecoverOptions, force: true }

/** `recover --force --mode complete`, waiting up to 10 minutes, polling every 5 s. */
export const COMPLETING = { force: true, mode: "complete", healthyTimeout: "600 seconds", pollInterval: "5 seconds" } as const

export const count = (calls: ReadonlyArray<CallRecord>, operation: string): number =>
  calls.filter((c) => c.operation === operation).length

/** How many calls of each service method the kill switch has let through so far. */
export class LetThrough extends Context.Tag("test/LetThrough")<LetThrough, Ref.Ref<ReadonlyMap<string, number>>>() {}

/** Looked at before every call the doomed program makes: true kills it there, before the call reaches the world. */
export type KillPoint = Effect.Effect<boolean, never, FakeWorld | LetThrough>

/** The service method behind each AWS operation a kill point names. */
const METHOD: Readonly<Record<string, string>> = {
  TerminateInstanceInAutoScalingGroup: "terminateInstance",
  UpdateAutoScalingGroup: "updateSizes",
  SuspendProcesses: "suspendProcesses",
  ResumeProcesses: "resumeProcesses",
  CreateOrUpdateTags: "setTags",
  DeleteTags: "deleteTags",
  DescribeInstanceHealth: "classicHealth",
  DescribeTargetHealth: "targetHealth",
  DescribeAutoScalingGroups: "describeGroups"
}

/**
 * Once `n` calls of `operation` reached the world, or were let through towards it: calls made at once (ten terminates
 * of a commit) pass the switch before any of them is recorded, and must count from the moment they pass.
 */
export const afterCalls = (operation: string, n: number): KillPoint =>
  Effect.gen(function*() {
    const calls = yield* Effect.flatMap(FakeWorld, (w) => w.calls)
    const passed = yield* Ref.get(yield* LetThrough)
    return Math.max(count(calls, operation), passed.get(METHOD[operation] ?? operation) ?? 0) >= n
  })

type AnyMethod = (...args: ReadonlyArray<any>) => Effect.Effect<any, any, never>

/**
 * The fake services behind a kill switch, as kill -9 would leave them: once `killed` is set, every further call of
 * the program answers with Effect.never, so it can never act again, and no finalizer of it ever runs.
 */
export const killable = (when: KillPoint) =>
  Effect.gen(function*() {
    const world = yield* FakeWorld
    const killed = yield* Ref.make(false)
    const passed = yield* Ref.make<ReadonlyMap<string, number>>(new Map())
    const guard = <A, E>(method: string, call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.gen(function*() {
        if (yield* Ref.get(killed)) return yield* Effect.never
        if (yield* when.pipe(Effect.provideService(FakeWorld, world), Effect.provideService(LetThrough, passed))) {
          yield* Ref.set(killed, true)
          return yield* Effect.never
        }
        yield* Ref.update(passed, (m) => new Map([...m, [method, (m.get(method) ?? 0) + 1]]))
        return yield* call
      })
    const wrap = <S extends object>(service: S): S =>
      Object.fromEntries(
        Object.entries(service).map(([name, method]) => [name, (...args: ReadonlyArray<unknown>) => guard(name, (method as AnyMethod)(...args))])
      ) as S
    const services = {
      asg: wrap(yield* AutoScaling),
      lb: wrap(yield* LoadBalancing),
      cfn: wrap(yield* CloudFormation),
      lt: wrap(yield* LaunchTemplates)
    }
    const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.provideService(AutoScaling, services.asg),
        Effect.provideService(LoadBalancing, services.lb),
        Effect.provideService(CloudFormation, services.cfn),
        Effect.provideService(LaunchTemplates, services.lt)
      )
    return { killed, provide }
  })

/** Both new instances of "web" serve beside the two old ones. */
export const healthyNew: KillPoint = Effect.map(Effect.flatMap(FakeWorld, (w) => w.healthyCount("web")), (n) => n >= 4)

/** Healthy instances of "web" at every simulated step, the lowest one seen kept. */
export const haWatch = Effect.gen(function*() {
  const world = yield* FakeWorld
  const start = yield* world.healthyCount("web")
  const lowest = yield* Ref.make(start)
  const check = Effect.flatMap(world.healthyCount("web"), (n) => Ref.update(lowest, (l) => Math.min(l, n)))
  return { start, lowest: Ref.get(lowest), check }
})

/**
 * Runs `program` against the killable services one simulated second at a time until `when` kills it, then walks
 * away from its fiber: a daemon, never interrupted, stuck in Effect.never at its next call.
 */
export const killedAt = <A, E, R>(
  when: KillPoint,
  onStep: Effect.Effect<void, never, FakeWorld>,
  program: Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const { killed, provide } = yield* killable(when)
    const events: Array<RolloutEvent> = []
    const fiber = yield* Effect.forkDaemon(collecting(provide(program), events))
    for (let i = 0; i < 2000 && !(yield* Ref.get(killed)); i++) {
      yield* TestClock.adjust("1 second")
      yield* onStep
    }
    expect(yield* Ref.get(killed)).toBe(true)
    // Killed, not finished: the program has not ended and never will.
    expect((yield* Fiber.poll(fiber))._tag).toBe("None")
    const phase = (yield* group("web")).tags[PHASE_TAG]
    return { events, phase }
  })

/** update-asgs killed at `when` (see killedAt). */
export const rolloutKilledAt = (
  when: KillPoint,
  onStep: Effect.Effect<void, never, FakeWorld>,
  options: Partial<StackRolloutOptions> = {}
) => killedAt(when, onStep, runRollout(options))

/** A readable log line of a recover event, time relative to `t0`. */
export const logLine = (t0: number) => (e: RolloutEvent): string | undefined => {
  const t = `t+${Math.round((e.at - t0) / 1000)}s`
  switch (e.type) {
    case "step":
      return `${t} ${e.step}: ${e.message}`
    case "warning":
      return `${t} warning: ${e.message}`
    case "group-result":
      return `${t} result: ${e.status}; terminated ${e.terminated.join(", ") || "none"}${e.reason === undefined ? "" : `; ${e.reason}`}`
    default:
      return undefined
  }
}
