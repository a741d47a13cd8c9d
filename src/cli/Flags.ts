import * as Duration from "effect/Duration"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type Amount, formatAmount, parseAmount } from "../program/rollout/Waves.js"
import { decodeInput, issueLine } from "../services/Decode.js"

/**
 * Decodes what was given to `--flag` with `schema`: what is wrong becomes one InvalidInput line,
 * `--flag must be …, got …` (exit 2), before anything is called.
 */
export const decodeFlag = <A, I>(flag: string, schema: Schema.Schema<A, I>) =>
  decodeInput(schema, (issue) => `--${flag} ${issueLine(issue, false)}`)

/** A number of seconds as a Duration. */
const seconds = (number: Schema.Schema<number>) =>
  Schema.transform(number, Schema.DurationFromSelf, {
    strict: true,
    decode: (n) => Duration.seconds(n),
    encode: (duration) => Duration.toSeconds(duration)
  })

/** Seconds refused unless positive: a zero timeout or interval is never what was meant. */
export const PositiveSeconds = seconds(
  Schema.Number.pipe(Schema.positive({ message: (issue) => `must be a positive number of seconds, got ${String(issue.actual)}` }))
)

/** Seconds where zero is meaningful (no look-back). */
export const NonNegativeSeconds = seconds(
  Schema.Number.pipe(Schema.nonNegative({ message: (issue) => `must be zero or a positive number of seconds, got ${String(issue.actual)}` }))
)

/** Whole seconds, 0 or more (`--bake`). */
export const WholeSeconds = seconds(
  Schema.Number.pipe(
    Schema.filter((n) => Number.isInteger(n) && n >= 0, {
      message: (issue) => `must be a whole number of seconds, 0 or more, got ${String(issue.actual)}`
    })
  )
)

/** `--healthy-timeout`, `--poll-interval`, …: a Duration, or the one line that says the flag is wrong. */
export const positiveSeconds = (flag: string, value: number) => decodeFlag(flag, PositiveSeconds)(value)

/** `--call-timeout`: a positive number of seconds written in digits, fractions allowed (no exponent, no hex). */
export const CallTimeout = Schema.transform(
  Schema.String.pipe(
    Schema.filter((text) => /^\s*\d+(\.\d+)?\s*$/.test(text) && Number(text) > 0, {
      message: (issue) => `must be a positive number of seconds, got ${JSON.stringify(issue.actual)}`
    })
  ),
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (text) => Duration.millis(Math.round(Number(text) * 1000)),
    encode: (duration) => String(Duration.toMillis(duration) / 1000)
  }
)

/** `--endpoint-url` (or AWS_ENDPOINT_URL): where every AWS call goes instead, an http(s) URL. */
export const EndpointUrl = Schema.String.pipe(
  Schema.filter((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), {
    message: (issue) => `must be an http:// or https:// URL, got ${JSON.stringify(issue.actual)}`
  })
)

/** `--parallel`: how many groups roll at once, or all of them. */
export const Parallel = Schema.Union(
  Schema.Literal("all"),
  Schema.compose(Schema.NumberFromString, Schema.Int.pipe(Schema.positive()))
).annotations({
  message: (issue) => ({
    message: `must be a positive whole number or "all", got ${JSON.stringify(issue.actual)}`,
    override: true
  })
})

/** `--parallel N|all`. */
export const parseParallel = (value: string) => decodeFlag("parallel", Parallel)(value)

const AmountType = Schema.Union(
  Schema.TaggedStruct("Units", { units: Schema.Number }),
  Schema.TaggedStruct("Percent", { percent: Schema.Number })
)

/** `N` capacity units or `P%` of the running capacity (`--max-surge`, `--canary`). */
export const AmountText: Schema.Schema<Amount, string> = Schema.transformOrFail(Schema.String, AmountType, {
  strict: true,
  decode: (text, _, ast) => {
    const amount = parseAmount(text)
    return amount === undefined
      ? ParseResult.fail(
        new ParseResult.Type(ast, text, `must be a positive whole number of capacity units or a percentage from 1% to 100%, got ${JSON.stringify(text)}`)
      )
      : ParseResult.succeed(amount)
  },
  encode: (amount) => ParseResult.succeed(formatAmount(amount))
})

/** `--alarm NAME...`: names, none blank. */
export const AlarmNames = Schema.Array(
  Schema.String.pipe(Schema.filter((name) => name.trim() !== "", { message: () => "needs the name of a CloudWatch alarm" }))
)
