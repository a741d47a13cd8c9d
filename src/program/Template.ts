import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type CollectionTag, Pair, parseDocument, Scalar, type ScalarTag, YAMLMap, type YAMLSeq } from "yaml"
import { TemplateInvalid } from "../services/Errors.js"

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

const SECTIONS = new Set([
  "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform",
  "Resources", "Outputs"
])

const FUNCTIONS = [
  "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform", "If",
  "Equals", "And", "Or", "Not"
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

const splitAttribute = (text: string): Array<string> => {
  const dot = text.indexOf(".")
  return dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)]
}

const SHORT_TAGS: Array<ScalarTag | CollectionTag> = [
  ...shortTag("Ref", "Ref", (text) => ({ Ref: text })),
  ...shortTag("Condition", "Condition", (text) => ({ Condition: text })),
  ...shortTag("GetAtt", "Fn::GetAtt", (text) => ({ "Fn::GetAtt": splitAttribute(text) })),
  ...FUNCTIONS.flatMap((f) => shortTag(f, `Fn::${f}`, (text) => ({ [`Fn::${f}`]: text })))
]

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
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

/** The checks of ValidateTemplate that need no AWS account, with its messages. */
const checkShape = (doc: unknown): string | undefined => {
  if (!isRecord(doc)) return "Template format error: the template must be a JSON or YAML object"
  const unknown = Object.keys(doc).filter((k) => !SECTIONS.has(k))
  if (unknown.length > 0) return `Template format error: Invalid template property or properties [${unknown.join(", ")}]`
  for (const section of ["Parameters", "Mappings", "Conditions", "Outputs"]) {
    if (doc[section] !== undefined && !isRecord(doc[section])) return `Template format error: ${section} must be an object`
  }
  const resources = doc["Resources"]
  if (!isRecord(resources) || Object.keys(resources).length === 0) {
    return "Template format error: At least one Resources member must be defined."
  }
  for (const [id, r] of Object.entries(resources)) {
    if (!isRecord(r) || typeof r["Type"] !== "string") {
      return `Template format error: [/Resources/${id}] Every Resources object must contain a Type member.`
    }
  }
  for (const [id, p] of Object.entries(isRecord(doc["Parameters"]) ? doc["Parameters"] : {})) {
    if (!isRecord(p) || typeof p["Type"] !== "string") {
      return `Template format error: [/Parameters/${id}] Every Parameters object must contain a Type member.`
    }
  }
  return undefined
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

const section = (doc: TemplateDocument, name: string): Readonly<Record<string, unknown>> => {
  const s = doc[name]
  return isRecord(s) ? s : {}
}

const text = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" || typeof u === "boolean" ? String(u) : undefined

const num = (u: unknown): number | undefined => {
  const n = typeof u === "number" ? u : typeof u === "string" && u.trim() !== "" ? Number(u) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

const defined = <T extends Record<string, unknown>>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T

/** Parameter name → declaration, in template order. */
export const templateParameters = (doc: TemplateDocument): Readonly<Record<string, ParameterDeclaration>> => {
  const out: Record<string, ParameterDeclaration> = {}
  for (const [name, p] of Object.entries(section(doc, "Parameters"))) {
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
      Description: text(p["Description"])
    }) as ParameterDeclaration
  }
  return out
}

/** Logical id → declaration, in template order. */
export const templateResources = (doc: TemplateDocument): Readonly<Record<string, ResourceDeclaration>> => {
  const out: Record<string, ResourceDeclaration> = {}
  for (const [id, r] of Object.entries(section(doc, "Resources"))) {
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
    ...(doc["Transform"] !== undefined ? ["CAPABILITY_AUTO_EXPAND"] : [])
  ]
}

/** What `resolveValue` needs to know about the stack being evaluated. */
export interface ResolveContext {
  /** Supplies Conditions, Mappings and the parameters' types and defaults. */
  readonly template?: TemplateDocument
  /** Parameter values as sent; declared defaults fill the gaps. */
  readonly parameters?: Readonly<Record<string, string>>
  /** Default us-east-1. */
  readonly region?: string
  /** Default 123456789012. */
  readonly accountId?: string
  readonly stackName?: string
  readonly stackId?: string
  /** Logical id → physical id, what `Ref` of a resource returns. */
  readonly physicalIds?: Readonly<Record<string, string>>
  /** Logical id → attribute → value, what `Fn::GetAtt` returns. */
  readonly attributes?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** Export name → value, for `Fn::ImportValue`. */
  readonly exports?: Readonly<Record<string, string>>
}

