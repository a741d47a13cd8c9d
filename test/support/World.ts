import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import type * as Exit from "effect/Exit"
import { FakeWorld, type GroupSpec } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { Reporter } from "../../src/program/Events.js"
import { rollStack, type StackRolloutOptions } from "../../src/program/stack/StackRollout.js"

export const STACK = "shop"
export const CLB = "shop-elb"
export const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-tg/0123456789abcdef"
export const LT = "lt-0123456789abcdef0"

export const templateFor = (groups: Readonly<Record<string, { readonly updatePolicy?: unknown }>>): string =>
  JSON.stringify({
    Resources: Object.fromEntries(
      Object.entries(groups).map(([logicalId, g]) => [
        logicalId,
        {
          Type: "AWS::AutoScaling::AutoScalingGroup",
          Properties: { MinSize: "1", MaxSize: "4" },
          ...(g.updatePolicy === undefined ? {} : { UpdatePolicy: g.updatePolicy })
        }
      ])
    )
  })

/** A stack "shop" with one group "web" (logical id Web) on launch template version 1, then a release of version 2. */
export const webGroup = (
  overrides: Partial<GroupSpec> = {},
  opts: { readonly release?: boolean; readonly updatePolicy?: unknown } = {}
) =>
  Effect.gen(function*() {
    const world = yield* FakeWorld
    const spec: GroupSpec = {
      name: "web",
      minSize: 2,
      maxSize: 4,
      desiredCapacity: 2,
      launchTemplate: { id: LT, name: "web", version: "1" },
      loadBalancerNames: [CLB],
      ...overrides
    }
    for (const name of spec.loadBalancerNames ?? []) yield* world.addClassicLoadBalancer(name)
    for (const arn of spec.targetGroupArns ?? []) yield* world.addTargetGroup(arn)
    yield* world.addGroup(spec)
    yield* world.addStack({
      name: STACK,
      templateBody: templateFor({ Web: opts.updatePolicy === undefined ? {} : { updatePolicy: opts.updatePolicy } }),
      existingGroups: { Web: spec.name }
    })
    if (opts.release !== false) {
      if (spec.launchTemplate !== undefined) yield* world.setLaunchTemplateVersion(spec.name, "2")
      else yield* world.setLaunchConfiguration(spec.name, `${spec.launchConfigurationName ?? "lc"}-v2`)
    }
    return spec
  })

export const options = (o: Partial<StackRolloutOptions> = {}): StackRolloutOptions => ({
  groups: [],
  healthyTimeout: Duration.seconds(600),
  pollInterval: Duration.seconds(5),
  replaceAll: false,
  ...o
})

/** Collects every event the rollout reports. */
export const collecting = <A, E, R>(effect: Effect.Effect<A, E, R>, into: Array<RolloutEvent>) =>
  Effect.provideService(effect, Reporter, { emit: (e) => Effect.sync(() => void into.push(e)) })

/**
 * Runs `effect` on the TestClock one `step` at a time until it ends, calling `onStep` after each step
 * (this is where invariants are checked at every simulated moment).
 */
export const drive = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  opts: { readonly step?: Duration.DurationInput; readonly maxSteps?: number; readonly onStep?: () => Effect.Effect<void, never, FakeWorld> } = {}
): Effect.Effect<Exit.Exit<A, E>, never, R | FakeWorld> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const max = opts.maxSteps ?? 2000
    for (let i = 0; i < max; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      yield* TestClock.adjust(opts.step ?? "1 second")
      if (opts.onStep !== undefined) yield* opts.onStep()
    }
    return yield* Effect.dieMessage(`the program did not end within ${max} steps`)
  })

export const runRollout = (o: Partial<StackRolloutOptions> = {}) => rollStack(STACK, options(o))

export const mutatingCalls = Effect.map(
  Effect.flatMap(FakeWorld, (w) => w.calls),
  (calls) => calls.filter((c) => c.mutating).map((c) => c.operation)
)

export const group = (name: string) =>
  Effect.flatMap(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) => {
    const g = s.groups.find((x) => x.name === name)
    return g === undefined ? Effect.dieMessage(`no group ${name}`) : Effect.succeed(g)
  })

/**
 * Stack "shop": group "web" (2, behind a CLB) then "api" (`api` sizes, behind a target group, launch configurations),
 * both on a new release.
 */
export const twoGroups = (api: { readonly minSize: number; readonly maxSize: number; readonly desiredCapacity: number }) =>
  Effect.gen(function*() {
    const w = yield* FakeWorld
    yield* w.addClassicLoadBalancer(CLB)
    yield* w.addTargetGroup(TG)
    yield* w.addGroup({ name: "web", minSize: 2, maxSize: 4, desiredCapacity: 2, launchTemplate: { id: LT, version: "1" }, loadBalancerNames: [CLB] })
    yield* w.addGroup({ name: "api", ...api, launchConfigurationName: "api-v1", targetGroupArns: [TG] })
    yield* w.addStack({ name: STACK, templateBody: templateFor({ Web: {}, Api: {} }), existingGroups: { Web: "web", Api: "api" } })
    yield* w.setLaunchTemplateVersion("web", "2")
    yield* w.setLaunchConfiguration("api", "api-v2")
    return w
  })
