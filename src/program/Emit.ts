import * as Effect from "effect/Effect"
import { Reporter, type RolloutEvent, type RolloutEventInput, type StackStep, type Step } from "./Events.js"

/** Reports an event through the Reporter, stamped with the Clock's time. */
export const emit = (event: RolloutEventInput): Effect.Effect<void> =>
  Effect.flatMap(Effect.all([Reporter, Effect.clockWith((c) => c.currentTimeMillis)]), ([reporter, at]) =>
    reporter.emit({ ...event, at } as RolloutEvent)
  )

export const step = (group: string, s: Step, message: string): Effect.Effect<void> =>
  emit({ type: "step", group, step: s, message })

export const stackStep = (stack: string, s: StackStep, message: string): Effect.Effect<void> =>
  emit({ type: "stack-step", stack, step: s, message })
