import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { RolloutOptions } from "../program/rollout/Rollout.js"
import { type Amount, parseAmount } from "../program/rollout/Waves.js"
import { InvalidInput } from "../services/Errors.js"

export interface StrategyArgs {
  readonly freezeScaling: boolean
  readonly maxSurge: string
  readonly canary: Option.Option<string>
  readonly bake: number
  readonly alarm: ReadonlyArray<string>
}

const amount = (flag: string, text: string) => {
  const a = parseAmount(text)
  return a === undefined
    ? Effect.fail(new InvalidInput({ message: `--${flag} must be a positive whole number of capacity units or a percentage from 1% to 100%, got "${text}"` }))
    : Effect.succeed<Amount>(a)
}

/** The rollout strategy flags shared by update-asgs and update-stack, checked before anything is called. */
export const parseStrategy = (args: StrategyArgs) =>
  Effect.gen(function*() {
    const maxSurge = yield* amount("max-surge", args.maxSurge)
    const canary = Option.isSome(args.canary) ? yield* amount("canary", args.canary.value) : undefined
    if (!Number.isInteger(args.bake) || args.bake < 0) {
      return yield* Effect.fail(new InvalidInput({ message: `--bake must be a whole number of seconds, 0 or more, got ${args.bake}` }))
    }
    const empty = args.alarm.find((a) => a.trim() === "")
    if (empty !== undefined) return yield* Effect.fail(new InvalidInput({ message: "--alarm needs the name of a CloudWatch alarm" }))
    const strategy: Pick<RolloutOptions, "maxSurge" | "canary" | "bake" | "alarms" | "freezeScaling"> = {
      maxSurge,
      ...(canary === undefined ? {} : { canary }),
      bake: Duration.seconds(args.bake),
      alarms: [...new Set(args.alarm)],
      freezeScaling: args.freezeScaling
    }
    return strategy
  })