class Unresolvable {
  constructor(readonly message: string) {}
}

const NO_VALUE: unique symbol = Symbol("AWS::NoValue")

const fail = (message: string): never => {
  throw new Unresolvable(message)
}

const args = (fn: string, u: unknown, count?: number): ReadonlyArray<unknown> =>
  Array.isArray(u) && (count === undefined || u.length === count)
    ? u
    : fail(`Template error: ${fn} needs a list of ${count ?? "some"} arguments`)

const asText = (fn: string, u: unknown): string =>
  text(u) ?? fail(`Template error: ${fn} needs a string, got ${JSON.stringify(u)}`)

const asList = (fn: string, u: unknown): ReadonlyArray<unknown> =>
  Array.isArray(u) ? u : fail(`Template error: ${fn} needs a list, got ${JSON.stringify(u)}`)

const partition = (region: string): string =>
  region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws"

class Evaluator {
  private readonly conditions = new Map<string, boolean>()
  private readonly evaluating = new Set<string>()

  constructor(private readonly ctx: ResolveContext) {}

  private get region(): string {
    return this.ctx.region ?? "us-east-1"
  }

  private pseudo(name: string): unknown {
    switch (name) {
      case "AWS::Region":
        return this.region
      case "AWS::AccountId":
        return this.ctx.accountId ?? "123456789012"
      case "AWS::Partition":
        return partition(this.region)
      case "AWS::URLSuffix":
        return this.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
      case "AWS::NotificationARNs":
        return []
      case "AWS::NoValue":
        return NO_VALUE
      case "AWS::StackName":
        return this.ctx.stackName ?? fail("Template error: AWS::StackName is unknown here")
      case "AWS::StackId":
        return this.ctx.stackId ?? fail("Template error: AWS::StackId is unknown here")
    }
    return undefined
  }

  ref(name: string): unknown {
    const pseudo = this.pseudo(name)
    if (pseudo !== undefined) return pseudo
    const declared = this.ctx.template === undefined ? undefined : templateParameters(this.ctx.template)[name]
    const value = this.ctx.parameters?.[name] ?? declared?.Default
    if (value !== undefined) {
      const type = declared?.Type ?? "String"
      return type === "CommaDelimitedList" || type.startsWith("List<") ? value.split(",").map((s) => s.trim()) : value
    }
    if (declared !== undefined) return fail(`Parameters: [${name}] must have values`)
    return this.ctx.physicalIds?.[name] ??
      fail(`Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`)
  }

  getAtt(resource: string, attribute: string): unknown {
    const value = this.ctx.attributes?.[resource]?.[attribute]
    return value ?? fail(`Template error: resource ${resource} does not support attribute type ${attribute} in Fn::GetAtt`)
  }

