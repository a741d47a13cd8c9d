import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld, type GroupSpec } from "../../src/layers/fake/FakeWorld.js"
import type { AutoScalingGroup } from "../../src/services/AutoScaling.js"
import { RetryPolicy } from "../../src/services/Retry.js"

export const LT = "lt-0123456789abcdef0"
export const CLB = "web-elb"
export const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"

/**
 * The delays the tests reason with: launch 60 s, healthy 30 s after that, drained 10 s after a termination. New
 * instances are listed at once here, so these tests can look at a launch right after it; `listing.test.ts` pins the
 * default delay.
 */
export const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds", listingDelay: 0 })

/** A retry schedule without jitter, so the seconds a test adjusts are exact. */
export const fixedRetries = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, RetryPolicy, { schedule: Schedule.intersect(Schedule.spaced("1 second"), Schedule.recurs(5)) })

export const webSpec = (overrides: Partial<GroupSpec> = {}): GroupSpec => ({
  name: "web",
  minSize: 2,
  maxSize: 6,
  desiredCapacity: 2,
  launchTemplate: { id: LT, name: "web", version: "1" },
  loadBalancerNames: [CLB],
  targetGroupArns: [TG],
  ...overrides
})

export const addWeb = (overrides: Partial<GroupSpec> = {}) =>
  Effect.flatMap(FakeWorld, (w) => w.addGroup(webSpec(overrides)))

export const group = (name = "web"): Effect.Effect<AutoScalingGroup, never, FakeWorld> =>
  Effect.flatMap(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) => {
    const g = s.groups.find((x) => x.name === name)
    return g === undefined ? Effect.dieMessage(`no group ${name}`) : Effect.succeed(g)
  })

export const ids = (g: AutoScalingGroup): ReadonlyArray<string> => g.instances.map((i) => i.instanceId)

export const states = (g: AutoScalingGroup): ReadonlyArray<string> => g.instances.map((i) => i.lifecycleState)

export const operations = Effect.map(Effect.flatMap(FakeWorld, (w) => w.calls), (calls) => calls.map((c) => c.operation))
