/** The intrinsic functions of CloudFormation templates (Ref, Fn::GetAtt, Fn::Sub, …), evaluated the way the service does. */
import * as Either from "effect/Either"
import { TemplateInvalid } from "../services/Errors.js"
import { isRecord, num, section, splitAttribute, templateParameters, text, type TemplateDocument } from "./Template.js"

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
