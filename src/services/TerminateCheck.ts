import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AutoScaling } from "./AutoScaling.js"
import type { Looks } from "./Retry.js"

/** Terminating, Terminating:Wait, Terminating:Proceed, Terminated: a termination already took hold. */
const LEAVING = /^Terminat/

/**
 * A terminate that failed ambiguously (a 5xx, no answer in time) may have taken effect: sent again, it would
 * decrement desired a second time or be refused once the instance is gone. Before it is sent again we look, and an
 * instance already leaving, or no longer managed, counts as terminated.
 */
export const terminateLooks = (asg: typeof AutoScaling.Service): Looks<typeof AutoScaling.Service> => ({
  terminateInstance: (instanceId) =>
    Effect.map(asg.describeInstances([instanceId]), (found) => {
      const instance = found.find((i) => i.instanceId === instanceId)
      return instance === undefined || LEAVING.test(instance.lifecycleState) ? Option.some(undefined) : Option.none()
    })
})
