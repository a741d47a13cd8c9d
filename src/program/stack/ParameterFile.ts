import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { parse as parseYaml } from "yaml"
import { InvalidInput } from "../../services/Errors.js"
import { decodeInput, issueLine } from "../../services/Decode.js"
import { ParameterName, repeatedKey } from "../../template/Assignments.js"
import { checkTags } from "./StackOptions.js"

/** A value CloudFormation takes as a parameter or tag: numbers and booleans become their text. */
const ScalarText = Schema.transform(
  Schema.Union(Schema.String, Schema.Number, Schema.Boolean).annotations({
    message: () => ({ message: "expected a string, a number or a boolean", override: true })
  }),
  Schema.String,
  { strict: true, decode: String, encode: (text) => text }
)

const notAName = "not a parameter name: CloudFormation parameter names are letters and digits only"

/** Values (or tags) by name. */
const ScalarValues = Schema.Record({ key: Schema.String, value: ScalarText })

/** Parameters by name: the same, each name one CloudFormation takes, a bad one named where it is. */
const namesChecked = (values: typeof ScalarValues) =>
  values.pipe(
    Schema.filter((map) => {
      const bad = Object.keys(map).find((key) => !Schema.is(ParameterName)(key))
      return bad === undefined || { path: [bad], message: notAName }
    })
  )

const NamedValues = namesChecked(ScalarValues)

/** What the three shapes of file say, alike. */
const FileContents = Schema.Struct({
  values: Schema.ReadonlyMapFromSelf({ key: Schema.String, value: Schema.String }),
  /** UsePreviousValue: true — the same as not giving the key. */
  kept: Schema.ReadonlySetFromSelf(Schema.String),
  /** A template configuration's Tags. */
  tags: Schema.ReadonlyMapFromSelf({ key: Schema.String, value: Schema.String })
})
type FileContents = Schema.Schema.Type<typeof FileContents>

const contents = (values: Readonly<Record<string, string>>, tags: Readonly<Record<string, string>> = {}): FileContents => ({
  values: new Map(Object.entries(values)),
  kept: new Set(),
  tags: new Map(Object.entries(tags))
})

/** One entry of the AWS CLI's `--parameters file://…` list: a value, or UsePreviousValue: true. */
const CliParameter = Schema.Struct({
  ParameterKey: ParameterName,
  ParameterValue: Schema.optional(ScalarText),
  UsePreviousValue: Schema.optional(Schema.Boolean)
}).annotations({
  message: () => "expected {ParameterKey, ParameterValue} or {ParameterKey, UsePreviousValue: true}",
  parseOptions: { onExcessProperty: "error" }
}).pipe(
  Schema.filter((e) =>
    e.UsePreviousValue === true
      ? e.ParameterValue === undefined || "give ParameterValue or UsePreviousValue: true, not both"
      : e.ParameterValue !== undefined || `parameter ${e.ParameterKey} has no ParameterValue (or UsePreviousValue: true to keep its value)`
  )
)

/** The AWS CLI's list, each key once. */
const CliParameters = Schema.transform(
  Schema.Array(CliParameter).pipe(
    Schema.filter((entries) => {
      const twice = repeatedKey(entries.map((e) => e.ParameterKey))
      return twice === undefined || `parameter ${twice} is given twice`
    })
  ),
  FileContents,
  {
    strict: true,
    decode: (entries) => ({
      values: new Map(entries.flatMap((e) => (e.ParameterValue === undefined ? [] : [[e.ParameterKey, e.ParameterValue] as const]))),
      kept: new Set(entries.flatMap((e) => (e.UsePreviousValue === true ? [e.ParameterKey] : []))),
      tags: new Map()
    }),
    encode: (c) => [
      ...[...c.values].map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      ...[...c.kept].map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true as const }))
    ]
  }
)

/** A CloudFormation template configuration file (as CodePipeline reads it): those keys only. */
const TemplateConfiguration = Schema.transform(
  Schema.Struct({
    Parameters: Schema.optional(namesChecked(ScalarValues.annotations({ message: () => "expected a map of parameters" }))),
    Tags: Schema.optional(ScalarValues.annotations({ message: () => "expected a map of tags" })),
    StackPolicy: Schema.optional(Schema.Unknown)
  }).annotations({ parseOptions: { onExcessProperty: "error" } }),
  FileContents,
  {
    strict: true,
    decode: (c) => contents(c.Parameters ?? {}, c.Tags ?? {}),
    encode: (c) => ({ Parameters: Object.fromEntries(c.values), Tags: Object.fromEntries(c.tags) })
  }
)

