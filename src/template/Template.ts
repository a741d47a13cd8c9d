import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type CollectionTag, Pair, parseDocument, Scalar, type ScalarTag, YAMLMap, type YAMLSeq } from "yaml"
import { TemplateInvalid } from "../services/Errors.js"
import { checkShape, declaredEntries, declaresTransform } from "./TemplateShape.js"

/** A CloudFormation template as plain JSON-shaped data, short YAML tags already in their long form. */
export type TemplateDocument = Readonly<Record<string, unknown>>

export interface ParameterDeclaration {
  readonly Type: string
  readonly Default?: string
  readonly NoEcho: boolean
  readonly AllowedValues?: ReadonlyArray<string>
  readonly AllowedPattern?: string
  readonly MinLength?: number
  readonly MaxLength?: number
  readonly MinValue?: number
  readonly MaxValue?: number
  readonly Description?: string
  /** Shown instead of the bare constraint when a value breaks it, as CloudFormation does. */
  readonly ConstraintDescription?: string
}

export interface ResourceDeclaration {
  readonly Type: string
  readonly Properties: Readonly<Record<string, unknown>>
  readonly Condition?: string
  readonly DependsOn: ReadonlyArray<string>
  readonly UpdatePolicy?: unknown
  readonly CreationPolicy?: unknown
  readonly DeletionPolicy?: string
  readonly UpdateReplacePolicy?: string
  readonly Metadata?: unknown
}

/** Every `Fn::` function with a YAML short form (`!Name`): intrinsics, condition and rule functions. */
const FUNCTIONS = [
  "Base64", "Cidr", "FindInMap", "GetAZs", "GetStackOutput", "ImportValue", "Join", "Select", "Split", "Sub",
  "Transform", "If", "Equals", "And", "Or", "Not", "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf",
  "ValueOfAll",
  // AWS::LanguageExtensions: its guide asks for the long form, but parsing the short one never refuses a template.
  "Length", "ToJsonString"
]

const wrapNode = (key: string, node: unknown): YAMLMap => {
  const map = new YAMLMap()
  map.items.push(new Pair(new Scalar(key), node))
  return map
}

const shortTag = (name: string, key: string, scalar: (text: string) => unknown): Array<ScalarTag | CollectionTag> => [
  { tag: `!${name}`, resolve: scalar },
  { tag: `!${name}`, collection: "seq", resolve: (node: YAMLMap.Parsed | YAMLSeq.Parsed) => wrapNode(key, node) },
  { tag: `!${name}`, collection: "map", resolve: (node: YAMLMap.Parsed | YAMLSeq.Parsed) => wrapNode(key, node) }
]

export const splitAttribute = (text: string): Array<string> => {
  const dot = text.indexOf(".")
  return dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)]
}

const SHORT_TAGS: Array<ScalarTag | CollectionTag> = [
  ...shortTag("Ref", "Ref", (text) => ({ Ref: text })),
  ...shortTag("Condition", "Condition", (text) => ({ Condition: text })),
  ...shortTag("GetAtt", "Fn::GetAtt", (text) => ({ "Fn::GetAtt": splitAttribute(text) })),
  ...FUNCTIONS.flatMap((f) => shortTag(f, `Fn::${f}`, (text) => ({ [`Fn::${f}`]: text })))
]

export const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const firstLine = (message: string): string => (message.split("\n")[0] ?? message).replace(/:$/, "")

const parseYaml = (body: string): Either.Either<unknown, string> => {
  const doc = parseDocument(body, { customTags: SHORT_TAGS, prettyErrors: true })
  // An unknown `!Tag` is only a warning to the yaml package; CloudFormation rejects it.
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === "TAG_RESOLVE_FAILED")
  if (problem !== undefined) return Either.left(firstLine(problem.message))
  try {
    return Either.right(doc.toJS({ maxAliasCount: 1000 }))
  } catch (e) {
    return Either.left(e instanceof Error ? firstLine(e.message) : String(e))
  }
}

const decodeText = (body: string): Either.Either<unknown, TemplateInvalid> => {
  const invalid = (kind: string, reason: string) =>
    new TemplateInvalid({ message: `Template format error: ${kind} not well-formed: ${reason}` })
  if (body.trimStart().startsWith("{")) {
    try {
      return Either.right(JSON.parse(body) as unknown)
    } catch {
      // Node's JSON errors carry no line or column: the YAML parser (JSON is YAML) points at the spot.
      return Either.mapLeft(parseYaml(body), (reason) => invalid("JSON", reason))
    }
  }
  return Either.mapLeft(parseYaml(body), (reason) => invalid("YAML", reason))
}

