/**
 * The checks of a template's shape that need no AWS account, as ValidateTemplate words them. Under a transform only
 * what the transform cannot reshape is checked; the rest is left to CloudFormation after it expands the template.
 */

const SECTIONS = new Set([
  "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform",
  "Resources", "Outputs"
])

const SERVERLESS = "AWS::Serverless-2016-10-31"
const LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
const FOR_EACH = "Fn::ForEach::"
const EMBEDDED = "Fn::Transform"

// String, Number, their lists, and the AWS-specific and SSM types (AWS::EC2::VPC::Id, AWS::SSM::Parameter::Value<…>).
const PARAMETER_TYPE = /^(?:String|Number|List<Number>|CommaDelimitedList|AWS::.+|List<AWS::.+>)$/

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The transforms a template declares in its Transform section, and whether it calls Fn::Transform anywhere. */
export interface Transforms {
  readonly serverless: boolean
  readonly languageExtensions: boolean
  /** Any other transform (a macro, AWS::Include, …): it may reshape the whole template. */
  readonly macro: boolean
  readonly embedded: boolean
}

const names = (declared: unknown): ReadonlyArray<string> => {
  if (declared === undefined) return []
  const items = Array.isArray(declared) ? declared : [declared]
  // A transform is named by a literal string, or by an object's Name (AWS::Include with its Parameters).
  return items.map((t) => (typeof t === "string" ? t : isRecord(t) && typeof t["Name"] === "string" ? t["Name"] : ""))
}

const callsTransform = (u: unknown): boolean =>
  Array.isArray(u) ? u.some(callsTransform) : isRecord(u) && (EMBEDDED in u || Object.values(u).some(callsTransform))

export const transformsOf = (doc: Readonly<Record<string, unknown>>): Transforms => {
  const declared = names(doc["Transform"])
  return {
    serverless: declared.includes(SERVERLESS),
    languageExtensions: declared.includes(LANGUAGE_EXTENSIONS),
    macro: declared.some((n) => n !== SERVERLESS && n !== LANGUAGE_EXTENSIONS),
    embedded: callsTransform(Object.entries(doc).filter(([k]) => k !== "Transform").map(([, v]) => v))
  }
}

/** CloudFormation expands this template before it deploys it, which takes CAPABILITY_AUTO_EXPAND. */
export const declaresTransform = (doc: Readonly<Record<string, unknown>>): boolean => {
  const t = transformsOf(doc)
  return t.serverless || t.languageExtensions || t.macro || t.embedded
}

/** An entry of a section that a transform, not the template, defines: Fn::Transform's snippet, or a Fn::ForEach. */
const expanded = (key: string, value: unknown, forEach: boolean): boolean =>
  key === EMBEDDED || (isRecord(value) && EMBEDDED in value) || (forEach && key.startsWith(FOR_EACH))

/** The section's entries as the template spells them, those a transform will expand left out. */
export const declaredEntries = (section: unknown, forEach = true): ReadonlyArray<readonly [string, unknown]> =>
  isRecord(section) ? Object.entries(section).filter(([k, v]) => !expanded(k, v, forEach)) : []

const expands = (section: unknown, forEach: boolean): boolean =>
  isRecord(section) && Object.entries(section).some(([k, v]) => expanded(k, v, forEach))

/** Whether the Parameters section is what CloudFormation will use: no macro may add to it or change it. */
export const parametersCertain = (doc: Readonly<Record<string, unknown>>): boolean =>
  !transformsOf(doc).macro && !callsTransform(doc["Parameters"])

/** Whether the Resources section lists every resource the stack will have, as declared. */
export const resourcesCertain = (doc: Readonly<Record<string, unknown>>): boolean =>
  !transformsOf(doc).macro && !callsTransform(doc["Resources"]) && !expands(doc["Resources"], true)

/** The first problem ValidateTemplate would report without looking at AWS, or undefined. */
export const checkShape = (doc: unknown): string | undefined => {
  if (!isRecord(doc)) return "Template format error: the template must be a JSON or YAML object"
  const t = transformsOf(doc)
  // A macro receives the whole template and may return anything: nothing more is certain before it runs.
  if (t.macro) return undefined
  const unknown = Object.keys(doc).filter((k) => !SECTIONS.has(k) && !(t.serverless && k === "Globals"))
  if (unknown.length > 0) return `Template format error: Invalid template property or properties [${unknown.join(", ")}]`
  for (const section of ["Parameters", "Mappings", "Conditions", "Outputs"]) {
    if (doc[section] !== undefined && !isRecord(doc[section])) return `Template format error: ${section} must be an object`
  }
  const resources = doc["Resources"]
  const forEach = t.languageExtensions
  if (!isRecord(resources) || (declaredEntries(resources, forEach).length === 0 && !expands(resources, forEach))) {
    return "Template format error: At least one Resources member must be defined."
  }
  for (const [id, r] of declaredEntries(resources, forEach)) {
    if (!isRecord(r) || typeof r["Type"] !== "string") {
      return `Template format error: [/Resources/${id}] Every Resources object must contain a Type member.`
    }
  }
  for (const [id, p] of declaredEntries(doc["Parameters"], false)) {
    if (!isRecord(p) || typeof p["Type"] !== "string") {
      return `Template format error: [/Parameters/${id}] Every Parameters object must contain a Type member.`
    }
    if (!/^[A-Za-z0-9]+$/.test(id)) return `Template format error: Parameter name ${id} is non alphanumeric.`
    if (!PARAMETER_TYPE.test(p["Type"].trim())) return `Template format error: Unrecognized parameter type: ${p["Type"]}`
  }
  return undefined
}
