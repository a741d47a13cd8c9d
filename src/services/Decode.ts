import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import { InvalidInput } from "./Errors.js"

/** Where an issue is, as a user reads it: `[2].ParameterValue`, `Parameters.Env`; empty at the top. */
export const issuePath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")

/** The first thing wrong, on one line, led by where it is unless `withPath` is false. */
export const issueLine = (issue: ParseResult.ParseIssue, withPath = true): string => {
  const [first] = ParseResult.ArrayFormatter.formatIssueSync(issue)
  if (first === undefined) return "wrong shape"
  const where = withPath ? issuePath(first.path) : ""
  return `${where === "" ? "" : `${where}: `}${first.message.split("\n")[0]}`
}

/**
 * Decodes what a user gave (a flag, an argument, a file, an environment variable) with `schema`; what is wrong
 * becomes one InvalidInput line, `line` turning the issue into it (naming the flag or the file).
 */
export const decodeInput = <A, I>(
  schema: Schema.Schema<A, I>,
  line: (issue: ParseResult.ParseIssue) => string
) => {
  const decode = ParseResult.decodeUnknownEither(schema)
  return (input: unknown): Effect.Effect<A, InvalidInput> =>
    Effect.suspend(() => {
      const decoded = decode(input, { errors: "first" })
      return decoded._tag === "Right"
        ? Effect.succeed(decoded.right)
        : Effect.fail(new InvalidInput({ message: line(decoded.left) }))
    })
}
