/**
 * A seeded property test: random fault schedules over the fake world on TestClock, and the rollout's promises checked
 * after every simulated second and at the end. A failure prints fast-check's seed and path; replay it with
 * `FAULT_SEED=<seed> FAULT_PATH=<path> npx vitest run test/property` (FAULT_RUNS sets how many schedules run).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { CallGuard } from "../../src/layers/fake/FakeCalls.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { type GroupStatus, Reporter, type RolloutEvent } from "../../src/program/Events.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { hasRecord, RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling, type AutoScalingGroup } from "../../src/services/AutoScaling.js"
import { RetryPolicy } from "../../src/services/Retry.js"
import { units } from "../../src/program/rollout/Waves.js"
import { CLB, group, LT, runRollout, STACK, TG, webGroup } from "../support/World.js"

const RUNS = Number(process.env["FAULT_RUNS"] ?? 1000)
const SEED = Number(process.env["FAULT_SEED"] ?? 20261201)
const PATH = process.env["FAULT_PATH"]
/** FAULT_LOG=1 prints what the programs did and the group second by second: for replaying a failing seed. */
const LOG = process.env["FAULT_LOG"] === "1"
/** The longest a schedule may take, in simulated seconds: far beyond any rollout, recover included. */
const HORIZON = 2000

const OPERATIONS = [
  "DescribeAutoScalingGroups",
  "UpdateAutoScalingGroup",
  "TerminateInstanceInAutoScalingGroup",
  "SuspendProcesses",
  "ResumeProcesses",
  "CreateOrUpdateTags",
  "DeleteTags",
  "DescribeInstanceHealth",
  "DescribeTargetHealth"
] as const

/** Calls whose effect must happen once: an answer lost after they took effect makes the retry a repeat. */
const CHANGES = ["UpdateAutoScalingGroup", "TerminateInstanceInAutoScalingGroup", "SuspendProcesses", "CreateOrUpdateTags"] as const

type Fault =
  | { readonly _tag: "Throttle" | "Transient" | "Hang"; readonly operation: (typeof OPERATIONS)[number]; readonly count: number }
  | { readonly _tag: "ScalingActivity" | "Ambiguous"; readonly operation: (typeof CHANGES)[number]; readonly count: number }
  | { readonly _tag: "SecondRun" }
  | { readonly _tag: "PolicyScaleOut" | "PolicyScaleIn"; readonly by: number }
  | { readonly _tag: "Standby" | "Unhealthy" | "Terminated"; readonly pick: number }
  | { readonly _tag: "Kill" }

interface Plan {
  readonly desired: number
  readonly minBelow: number
  readonly balancers: "classic" | "target-group" | "both"
  readonly release: "good" | "never-healthy"
  /** Capacity units per wave; "all" is one wave. */
  readonly surge: "all" | 1 | 2
  readonly faults: ReadonlyArray<{ readonly at: number; readonly fault: Fault }>
}

const fault: FastCheck.Arbitrary<Fault> = FastCheck.oneof(
  FastCheck.record({ _tag: FastCheck.constantFrom("Throttle" as const, "Transient" as const, "Hang" as const), operation: FastCheck.constantFrom(...OPERATIONS), count: FastCheck.integer({ min: 1, max: 3 }) }),
  FastCheck.record({ _tag: FastCheck.constantFrom("ScalingActivity" as const, "Ambiguous" as const), operation: FastCheck.constantFrom(...CHANGES), count: FastCheck.integer({ min: 1, max: 2 }) }),
  FastCheck.constant({ _tag: "SecondRun" as const }),
  FastCheck.record({ _tag: FastCheck.constantFrom("PolicyScaleOut" as const, "PolicyScaleIn" as const), by: FastCheck.integer({ min: 1, max: 2 }) }),
  FastCheck.record({ _tag: FastCheck.constantFrom("Standby" as const, "Unhealthy" as const, "Terminated" as const), pick: FastCheck.nat(20) }),
  FastCheck.constant({ _tag: "Kill" as const })
)

const KINDS = { Throttle: "throttle", Transient: "transient", Hang: "hang", ScalingActivity: "scaling-activity", Ambiguous: "ambiguous" } as const

/** The services as a second run sees them, each mutating call it makes written down. */
const recording = Effect.gen(function*() {
  const calls: Array<{ readonly operation: string; readonly at: number }> = []
  const asg = yield* AutoScaling
  const watched = Object.fromEntries(Object.entries(asg).map(([name, method]) => [name, (...args: ReadonlyArray<unknown>) => {
    const call = (method as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...args)
    if (!MUTATING.has(name)) return call
    // Its own claim comes and goes with tags; every other change is a write to the group.
    const operation = name === "setTags" || name === "deleteTags" ? "tags" : name
    return Effect.zipRight(Effect.map(Clock.currentTimeMillis, (at) => void calls.push({ operation, at })), call)
  }])) as unknown as typeof asg
  return {
    writes: () => calls.filter((c) => c.operation !== "tags"),
    provide: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, AutoScaling, watched)
  }
})
const MUTATING = new Set(["suspendProcesses", "resumeProcesses", "updateSizes", "terminateInstance", "setTags", "deleteTags"])

