import * as Effect from "effect/Effect"
import type { ParameterInput, ValidatedTemplate } from "../services/CloudFormation.js"
import { InvalidInput } from "../services/Errors.js"
import { type ParameterDeclaration, type TemplateDocument, templateParameters } from "./Template.js"

/** A template parameter as the local checks see it. */
export interface ParameterSpec {
  readonly key: string
  readonly declaration: ParameterDeclaration
}

/** The parameters of a template we could read, in template order. */
export const specsOfTemplate = (doc: TemplateDocument): ReadonlyArray<ParameterSpec> =>
  Object.entries(templateParameters(doc)).map(([key, declaration]) => ({ key, declaration }))

/** What ValidateTemplate tells of a template we could not read (S3): names, defaults, NoEcho, no constraints. */
export const specsOfValidated = (validated: ValidatedTemplate): ReadonlyArray<ParameterSpec> =>
  validated.parameters.map((p) => ({
    key: p.key,
    declaration: {
      Type: "String",
      NoEcho: p.noEcho,
      ...(p.defaultValue === undefined ? {} : { Default: p.defaultValue })
    }
  }))

const isList = (type: string): boolean => type === "CommaDelimitedList" || type.startsWith("List<")
const isNumeric = (type: string): boolean => type === "Number" || type === "List<Number>"

/** A Java-style pattern that must match the whole value; undefined when JavaScript cannot compile it. */
const wholeMatch = (pattern: string): RegExp | undefined => {
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch {
    return undefined
  }
}

/** The first constraint `value` breaks, as a phrase; undefined when it holds them all. */
export const parameterViolation = (spec: ParameterSpec, value: string): string | undefined => {
  const d = spec.declaration
  // The value of an SSM-typed parameter is a parameter name that CloudFormation resolves: nothing to check here.
  if (d.Type.startsWith("AWS::SSM::")) return undefined
  const shown = (v: string) => (d.NoEcho ? "(NoEcho value)" : JSON.stringify(v))
  const items = isList(d.Type) ? value.split(",").map((s) => s.trim()) : [value]
  for (const item of items) {
    if (isNumeric(d.Type) && (item.trim() === "" || !Number.isFinite(Number(item)))) return `${shown(item)} is not a number`
    if (d.AllowedValues !== undefined && !d.AllowedValues.includes(item)) {
      return `${shown(item)} is not one of its AllowedValues (${d.AllowedValues.join(", ")})`
    }
    if (d.MinValue !== undefined && Number(item) < d.MinValue) return `${shown(item)} is below its MinValue ${d.MinValue}`
    if (d.MaxValue !== undefined && Number(item) > d.MaxValue) return `${shown(item)} is above its MaxValue ${d.MaxValue}`
  }
  if (isList(d.Type)) return undefined
  const pattern = d.AllowedPattern === undefined ? undefined : wholeMatch(d.AllowedPattern)
  if (pattern !== undefined && !pattern.test(value)) return `${shown(value)} does not match its AllowedPattern ${d.AllowedPattern}`
  if (d.MinLength !== undefined && value.length < d.MinLength) {
    return `${shown(value)} is shorter than its MinLength ${d.MinLength}`
  }
  if (d.MaxLength !== undefined && value.length > d.MaxLength) {
    return `${shown(value)} is longer than its MaxLength ${d.MaxLength}`
  }
  return undefined
}

/**
 * The local checks of the parameters against the template that will be used: every given key exists, every
 * parameter without a Default has a value (given, or the existing stack's previous one), every value holds.
 */
export const checkParameters = (
  specs: ReadonlyArray<ParameterSpec>,
  given: ReadonlyMap<string, string>,
  /** Keys the existing stack has values for; empty when creating. */
  previous: ReadonlySet<string>,
  /** Key → the file it was read from (`--parameters FILE`), named in messages. */
  origins: ReadonlyMap<string, string> = new Map()
): Effect.Effect<void, InvalidInput> =>
  Effect.suspend(() => {
    const invalid = (message: string) => Effect.fail(new InvalidInput({ message }))
    const known = new Set(specs.map((s) => s.key))
    const unknown = [...given.keys()].filter((k) => !known.has(k))
    if (unknown.length > 0) {
      const names = specs.map((s) => s.key).join(", ") || "none"
      const shown = unknown.map((k) => (origins.has(k) ? `${k} (from ${origins.get(k)})` : k))
      return invalid(`the template has no parameter ${shown.join(", ")} (its parameters: ${names})`)
    }
    const missing = specs.filter((s) => s.declaration.Default === undefined && !given.has(s.key) && !previous.has(s.key))
    if (missing.length > 0) {
      return invalid(`parameter ${missing.map((s) => s.key).join(", ")} must have a value: give it as KEY=VALUE`)
    }
    for (const spec of specs) {
      const value = given.get(spec.key)
      if (value === undefined) continue
      const broken = parameterViolation(spec, value)
      if (broken !== undefined) {
        const why = spec.declaration.ConstraintDescription === undefined ? "" : ` — ${spec.declaration.ConstraintDescription}`
        const from = origins.has(spec.key) ? ` (from ${origins.get(spec.key)})` : ""
        return invalid(`parameter ${spec.key}${from}: ${broken}${why}`)
      }
    }
    return Effect.void
  })

/**
 * What CreateStack / UpdateStack get: the given values, and UsePreviousValue for every other parameter the stack
 * already has — never a value read back, since NoEcho ones come back masked. Others are left to their Default.
 */
export const parameterInputs = (
  keys: ReadonlyArray<string>,
  given: ReadonlyMap<string, string>,
  previous: ReadonlySet<string>
): ReadonlyArray<ParameterInput> =>
  keys.flatMap((key): Array<ParameterInput> => {
    const value = given.get(key)
    if (value !== undefined) return [{ key, value }]
    return previous.has(key) ? [{ key, usePreviousValue: true }] : []
  })
