import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { RolloutOptions } from "../program/rollout/Rollout.js"
import { AlarmNames, AmountText, decodeFlag, WholeSeconds } from "./Flags.js"

export interface StrategyArgs {
  readonly freezeScaling: boolean
  readonly maxSurge: string
  readonly canary: Option.Option<string>
  readonly bake: number
  readonly alarm: ReadonlyArray<string>
}

/** The rollout strategy flags shared by update-asgs and update-stack, checked before anything is called. */
export const parseStrategy = (args: StrategyArgs) =>
  Effect.gen(function*() {
    const maxSurge = yield* decodeFlag("max-surge", AmountText)(args.maxSurge)
    const canary = Option.isSome(args.canary) ? yield* decodeFlag("canary", AmountText)(args.canary.value) : undefined
    const bake = yield* decodeFlag("bake", WholeSeconds)(args.bake)
    const alarms = yield* decodeFlag("alarm", AlarmNames)(args.alarm)
    const strategy: Pick<RolloutOptions, "maxSurge" | "canary" | "bake" | "alarms" | "freezeScaling"> = {
      maxSurge,
      ...(canary === undefined ? {} : { canary }),
      bake,
      alarms: [...new Set(alarms)],
      freezeScaling: args.freezeScaling
    }
    return strategy
  })