const plan: FastCheck.Arbitrary<Plan> = FastCheck.record({
  desired: FastCheck.integer({ min: 2, max: 4 }),
  minBelow: FastCheck.integer({ min: 0, max: 1 }),
  balancers: FastCheck.constantFrom("classic" as const, "target-group" as const, "both" as const),
  release: FastCheck.constantFrom("good" as const, "good" as const, "never-healthy" as const),
  surge: FastCheck.constantFrom("all" as const, "all" as const, 1 as const, 2 as const),
  faults: FastCheck.array(FastCheck.record({ at: FastCheck.integer({ min: 0, max: 90 }), fault }), { maxLength: 6 })
})

/** Faults drawn over the whole run, by kind, and the outcomes seen: the closing note reports them. */
const drawn = new Map<string, number>()
const outcomes = new Map<string, number>()
let schedules = 0
let seconds = 0
const tally = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1)

afterAll(() => {
  const list = (m: Map<string, number>) => [...m].sort().map(([k, n]) => `${k} ${n}`).join(", ")
  console.log(`fault schedules run: ${schedules} (${seconds} simulated seconds checked); faults drawn: ${list(drawn)}; outcomes: ${list(outcomes)}`)
})

/** Retries without jitter: a seed must replay exactly. */
const world = FakeAws.layer({ launchDelay: "20 seconds", healthDelay: "10 seconds", drainDelay: "5 seconds" }).pipe(
  Layer.provide(Layer.succeed(RetryPolicy, {
    schedule: Schedule.intersect(Schedule.exponential("250 millis", 2), Schedule.recurs(8)),
    activitySchedule: Schedule.intersect(Schedule.spaced("2 seconds"), Schedule.recurs(20)),
    callTimeout: "10 seconds"
  }))
)

const isServingIn = (snapshot: { readonly classicLoadBalancers: Record<string, ReadonlyArray<{ readonly instanceId: string; readonly state: string }>>; readonly targetGroups: Record<string, ReadonlyArray<{ readonly instanceId: string; readonly state: string }>> }, g: AutoScalingGroup) =>
  (id: string): boolean =>
    g.loadBalancerNames.every((n) => snapshot.classicLoadBalancers[n]?.some((h) => h.instanceId === id && h.state === "InService")) &&
    g.targetGroupArns.every((a) => snapshot.targetGroups[a]?.some((h) => h.instanceId === id && h.state === "healthy"))