  sub(template: string, vars: Readonly<Record<string, unknown>>): string {
    return template.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
      if (inner.startsWith("!")) return `\${${inner.slice(1)}}`
      const name = inner.trim()
      const dot = name.indexOf(".")
      const value = name in vars
        ? vars[name]
        : dot > 0 && this.ctx.physicalIds?.[name] === undefined
        ? this.getAtt(name.slice(0, dot), name.slice(dot + 1))
        : this.ref(name)
      return asText("Fn::Sub", value)
    })
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name)
    if (known !== undefined) return known
    const declaration = this.ctx.template === undefined ? undefined : section(this.ctx.template, "Conditions")[name]
    if (declaration === undefined) return fail(`Template format error: Unresolved condition dependency ${name}`)
    if (this.evaluating.has(name)) return fail(`Template format error: Circular dependency in condition ${name}`)
    this.evaluating.add(name)
    const holds = this.test(declaration)
    this.evaluating.delete(name)
    this.conditions.set(name, holds)
    return holds
  }

  /** A condition operand: `{Condition: name}` only means a condition here, never in a plain property. */
  test(u: unknown): boolean {
    if (isRecord(u) && Object.keys(u).length === 1 && typeof u["Condition"] === "string") {
      return this.condition(u["Condition"])
    }
    const v = this.value(u)
    if (typeof v === "boolean") return v
    if (v === "true" || v === "false") return v === "true"
    return fail(`Template error: a condition must evaluate to true or false, got ${JSON.stringify(v)}`)
  }

  private call(fn: string, a: unknown): unknown {
    switch (fn) {
      case "Ref":
        return this.ref(asText(fn, this.value(a)))
      case "Fn::GetAtt": {
        const [res, attr] = typeof a === "string" ? splitAttribute(a) : args(fn, a, 2).map((x) => this.value(x))
        return this.getAtt(asText(fn, res), asText(fn, attr))
      }
      case "Fn::Sub": {
        if (typeof a === "string") return this.sub(a, {})
        const [template, vars] = args(fn, a, 2)
        const resolved = isRecord(vars) ? this.value(vars) : fail("Template error: Fn::Sub variables must be a map")
        return this.sub(asText(fn, template), resolved as Record<string, unknown>)
      }
      case "Fn::Join": {
        const [delimiter, list] = args(fn, a, 2)
        return asList(fn, this.value(list)).map((x) => asText(fn, x)).join(asText(fn, delimiter))
      }
      case "Fn::Select": {
        const [index, list] = args(fn, a, 2).map((x) => this.value(x))
        const items = asList(fn, list)
        const i = num(index) ?? fail("Template error: Fn::Select needs a number index")
        return i >= 0 && i < items.length ? items[i] : fail(`Template error: Fn::Select cannot select nonexistent value at index ${i}`)
      }
      case "Fn::Split": {
        const [delimiter, source] = args(fn, a, 2).map((x) => asText(fn, this.value(x)))
        return (source ?? "").split(delimiter ?? ",")
      }
      case "Fn::GetAZs": {
        const region = asText(fn, this.value(a)) || this.region
        return ["a", "b", "c"].map((z) => `${region}${z}`)
      }
      case "Fn::If": {
        const [name, whenTrue, whenFalse] = args(fn, a, 3)
        return this.condition(asText(fn, name)) ? this.value(whenTrue) : this.value(whenFalse)
      }
      case "Fn::Equals": {
        // CloudFormation compares the values' text: 3 equals "3".
        const [x, y] = args(fn, a, 2).map((v) => this.value(v)).map((v) => JSON.stringify(text(v) ?? v))
        return x === y
      }
      case "Fn::Not":
        return !this.test(args(fn, a, 1)[0])
      case "Fn::And":
        return args(fn, a).every((c) => this.test(c))
      case "Fn::Or":
        return args(fn, a).some((c) => this.test(c))
      case "Fn::FindInMap": {
        const [map, top, second] = args(fn, a, 3).map((x) => asText(fn, this.value(x)))
        const mappings = this.ctx.template === undefined ? {} : section(this.ctx.template, "Mappings")
        const level = mappings[map ?? ""]
        const entry = isRecord(level) ? level[top ?? ""] : undefined
        const value = isRecord(entry) ? entry[second ?? ""] : undefined
        return value ?? fail(`Template error: Unable to get mapping for ${map}::${top}::${second}`)
      }
      case "Fn::Base64":
        return asText(fn, this.value(a))
      case "Fn::ImportValue": {
        const name = asText(fn, this.value(a))
        return this.ctx.exports?.[name] ?? fail(`No export named ${name} found`)
      }
    }
    return fail(`Template error: ${fn} is not supported by this evaluator`)
  }

  value(u: unknown): unknown {
    if (Array.isArray(u)) return u.map((x) => this.value(x)).filter((x) => x !== NO_VALUE)
    if (!isRecord(u)) return u
    const keys = Object.keys(u)
    const only = keys.length === 1 ? keys[0] : undefined
    if (only !== undefined && (only === "Ref" || only.startsWith("Fn::"))) return this.call(only, u[only])
    const out: Record<string, unknown> = {}
    for (const k of keys) {
      const v = this.value(u[k])
      if (v !== NO_VALUE) out[k] = v
    }
    return out
  }
}

const evaluate = <A>(run: () => A): Either.Either<A, TemplateInvalid> => {
  try {
    return Either.right(run())
  } catch (e) {
    if (e instanceof Unresolvable) return Either.left(new TemplateInvalid({ message: e.message }))
    throw e
  }
}

/** Evaluates the intrinsic functions in `value`; `{Ref: "AWS::NoValue"}` removes its key or list item. */
export const resolveValue = (value: unknown, ctx: ResolveContext): Either.Either<unknown, TemplateInvalid> =>
  evaluate(() => {
    const v = new Evaluator(ctx).value(value)
    return v === NO_VALUE ? undefined : v
  })

/** Whether the template's condition `name` holds, e.g. to decide whether a resource exists. */
export const conditionHolds = (name: string, ctx: ResolveContext): Either.Either<boolean, TemplateInvalid> =>
  evaluate(() => new Evaluator(ctx).condition(name))
