import * as Effect from "effect/Effect"
import type { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"

/**
 * An operator at work mid-rollout: as the last of `olds` is terminated, they take every new instance serving in one
 * zone of group "web" out to Standby (desired lowered), which leaves that zone empty as the commit finishes.
 */
export const standbyOneZoneAtLastTerminate = (w: FakeWorld["Type"], olds: ReadonlyArray<string>) => {
  let gone = 0
  return Effect.updateService(AutoScaling, (asg) => ({
    ...asg,
    terminateInstance: (id: string, decrement: boolean) =>
      Effect.gen(function*() {
        if (olds.includes(id) && ++gone === olds.length) {
          const [now] = yield* asg.describeGroups(["web"])
          const serving = now!.instances.filter((i) => !olds.includes(i.instanceId) && i.lifecycleState === "InService")
          for (const i of serving.filter((i) => i.availabilityZone === serving[0]!.availabilityZone)) yield* w.enterStandby(i.instanceId, true)
        }
        return yield* asg.terminateInstance(id, decrement)
      })
  }))
}

/** Someone deletes group "web" once the program's first `method` call went through: from then on AWS no longer lists it. */
export const groupDeletedAfter = (method: "setTags" | "updateSizes") =>
  Effect.updateService(AutoScaling, (asg) => {
    let deleted = false
    const then = <A, E>(call: Effect.Effect<A, E>) => Effect.tap(call, () => Effect.sync(() => void (deleted = true)))
    return {
      ...asg,
      setTags: (name, tags) => method === "setTags" ? then(asg.setTags(name, tags)) : asg.setTags(name, tags),
      updateSizes: (name, sizes) => method === "updateSizes" ? then(asg.updateSizes(name, sizes)) : asg.updateSizes(name, sizes),
      describeGroups: (names) => Effect.map(asg.describeGroups(names), (groups) => deleted ? [] : groups)
    }
  })
