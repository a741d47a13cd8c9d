import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { decodeInput, issueLine } from "../services/Decode.js"
import type { InvalidInput } from "../services/Errors.js"

/** A CloudFormation parameter name: letters and digits only. */
export const ParameterName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9]+$/, {
    message: (issue) => `${JSON.stringify(issue.actual)} is not a parameter name: CloudFormation parameter names are letters and digits only`
  })
)

/** `text` split on its first `=`, so that a value may hold more; undefined without one. */
const splitFirst = (text: string): { readonly key: string; readonly value: string } | undefined => {
  const eq = text.indexOf("=")
  return eq < 0 ? undefined : { key: text.slice(0, eq), value: text.slice(eq + 1) }
}

/** Any `KEY=VALUE` (a tag), split on the first `=`; `KEY=` is the empty string. Keys are checked by their user. */
export const KeyValue = Schema.transformOrFail(
  Schema.String,
  Schema.Struct({ key: Schema.String, value: Schema.String }),
  {
    strict: true,
    decode: (text, _, ast) => {
      const pair = splitFirst(text)
      return pair === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, text, `${JSON.stringify(text)} is not KEY=VALUE`))
        : ParseResult.succeed(pair)
    },
    encode: ({ key, value }) => ParseResult.succeed(`${key}=${value}`)
  }
)

const asNameValue = "parameters are given as Name=value"

/**
 * A `KEY=VALUE` template parameter argument: a parameter name, then the value after the first `=`. `Name=` gives
 * the empty string, which is sent as such — never read as UsePreviousValue.
 */
export const Assignment = Schema.transformOrFail(
  Schema.String,
  Schema.Struct({ key: ParameterName, value: Schema.String }),
  {
    strict: true,
    decode: (text, _, ast) => {
      const pair = splitFirst(text)
      if (pair === undefined) {
        return ParseResult.fail(new ParseResult.Type(ast, text, `${JSON.stringify(text)} is not KEY=VALUE: ${asNameValue}`))
      }
      if (pair.key === "") {
        return ParseResult.fail(new ParseResult.Type(ast, text, `${JSON.stringify(text)} has no key before "=": ${asNameValue}`))
      }
      return ParseResult.succeed(pair)
    },
    encode: ({ key, value }) => ParseResult.succeed(`${key}=${value}`)
  }
)

/** The first key given a second time, if any. */
export const repeatedKey = (keys: ReadonlyArray<string>): string | undefined => keys.find((key, i) => keys.indexOf(key) !== i)

/** The `KEY=VALUE...` arguments of update-stack, each key once. */
export const Assignments = Schema.Array(Assignment).pipe(
  Schema.filter((pairs) => {
    const key = repeatedKey(pairs.map((p) => p.key))
    return key === undefined || `parameter ${key} is given twice: give it once`
  })
)

export type Assignments = Schema.Schema.Type<typeof Assignments>

const decodeAssignments = decodeInput(Assignments, (issue) => issueLine(issue, false))

/** KEY=VALUE arguments as the values they give, in the order given; a malformed or repeated one is refused. */
export const parseAssignments = (args: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, string>, InvalidInput> =>
  Effect.map(decodeAssignments(args), (pairs) => new Map(pairs.map(({ key, value }) => [key, value])))
