import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { rollStack } from "../../src/program/stack/StackRollout.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { LaunchTemplates } from "../../src/services/LaunchTemplates.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { group, options, STACK, webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

type AnyMethod = (...args: ReadonlyArray<any>) => Effect.Effect<any, any, never>

const MUTATING = new Set(["suspendProcesses", "resumeProcesses", "updateSizes", "terminateInstance", "setTags", "deleteTags"])

/**
 * One run as its own process would be: every AWS call it makes first lets the other runs go on (so two runs started
 * at the same instant interleave call by call, as two processes would), and its mutating calls are counted.
 */
const asProcess = <A, E, R>(effect: Effect.Effect<A, E, R>, mutations: Array<string>) =>
  Effect.gen(function*() {
    const wrap = <S extends object>(service: S): S =>
      Object.fromEntries(Object.entries(service).map(([name, method]) => [name, (...args: ReadonlyArray<unknown>) =>
        Effect.zipRight(
          Effect.zipRight(Effect.yieldNow(), Effect.sync(() => void (MUTATING.has(name) && mutations.push(name)))),
          (method as AnyMethod)(...args)
        )])) as S
    const asg = wrap(yield* AutoScaling)
    const lb = wrap(yield* LoadBalancing)
    const cfn = wrap(yield* CloudFormation)
    const lt = wrap(yield* LaunchTemplates)
    return yield* effect.pipe(
      Effect.provideService(AutoScaling, asg),
      Effect.provideService(LoadBalancing, lb),
      Effect.provideService(CloudFormation, cfn),
      Effect.provideService(LaunchTemplates, lt)
    )
  })

const untilDone = <A, E>(fibers: ReadonlyArray<Fiber.Fiber<A, E>>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      const polled = yield* Effect.forEach(fibers, Fiber.poll)
      if (polled.every(Option.isSome)) break
      yield* TestClock.adjust("1 second")
    }
    return yield* Effect.forEach(fibers, Fiber.await)
  })

const ourTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith("aws-ha-updater:"))

const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.causeOption(exit).pipe(Option.flatMap((c) => Option.fromNullable((c as any).error ?? undefined))), (e: any) => e._tag)) : undefined

describe("one writer per group", () => {
  it.effect("two runs started at the same instant: exactly one rolls the group, the other fails with RolloutHeld and leaves nothing", () =>
    Effect.gen(function*() {
      const w = yield* webGroup()
      const before = yield* group(w.name)
      const a: Array<string> = []
      const b: Array<string> = []
      const first = yield* Effect.fork(asProcess(rollStack(STACK, options()), a))
      const second = yield* Effect.fork(asProcess(rollStack(STACK, options()), b))
      const exits = yield* untilDone([first, second])
      const won = exits.filter(Exit.isSuccess)
      expect(won).toHaveLength(1)
      expect(won[0]!.value.status).toBe("succeeded")
      const lost = exits.find(Exit.isFailure)!
      expect(failureTag(lost)).toBe("RolloutHeld")
      // The loser wrote its claim and took it back: nothing else.
      const loser = exits[0] === lost ? a : b
      expect(loser).toEqual(["setTags", "deleteTags"])

      yield* TestClock.adjust("30 seconds")
      const after = yield* group(w.name)
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(after.instances.every((i) => i.launchTemplate?.version === "2" && i.lifecycleState === "InService")).toBe(true)
      expect(after.suspendedProcesses).toEqual([])
      expect(ourTags(after.tags)).toEqual([])
      // Rolled once: two instances launched, no more.
      const launched = (yield* (yield* FakeWorld).snapshot).instances.filter((i) => !before.instances.some((o) => o.instanceId === i.instanceId))
      expect(launched).toHaveLength(2)
    }).pipe(Effect.provide(world)))

  it.effect("a run that looked before another rolled the group from start to end withdraws instead of rolling it again", () =>
    Effect.gen(function*() {
      const w = yield* webGroup()
      const before = yield* group(w.name)
      const asg = yield* AutoScaling
      // The first run looks at the group, then its claim write is held until the second run has rolled it.
      const gate = yield* Deferred.make<void>()
      let claimed = false
      const slow: typeof asg = {
        ...asg,
        setTags: (name, tags) =>
          Effect.suspend(() => {
            const first = !claimed
            claimed = true
            return Effect.zipRight(first ? Deferred.await(gate) : Effect.void, asg.setTags(name, tags))
          })
      }
      const late = yield* Effect.fork(rollStack(STACK, options()).pipe(Effect.provideService(AutoScaling, slow)))
      yield* TestClock.adjust("1 second")
      expect(claimed).toBe(true)
      const [other] = yield* untilDone([yield* Effect.fork(rollStack(STACK, options()))])
      expect(Exit.isSuccess(other!) && other.value.status).toBe("succeeded")
      yield* Deferred.succeed(gate, undefined)
      const [exit] = yield* untilDone([late])
      expect(failureTag(exit!)).toBe("RolloutHeld")
      const error = Exit.isFailure(exit!) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error).toMatchObject({ _tag: "RolloutHeld", reason: expect.stringContaining("another run may have rolled it") })
      // Rolled once, and the withdrawn run left nothing behind.
      const launched = (yield* (yield* FakeWorld).snapshot).instances.filter((i) => !before.instances.some((o) => o.instanceId === i.instanceId))
      expect(launched).toHaveLength(2)
      expect(ourTags((yield* group(w.name)).tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a run started while another one waits for its new instances is refused before any change", () =>
    Effect.gen(function*() {
      const w = yield* webGroup()
      const a: Array<string> = []
      const b: Array<string> = []
      const first = yield* Effect.fork(asProcess(rollStack(STACK, options()), a))
      // Well past a heartbeat: the record is alive because the run renews it.
      yield* TestClock.adjust("75 seconds")
      const second = yield* Effect.fork(asProcess(rollStack(STACK, options()), b))
      const [one, two] = yield* untilDone([first, second])
      expect(Exit.isSuccess(one!) && one.value.status).toBe("succeeded")
      expect(failureTag(two!)).toBe("RolloutHeld")
      expect(b).toEqual([])
      yield* TestClock.adjust("30 seconds")
      const after = yield* group(w.name)
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(after.instances.filter((i) => i.launchTemplate?.version === "2")).toHaveLength(2)
      expect(ourTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})
