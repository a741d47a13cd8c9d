import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AlarmNames, AmountText, CallTimeout, decodeFlag, EndpointUrl, NonNegativeSeconds, Parallel, PositiveSeconds, WholeSeconds } from "../../src/cli/Flags.js"

/** The one line a bad value gets, or "ok". */
const line = <A, I>(flag: string, schema: Schema.Schema<A, I>, value: unknown) =>
  decodeFlag(flag, schema)(value).pipe(
    Effect.as("ok"),
    Effect.catchTag("InvalidInput", (e) => Effect.succeed(e.message))
  )

describe("the flag Schemas", () => {
  it("decode seconds and amounts, and encode them back", () => {
    expect(Schema.decodeSync(PositiveSeconds)(25)).toEqual(Duration.seconds(25))
    expect(Schema.encodeSync(PositiveSeconds)(Duration.minutes(2))).toBe(120)
    expect(Schema.decodeSync(NonNegativeSeconds)(0)).toEqual(Duration.zero)
    expect(Schema.decodeSync(CallTimeout)(" 2.5 ")).toEqual(Duration.millis(2500))
    expect(Schema.encodeSync(CallTimeout)(Duration.millis(2500))).toBe("2.5")
    expect(Schema.decodeSync(Parallel)("all")).toBe("all")
    expect(Schema.decodeSync(Parallel)("3")).toBe(3)
    expect(Schema.encodeSync(Parallel)(3)).toBe("3")
    expect(Schema.decodeSync(AmountText)("25%")).toEqual({ _tag: "Percent", percent: 25 })
    expect(Schema.decodeSync(AmountText)("2")).toEqual({ _tag: "Units", units: 2 })
    expect(Schema.encodeSync(AmountText)({ _tag: "Percent", percent: 50 })).toBe("50%")
    expect(Schema.decodeSync(EndpointUrl)("http://127.0.0.1:5000")).toBe("http://127.0.0.1:5000")
  })

  it.effect("refuse a bad value in one line that names the flag and repeats what was given", () =>
    Effect.gen(function*() {
      expect(yield* line("healthy-timeout", PositiveSeconds, 0)).toBe("--healthy-timeout must be a positive number of seconds, got 0")
      expect(yield* line("lenient-look-back", NonNegativeSeconds, -5)).toBe("--lenient-look-back must be zero or a positive number of seconds, got -5")
      expect(yield* line("bake", WholeSeconds, -1)).toBe("--bake must be a whole number of seconds, 0 or more, got -1")
      for (const given of ["0", "-5", "abc", "1e3", "0x10", "", "0.0"]) {
        expect(yield* line("call-timeout", CallTimeout, given)).toBe(`--call-timeout must be a positive number of seconds, got ${JSON.stringify(given)}`)
      }
      for (const given of ["0", "-1", "1.5", "every", "ALL"]) {
        expect(yield* line("parallel", Parallel, given)).toBe(`--parallel must be a positive whole number or "all", got ${JSON.stringify(given)}`)
      }
      expect(yield* line("canary", AmountText, "101%")).toBe(`--canary must be a positive whole number of capacity units or a percentage from 1% to 100%, got "101%"`)
      expect(yield* line("alarm", AlarmNames, ["web-5xx", " "])).toBe("--alarm needs the name of a CloudWatch alarm")
      expect(yield* line("endpoint-url", EndpointUrl, "127.0.0.1:5000")).toBe(`--endpoint-url must be an http:// or https:// URL, got "127.0.0.1:5000"`)
    }))
})
