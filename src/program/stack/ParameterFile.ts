import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { parse as parseYaml } from "yaml"
import { InvalidInput } from "../../services/Errors.js"
import { checkTags } from "./StackOptions.js"

/** A value CloudFormation takes as a parameter or tag: numbers and booleans become their text. */
const Scalar = Schema.Union(Schema.String, Schema.Number, Schema.Boolean).annotations({
  message: () => ({ message: "expected a string, a number or a boolean", override: true })
})

/** The AWS CLI's `--parameters file://…` list. */
const CliParameter = Schema.Union(
  Schema.Struct({
    ParameterKey: Schema.String,
    ParameterValue: Scalar,
    UsePreviousValue: Schema.optional(Schema.Literal(false))
  }),
  Schema.Struct({ ParameterKey: Schema.String, UsePreviousValue: Schema.Literal(true) })
)
const CliParameters = Schema.Array(CliParameter)

/** A CloudFormation template configuration file (as CodePipeline reads it). */
const TemplateConfiguration = Schema.Struct({
  Parameters: Schema.optional(Schema.Record({ key: Schema.String, value: Scalar })),
  Tags: Schema.optional(Schema.Record({ key: Schema.String, value: Scalar })),
  StackPolicy: Schema.optional(Schema.Unknown)
})

/** `{ Key: value }`. */
const PlainParameters = Schema.Record({ key: Schema.String, value: Scalar })

/** What `--parameters FILE` says. */
export interface ParameterFile {
  /** The file as the user named it, for messages. */
  readonly path: string
  readonly values: ReadonlyMap<string, string>
  /** UsePreviousValue: true — the same as not giving the key. */
  readonly kept: ReadonlySet<string>
  /** A template configuration's Tags. */
  readonly tags: ReadonlyMap<string, string>
}

const asText = (value: string | number | boolean): string => String(value)

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const CONFIGURATION_KEYS = new Set(["Parameters", "Tags", "StackPolicy"])

/** The file is a template configuration when its top level holds only those keys, with Parameters or Tags a map. */
const isConfiguration = (data: Readonly<Record<string, unknown>>): boolean =>
  Object.keys(data).length > 0 &&
  Object.keys(data).every((k) => CONFIGURATION_KEYS.has(k)) &&
  (isRecord(data["Parameters"]) || isRecord(data["Tags"]))

/** The first problem of a decode, where it is: `[2].ParameterValue`, `Parameters.Env`. */
const firstIssue = (error: ParseResult.ParseError): string => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return "wrong shape"
  const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")
  return `${where === "" ? "" : `${where}: `}${issue.message.split("\n")[0]}`
}

const decode = <A, I>(schema: Schema.Schema<A, I>, data: unknown): Either.Either<A, string> =>
  Either.mapLeft(Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })(data), firstIssue)

/** One of the three shapes, as values, keys to keep and tags; Left: what is wrong, naming the key. */
const shapeOf = (data: unknown): Either.Either<Omit<ParameterFile, "path">, string> => {
  if (Array.isArray(data)) {
    return Either.flatMap(decode(CliParameters, data), (entries) => {
      const values = new Map<string, string>()
      const kept = new Set<string>()
      for (const entry of entries) {
        const key = entry.ParameterKey
        if (values.has(key) || kept.has(key)) return Either.left(`parameter ${key} is given twice`)
        if ("ParameterValue" in entry) values.set(key, asText(entry.ParameterValue))
        else kept.add(key)
      }
      return Either.right({ values, kept, tags: new Map() })
    })
  }
  if (!isRecord(data)) {
    return Either.left("expected a list of {ParameterKey, ParameterValue}, a map of parameters, or {Parameters, Tags}")
  }
  if (isConfiguration(data)) {
    return Either.map(decode(TemplateConfiguration, data), (c) => ({
      values: new Map(Object.entries(c.Parameters ?? {}).map(([k, v]) => [k, asText(v)])),
      kept: new Set<string>(),
      tags: new Map(Object.entries(c.Tags ?? {}).map(([k, v]) => [k, asText(v)]))
    }))
  }
  return Either.map(decode(PlainParameters, data), (map) => ({
    values: new Map(Object.entries(map).map(([k, v]) => [k, asText(v)])),
    kept: new Set<string>(),
    tags: new Map()
  }))
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
  const shape = shapeOf(data.right)
  if (Either.isLeft(shape)) return yield* fail(shape.left)
  const badKey = [...shape.right.values.keys(), ...shape.right.kept].find((k) => !/^[A-Za-z0-9]+$/.test(k))
  if (badKey !== undefined) {
    return yield* fail(`"${badKey}" is not a parameter name: CloudFormation parameter names are letters and digits only`)
  }
  const tags = yield* checkTags([...shape.right.tags], `--parameters ${path} (Tags)`)
  const file: ParameterFile = { path, ...shape.right, tags }
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