/** The synchronous form of `parseTemplate`, for code that runs inside a `Ref` update. */
export const decodeTemplate = (body: string): Either.Either<TemplateDocument, TemplateInvalid> =>
  Either.flatMap(decodeText(body), (doc) => {
    const problem = checkShape(doc)
    return problem === undefined
      ? Either.right(doc as TemplateDocument)
      : Either.left(new TemplateInvalid({ message: problem }))
  })

/** Parses a JSON or YAML template (CloudFormation short tags included). */
export const parseTemplate = (body: string): Effect.Effect<TemplateDocument, TemplateInvalid> => decodeTemplate(body)

export const section = (doc: TemplateDocument, name: string): Readonly<Record<string, unknown>> => {
  const s = doc[name]
  return isRecord(s) ? s : {}
}

export const text = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" || typeof u === "boolean" ? String(u) : undefined

export const num = (u: unknown): number | undefined => {
  const n = typeof u === "number" ? u : typeof u === "string" && u.trim() !== "" ? Number(u) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

const defined = <T extends Record<string, unknown>>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T

/** Parameter name → declaration, in template order; what a transform will supply is left out. */
export const templateParameters = (doc: TemplateDocument): Readonly<Record<string, ParameterDeclaration>> => {
  const out: Record<string, ParameterDeclaration> = {}
  for (const [name, p] of declaredEntries(doc["Parameters"])) {
    if (!isRecord(p)) continue
    const def = Array.isArray(p["Default"]) ? p["Default"].map(text).join(",") : text(p["Default"])
    out[name] = defined({
      Type: text(p["Type"]) ?? "String",
      Default: def,
      NoEcho: p["NoEcho"] === true || String(p["NoEcho"]).toLowerCase() === "true",
      AllowedValues: Array.isArray(p["AllowedValues"])
        ? p["AllowedValues"].map((v) => text(v) ?? JSON.stringify(v))
        : undefined,
      AllowedPattern: text(p["AllowedPattern"]),
      MinLength: num(p["MinLength"]),
      MaxLength: num(p["MaxLength"]),
      MinValue: num(p["MinValue"]),
      MaxValue: num(p["MaxValue"]),
      Description: text(p["Description"]),
      ConstraintDescription: text(p["ConstraintDescription"])
    }) as ParameterDeclaration
  }
  return out
}

/** Logical id → declaration, in template order; what a transform will supply (Fn::ForEach, Fn::Transform) is left out. */
export const templateResources = (doc: TemplateDocument): Readonly<Record<string, ResourceDeclaration>> => {
  const out: Record<string, ResourceDeclaration> = {}
  for (const [id, r] of declaredEntries(doc["Resources"])) {
    if (!isRecord(r)) continue
    const dependsOn = r["DependsOn"]
    out[id] = defined({
      Type: text(r["Type"]) ?? "",
      Properties: isRecord(r["Properties"]) ? r["Properties"] : {},
      Condition: text(r["Condition"]),
      DependsOn: typeof dependsOn === "string" ? [dependsOn] : Array.isArray(dependsOn) ? dependsOn.map(String) : [],
      UpdatePolicy: r["UpdatePolicy"],
      CreationPolicy: r["CreationPolicy"],
      DeletionPolicy: text(r["DeletionPolicy"]),
      UpdateReplacePolicy: text(r["UpdateReplacePolicy"]),
      Metadata: r["Metadata"]
    }) as ResourceDeclaration
  }
  return out
}

const IAM_NAMES: Readonly<Record<string, string>> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName"
}

/** The capabilities CreateStack / UpdateStack will demand for this template, as ValidateTemplate reports them. */
export const requiredCapabilities = (doc: TemplateDocument): ReadonlyArray<string> => {
  const resources = Object.values(templateResources(doc))
  const iam = resources.filter((r) => r.Type.startsWith("AWS::IAM::"))
  const named = iam.some((r) => {
    const nameProperty = IAM_NAMES[r.Type]
    return nameProperty !== undefined && r.Properties[nameProperty] !== undefined
  })
  return [
    ...(named ? ["CAPABILITY_NAMED_IAM"] : iam.length > 0 ? ["CAPABILITY_IAM"] : []),
    ...(declaresTransform(doc) ? ["CAPABILITY_AUTO_EXPAND"] : [])
  ]
}

export { declaresTransform, parametersCertain, resourcesCertain, transformsOf } from "./TemplateShape.js"
export { conditionHolds, type ResolveContext, resolveValue } from "./TemplateIntrinsics.js"
