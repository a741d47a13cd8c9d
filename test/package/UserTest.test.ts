// The README's "testing use" example, run against the built package entries as a user's project imports them.
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import { StackRollout } from "aws-ha-updater"
import { FakeAws, FakeWorld } from "aws-ha-updater/testing"

it.effect("our release rolls out behind the ELB without losing capacity", () =>
  Effect.gen(function*() {
    const world = yield* FakeWorld.FakeWorld
    yield* world.addClassicLoadBalancer("web-elb")
    yield* world.addGroup({
      name: "web",
      minSize: 2,
      maxSize: 4,
      desiredCapacity: 2,
      launchTemplate: { id: "lt-0123456789abcdef0", version: "1" },
      loadBalancerNames: ["web-elb"]
    })
    yield* world.addStack({
      name: "shop",
      templateBody: JSON.stringify({ Resources: { Web: { Type: "AWS::AutoScaling::AutoScalingGroup", Properties: {} } } }),
      existingGroups: { Web: "web" }
    })
    yield* world.setLaunchTemplateVersion("web", "2")

    const rollout = yield* Effect.fork(StackRollout.rollStack("shop", {
      groups: [],
      healthyTimeout: Duration.minutes(10),
      pollInterval: Duration.seconds(5),
      replaceAll: false
    }))
    yield* TestClock.adjust("5 minutes")
    const result = yield* Fiber.join(rollout)

    expect(result.status).toBe("succeeded")
    const web = (yield* world.snapshot).groups.find((g) => g.name === "web")!
    expect(web.desiredCapacity).toBe(2)
    expect(web.instances.map((i) => i.launchTemplate?.version)).toEqual(["2", "2"])
  }).pipe(Effect.provide(FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds" }))))