const runSchedule = (p: Plan) =>
  Effect.gen(function*() {
    schedules++
    for (const f of p.faults) tally(drawn, f.fault._tag)
    const w = yield* FakeWorld
    const spec = yield* webGroup({
      minSize: p.desired - p.minBelow,
      maxSize: p.desired + 2,
      desiredCapacity: p.desired,
      loadBalancerNames: p.balancers === "target-group" ? [] : [CLB],
      targetGroupArns: p.balancers === "classic" ? [] : [TG]
    })
    if (p.release === "never-healthy") yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
    const original = yield* group("web")
    const oldIds = new Set(original.instances.map((i) => i.instanceId))
    let floor = yield* w.healthyCount("web")
    let policyDelta = 0
    const killNow = yield* Ref.make(false)
    // kill -9: from the moment it is set off, no call of the program's fibers reaches the world, retries included.
    const provide = <A, E, R>(program: Effect.Effect<A, E, R>) =>
      Effect.locally(program, CallGuard, (call) => Effect.flatMap(Ref.get(killNow), (dead) => (dead ? Effect.never : call)))
    const events: Array<RolloutEvent> = []
    /** When the program (the rollout, or recover after a kill) reported its group's result. */
    let endedAt = Number.POSITIVE_INFINITY
    /** When a roll-back gave Launch back to the group. */
    let launchBackAt = Number.POSITIVE_INFINITY
    /** New instances of committed waves, as the last result reported them. */
    let committedNew: ReadonlyArray<string> = []
    const noteEnd = (e: RolloutEvent) => Effect.sync(() => {
      // A roll-back resumes Launch before it reports what it terminated: the group's own launches from then on are AWS's.
      if (e.type === "step" && e.step === "roll-back" && /^(terminated new instance|no new instance)/.test(e.message)) launchBackAt = Math.min(launchBackAt, e.at)
      if (e.type === "group-result") {
        endedAt = e.at
        committedNew = [...committedNew, ...(e.waves?.newRelease ?? [])]
      }
      if (LOG) events.push(e)
    })
    const runOptions = { healthyTimeout: "60 seconds", pollInterval: "5 seconds", ...(p.surge === "all" ? {} : { maxSurge: units(p.surge) }) } as const
    // In waves, a run that fails or is recovered part-way leaves the committed waves' instances: they passed their wave.
    const waved = p.surge !== "all" && p.surge < p.desired
    const rollout = yield* Effect.forkDaemon(Effect.provideService(provide(runRollout(runOptions)), Reporter, { emit: noteEnd }))
    const faultsPerOp = new Map<string, number>()
    const spy = yield* recording
    let second: Fiber.RuntimeFiber<Either.Either<unknown, unknown>> | undefined

    /** Applies a fault; the serving capacity it takes away itself lowers the floor the rollout must keep. */
    const apply = (f: Fault) =>
      Effect.gen(function*() {
        const g = yield* group("web")
        const before = yield* w.healthyCount("web")
        const alive = g.instances.filter((i) => i.lifecycleState === "InService" || i.lifecycleState === "Pending")
        const pickOf = (n: number) => alive.length === 0 ? undefined : alive[n % alive.length]
        switch (f._tag) {
          case "Throttle":
          case "Transient":
          case "Hang":
          case "ScalingActivity":
          case "Ambiguous": {
            // Within what the retries absorb: a run that AWS fails for good is not what this test is about.
            const count = Math.min(f.count, 6 - (faultsPerOp.get(f.operation) ?? 0))
            if (count <= 0) return
            faultsPerOp.set(f.operation, (faultsPerOp.get(f.operation) ?? 0) + count)
            return yield* w.failNext(f.operation, count, KINDS[f._tag])
          }
          case "SecondRun": {
            // Another update-asgs on the same stack while this one runs: it must be refused and leave nothing.
            if (second !== undefined || status !== undefined || Option.isSome(yield* Fiber.poll(rollout))) return
            second = yield* Effect.fork(Effect.either(spy.provide(runRollout(runOptions))))
            return
          }
          case "PolicyScaleOut":
          case "PolicyScaleIn": {
            // Policies act while the rollout waits (AWS clamps an adjustment to [min, max]); not once it commits.
            const phase = g.tags[`${RECORD_PREFIX}:phase`]
            if (phase === "terminating-old" || phase === "restoring") return
            // An alarm-driven policy: nothing while AlarmNotification is suspended (after a failure, or frozen).
            if (!(yield* w.firePolicy("web", f._tag === "PolicyScaleOut" ? f.by : -f.by))) return
            policyDelta += (yield* group("web")).desiredCapacity - g.desiredCapacity
            break
          }
          case "Standby": {
            const i = pickOf(f.pick)
            if (i === undefined || i.lifecycleState !== "InService") return
            yield* w.enterStandby(i.instanceId, g.desiredCapacity - 1 >= g.minSize)
            if (g.desiredCapacity - 1 >= g.minSize) policyDelta -= 1
            break
          }
          case "Unhealthy": {
            const i = pickOf(f.pick)
            if (i !== undefined) yield* w.makeUnhealthy(i.instanceId)
            break
          }
          case "Terminated": {
            const i = pickOf(f.pick)
            if (i !== undefined) yield* w.terminateInstance(i.instanceId)
            break
          }
          case "Kill":
            return yield* Ref.set(killNow, true)
        }
        floor -= Math.max(0, before - (yield* w.healthyCount("web")))
      })

    const checkSecond = Effect.gen(function*() {
      const serving = yield* w.healthyCount("web")
      if (LOG) {
        const g = yield* group("web")
        console.log(`t=${now} serving=${serving} floor=${floor} sizes=${g.minSize}/${g.maxSize}/${g.desiredCapacity} ${g.instances.map((i) => `${i.instanceId.slice(-2)}:${i.lifecycleState}${oldIds.has(i.instanceId) ? "(old)" : ""}`).join(" ")}`)
        for (const e of events.splice(0)) if (e.type !== "progress") console.log(`  ${JSON.stringify(e)}`)
      }
      if (serving < floor) {
        return yield* Effect.dieMessage(`serving capacity ${serving} fell below ${floor} at ${now} s`)
      }
    })

    // The program under test: the rollout, and after a kill, recover.
    let status: GroupStatus | "killed" | undefined
    let now = 0
    const tick = Effect.gen(function*() {
      yield* TestClock.adjust("1 second")
      now++
      seconds++
      // The schedule is about the run: once the program reported its result, no fault of it applies any more.
      if (endedAt === Number.POSITIVE_INFINITY) for (const f of p.faults) if (f.at === now) yield* apply(f.fault)
      yield* checkSecond
    })
    while (status === undefined && now < HORIZON) {
      yield* tick
      const done = yield* Fiber.poll(rollout)
      if (Option.isSome(done)) {
        const result = yield* done.value
        status = result.groups[0]?.status ?? "up-to-date"
      } else if (yield* Ref.get(killNow)) status = "killed"
    }
    let recovered: GroupStatus | undefined
    if (status === "killed") {
      const recovering = yield* Effect.fork(Effect.provideService(recoverStack(STACK, { mode: "auto", healthyTimeout: "60 seconds", pollInterval: "5 seconds", force: true }), Reporter, { emit: noteEnd }))
      while (recovered === undefined && now < HORIZON) {
        yield* tick
        const done = yield* Fiber.poll(recovering)
        if (Option.isSome(done)) recovered = (yield* done.value).groups[0]?.status ?? "up-to-date"
      }
    }
    const outcome = `${recovered === undefined ? String(status) : `killed then recover ${recovered}`}${waved ? " (in waves)" : ""}`
    tally(outcomes, outcome)
    expect(status, "the rollout ended within the horizon").toBeDefined()
    if (status === "killed") expect(recovered, "recover ended within the horizon").toBeDefined()

    // No two writers: a second run started while this one ran was refused, having changed nothing but its own claim.
    if (second !== undefined) {
      const running = second
      let other = yield* Fiber.poll(running)
      while (Option.isNone(other) && now < HORIZON) {
        yield* tick
        other = yield* Fiber.poll(running)
      }
      if (Option.isNone(other)) return yield* Effect.dieMessage("the second run did not end within the horizon")
      const otherExit = yield* other.value
      const writes = spy.writes()
      tally(outcomes, `second run ${Either.isLeft(otherExit) ? (otherExit.left as { _tag?: string })._tag : writes.length === 0 ? "found nothing to do" : "rolled after the first"}`)
      if (Either.isLeft(otherExit)) expect(writes, "a refused second run changed nothing").toEqual([])
      // One that got through (its calls held up until the first was done) wrote only once the first had ended.
      expect(writes.filter((c) => c.at < endedAt), "the second run wrote while the first ran").toEqual([])
      // What the group ends as is then the second run's doing: the checks below are about the first.
      if (writes.length > 0) return
    }

    // Let the group settle (terminations drain), then look at the end state.
    yield* TestClock.adjust("1 minute")
    const end = yield* group("web")
    const snapshot = yield* w.snapshot
    const serving = isServingIn(snapshot, end)
    expect(hasRecord(end.tags), `record left after ${outcome}: ${Object.keys(end.tags).join(", ")}`).toBe(false)
    const succeeded = recovered === undefined ? status === "succeeded" : recovered === "succeeded"
    const running = end.instances.filter((i) => i.lifecycleState === "InService" || i.lifecycleState === "Pending")
    const sizes = [end.minSize, end.maxSize, end.desiredCapacity]
    if (waved && !(succeeded && recovered === undefined)) {
      // A wave rolled back or recovered alone: min as it was, max never below it; the rest of the group is checked below.
      expect(end.minSize, `${outcome}: min`).toBe(original.minSize)
      expect(end.maxSize, `${outcome}: max`).toBeGreaterThanOrEqual(original.maxSize)
    } else if (succeeded) {
      // No old instance left behind; every new one serving runs the release.
      expect(running.filter((i) => oldIds.has(i.instanceId)).map((i) => i.instanceId), outcome).toEqual([])
      const desired = recovered === undefined ? Math.max(spec.minSize, spec.desiredCapacity + policyDelta) : spec.desiredCapacity
      expect(sizes, `${outcome}: sizes as the policies left them`).toEqual([spec.minSize, Math.max(spec.maxSize, desired), desired])
    } else {
      expect(sizes, `${outcome}: original sizes`).toEqual([original.minSize, original.maxSize, original.desiredCapacity])
    }
    if (!succeeded) {
      // No instance launched during the run serves but those of committed waves; the group may replace a lost one
      // once the run resumed Launch.
      const unproven = snapshot.instances.filter((i) =>
        !oldIds.has(i.instanceId) && !committedNew.includes(i.instanceId) && i.launchedAt < Math.min(endedAt, launchBackAt) &&
        running.some((r) => r.instanceId === i.instanceId) && serving(i.instanceId)
      )
      expect(unproven.map((i) => i.instanceId), `${outcome}: unproven instances serving`).toEqual([])
    }
  })

describe("random fault schedules over the fake world", () => {
  it.effect.prop(
    "healthy serving capacity never drops below the start, and every run ends clean",
    [plan],
    ([p]) => runSchedule(p).pipe(Effect.provide(world)),
    {
      timeout: 1_800_000,
      fastCheck: { numRuns: RUNS, seed: SEED, ...(PATH === undefined ? {} : { path: PATH }), endOnFailure: true }
    }
  )
})