/** `{ Key: value }`. */
const PlainParameters = Schema.transform(NamedValues, FileContents, {
  strict: true,
  decode: (values) => contents(values),
  encode: (c) => Object.fromEntries(c.values)
})

/** What `--parameters FILE` may hold, once parsed from JSON or YAML: one of the three shapes. */
export const ParameterFileContents = Schema.Union(CliParameters, TemplateConfiguration, PlainParameters)

/** What `--parameters FILE` says. */
export interface ParameterFile extends FileContents {
  /** The file as the user named it, for messages. */
  readonly path: string
}

/**
 * What is wrong with a file none of the shapes takes, told by the shape that read furthest into it — one that found
 * a key it does not know read less far than one that found a wrong value there; the earlier shape when they tie.
 * A scalar is none of them.
 */
const fileIssueLine = (issue: ParseResult.ParseIssue): string => {
  const members: ReadonlyArray<ParseResult.ParseIssue> =
    issue._tag === "Composite" && issue.ast === ParameterFileContents.ast && Array.isArray(issue.issues) ? issue.issues : [issue]
  const reach = (i: ParseResult.ParseIssue) => {
    const [first] = ParseResult.ArrayFormatter.formatIssueSync(i)
    if (first === undefined || (first._tag === "Type" && first.path.length === 0)) return -1
    return 2 * first.path.length + (first._tag === "Unexpected" ? 0 : 1)
  }
  const best = members.reduce<ParseResult.ParseIssue | undefined>(
    (found, i) => (reach(i) >= 0 && (found === undefined || reach(i) > reach(found)) ? i : found),
    undefined
  )
  return best === undefined
    ? "expected a list of {ParameterKey, ParameterValue}, a map of parameters, or {Parameters, Tags}"
    : issueLine(best)
}

/** JSON for a .json file (its errors are clearer), YAML (which JSON also is) otherwise. */
const parseText = (path: string, text: string): Either.Either<unknown, string> =>
  Either.try({
    try: () => (/\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { prettyErrors: true })),
    catch: (e) => `malformed ${/\.json$/i.test(path) ? "JSON" : "YAML"}: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`
  })

/** `--parameters FILE` (or `file://FILE`): read, parsed and checked; every error names the file, and the key. */
export const loadParameterFile = Effect.fn("StackUpdate.loadParameterFile")(function*(spec: string) {
  const path = spec.replace(/^file:\/\//, "")
  const fail = (why: string) => Effect.fail(new InvalidInput({ message: `--parameters ${path}: ${why}` }))
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(path, "utf8").pipe(
    Effect.catchAll((e) =>
      fail(e._tag === "SystemError" && e.reason === "NotFound" ? "no such file" : `cannot read it (${e.message})`)
    )
  )
  const data = parseText(path, text)
  if (Either.isLeft(data)) return yield* fail(data.left)
  const shape = yield* decodeInput(ParameterFileContents, (issue) => `--parameters ${path}: ${fileIssueLine(issue)}`)(data.right)
  const tags = yield* checkTags([...shape.tags], `--parameters ${path} (Tags)`)
  const file: ParameterFile = { path, ...shape, tags }
  return file
})

/**
 * The parameters a run gives: the file's values with KEY=VALUE arguments over them, and which file each key that
 * came from one was read from (for messages).
 */
export const mergeParameters = (
  file: ParameterFile | undefined,
  args: ReadonlyMap<string, string>
): {
  readonly values: ReadonlyMap<string, string>
  readonly origins: ReadonlyMap<string, string>
  /** Keys the file keeps (UsePreviousValue) and no argument gives, with the file. */
  readonly kept: ReadonlyMap<string, string>
} => {
  const values = new Map(file?.values ?? [])
  const origins = new Map([...values.keys()].map((k) => [k, file?.path ?? ""]))
  const kept = new Map([...(file?.kept ?? [])].map((k) => [k, file?.path ?? ""]))
  for (const [key, value] of args) {
    values.set(key, value)
    origins.delete(key)
    kept.delete(key)
  }
  return { values, origins, kept }
}
