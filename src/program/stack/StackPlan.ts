import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import {
  CloudFormation,
  type ParameterInput,
  type Stack,
  type StackActionInput,
  type TemplateSource,
  type ValidatedTemplate
} from "../../services/CloudFormation.js"
import { InvalidInput } from "../../services/Errors.js"
import { AUTO_EXPAND, DEFAULT_CAPABILITIES } from "./Capabilities.js"
import { stackStep } from "../Emit.js"
import { checkParameters, type ParameterSpec, parameterInputs, specsOfTemplate, specsOfValidated } from "../../template/Parameters.js"
import { StackNotUpdatable } from "./StackErrors.js"
import { declaresTransform, decodeTemplate, parametersCertain, parseTemplate, type TemplateDocument } from "../../template/Template.js"
import { checkBodySize, type LoadedTemplate, TEMPLATE_BODY_LIMIT } from "./TemplateSource.js"
import { tagsToSend, type TemplateUpload } from "./StackOptions.js"
import { uploadTemplate } from "./TemplateUpload.js"

const KNOWN_CAPABILITIES = new Set(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])

/** `--capabilities` as a comma- or space-separated list; it replaces the default list, an empty one means none. */
export const parseCapabilities = (list: string): Effect.Effect<ReadonlyArray<string>, InvalidInput> => {
  const items = [...new Set(list.split(/[\s,]+/).filter((s) => s.length > 0))]
  const unknown = items.filter((c) => !KNOWN_CAPABILITIES.has(c))
  return unknown.length > 0
    ? Effect.fail(new InvalidInput({ message: `--capabilities: unknown ${unknown.join(", ")} (known: ${[...KNOWN_CAPABILITIES].join(", ")})` }))
    : Effect.succeed(items)
}

/** Statuses from which UpdateStack is accepted. */
const UPDATABLE = new Set([
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_FAILED",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE"
])

/** Why a stack in `status` cannot be updated and what the user can do; None when it can. */
export const notUpdatable = (stackName: string, status: string, region?: string): Option.Option<string> => {
  if (UPDATABLE.has(status)) return Option.none()
  const cli = (verb: string) => `aws cloudformation ${verb}${region === undefined ? "" : ` --region ${region}`} --stack-name ${stackName}`
  if (status === "REVIEW_IN_PROGRESS") {
    return Option.some(`it only holds a change set that was never executed: execute or delete that change set (or ${cli("delete-stack")}), then run again`)
  }
  if (status.endsWith("_IN_PROGRESS")) return Option.some("an operation is in progress: wait until CloudFormation finishes, then run again")
  if (status === "ROLLBACK_COMPLETE" || status === "ROLLBACK_FAILED" || status === "CREATE_FAILED") {
    return Option.some(`its creation failed, so it can only be deleted: ${cli("delete-stack")}, then run again to create it`)
  }
  if (status === "UPDATE_ROLLBACK_FAILED") {
    return Option.some(`its roll-back failed: fix what blocked it (see its events), run ${cli("continue-update-rollback")}, then run again`)
  }
  if (status === "DELETE_FAILED") return Option.some(`its deletion failed: fix what blocked it and ${cli("delete-stack")} again`)
  return Option.some("CloudFormation accepts no update in this state: see the stack's events")
}

export interface StackPlanOptions {
  /** None: create is refused, update uses the previous template. */
  readonly template: Option.Option<LoadedTemplate>
  /** KEY=VALUE pairs as given. */
  readonly parameters: ReadonlyMap<string, string>
  readonly capabilities: ReadonlyArray<string>
  /**
   * True when the user named `capabilities` (--capabilities): a template that declares a transform is then refused
   * without CAPABILITY_AUTO_EXPAND. Otherwise they are a default, which CAPABILITY_AUTO_EXPAND joins where needed.
   */
  readonly capabilitiesGiven?: boolean
  /** Only for the commands in advice lines. */
  readonly region?: string
  /** Key → the file a given parameter was read from (`--parameters FILE`), named in messages. */
  readonly parameterOrigins?: ReadonlyMap<string, string>
  /** Keys a parameter file keeps (UsePreviousValue) → that file: they must be the template's too. */
  readonly keptParameters?: ReadonlyMap<string, string>
  /** RoleARN: the service role CloudFormation acts with. */
  readonly roleArn?: string
  /** Tags given; on update they go over the stack's current ones, as AWS replaces the set when any is sent. */
  readonly tags?: ReadonlyMap<string, string>
  readonly notificationArns?: ReadonlyArray<string>
  /** Turns termination protection on: at creation, or before the update when it is off. */
  readonly terminationProtection?: boolean
  /** Where a body over the TemplateBody limit (or any, with `always`) is uploaded; without it such a body is refused. */
  readonly upload?: TemplateUpload & { readonly region: string }
}

/** A create needs a template; an update without one keeps the stack's (UsePreviousTemplate). */
export type PlannedAction =
  | { readonly _tag: "Create"; readonly template: TemplateSource }
  | { readonly _tag: "Update"; readonly stack: Stack; readonly template: Option.Option<TemplateSource> }

/** Everything a create, update or change set sends, checked. */
export interface StackPlan {
  readonly stackName: string
  readonly action: PlannedAction
  /** The template parsed, when we could read its text. */
  readonly document: Option.Option<TemplateDocument>
  readonly parameters: ReadonlyArray<ParameterInput>
  readonly capabilities: ReadonlyArray<string>
  /** RoleARN, the whole tag set and NotificationARNs, each only when given. */
  readonly stackOptions: StackOptionsInput
  /** Create: EnableTerminationProtection; update: UpdateTerminationProtection first (asked, and now off). */
  readonly enableTerminationProtection: boolean
}

export type StackOptionsInput = Pick<StackActionInput, "roleArn" | "tags" | "notificationArns">

const satisfied = (needed: ReadonlyArray<string>, given: ReadonlyArray<string>): ReadonlyArray<string> =>
  // CAPABILITY_NAMED_IAM acknowledges every IAM resource, named or not.
  needed.filter((c) => !given.includes(c) && !(c === "CAPABILITY_IAM" && given.includes("CAPABILITY_NAMED_IAM")))

/** The capabilities to send, CAPABILITY_AUTO_EXPAND added to a default list when CloudFormation will expand the template. */
const capabilitiesFor = (options: StackPlanOptions, expands: boolean): Effect.Effect<ReadonlyArray<string>, InvalidInput> => {
  if (!expands || options.capabilities.includes(AUTO_EXPAND)) return Effect.succeed(options.capabilities)
  return options.capabilitiesGiven === true
    ? Effect.fail(new InvalidInput({
      message: `the template declares a transform, which CloudFormation expands only with ${AUTO_EXPAND}: add it to --capabilities (now: ${options.capabilities.join(", ") || "none"})`
    }))
    : Effect.succeed([...options.capabilities, AUTO_EXPAND])
}

/** A key a parameter file keeps is a parameter of the template too: UsePreviousValue names one. */
const checkKept = (specs: ReadonlyArray<ParameterSpec>, kept: ReadonlyMap<string, string> = new Map()) => {
  const unknown = [...kept].filter(([key]) => !specs.some((s) => s.key === key))
  return unknown.length === 0 ? Effect.void : Effect.fail(new InvalidInput({
    message: `the template has no parameter ${unknown.map(([key, file]) => `${key} (from ${file})`).join(", ")} (its parameters: ${specs.map((s) => s.key).join(", ") || "none"})`
  }))
}

/** The deployed template's parameters, to check values given for an update that keeps its template. */
const deployedSpecs = Effect.fn("StackUpdate.deployedSpecs")(function*(stack: Stack) {
  const fallback: ReadonlyArray<ParameterSpec> = stack.parameters.map((p) => ({
    key: p.key,
    declaration: { Type: "String", NoEcho: false }
  }))
  const body = yield* (yield* CloudFormation).getTemplate(stack.stackName)
  // The template is deployed, so CloudFormation parsed it: if ours cannot, only the names are checked here.
  // Under a macro the stack's parameters are the certain ones: the macro may have added some.
  return Either.match(decodeTemplate(body), {
    onLeft: () => fallback,
    onRight: (doc) => (parametersCertain(doc) ? specsOfTemplate(doc) : fallback)
  })
})

/**
 * The read-only half of update-stack: the stack's state, the local checks of template and parameters, then
 * ValidateTemplate. Any refusal happens here, before a mutating call.
 */
export const planStackAction = Effect.fn("StackUpdate.plan")(function*(stackName: string, options: StackPlanOptions) {
  const cfn = yield* CloudFormation
  const existing = yield* cfn.describeStack(stackName)
  const loaded = Option.getOrUndefined(options.template)
  const template = Option.map(Option.fromNullable(loaded), (l) => l.source)
  let action: PlannedAction
  if (Option.isSome(existing)) {
    const why = notUpdatable(stackName, existing.value.status, options.region)
    if (Option.isSome(why)) {
      return yield* Effect.fail(new StackNotUpdatable({ stackName, status: existing.value.status, advice: why.value }))
    }
    action = { _tag: "Update", stack: existing.value, template }
  } else if (loaded !== undefined) {
    action = { _tag: "Create", template: loaded.source }
  } else {
    return yield* Effect.fail(new InvalidInput({ message: `stack ${stackName} does not exist: creating it needs --template FILE|URL` }))
  }
  const previous: ReadonlySet<string> = new Set(Option.match(existing, { onNone: () => [], onSome: (s) => s.parameters.map((p) => p.key) }))
  const body = loaded === undefined ? undefined : Option.getOrUndefined(loaded.body)
  const document = body === undefined ? undefined : yield* parseTemplate(body)
  if (loaded !== undefined) {
    yield* stackStep(stackName, "template", body === undefined
      ? `template ${loaded.origin}: in S3, read by CloudFormation`
      : `template ${loaded.origin}: ${new TextEncoder().encode(body).length} bytes, parsed`)
  }

  // A kept template was expanded before when the stack acknowledged CAPABILITY_AUTO_EXPAND; a list the user gave is
  // then sent as it is, since what the stack acknowledged once does not prove it needs it still.
  const kept = loaded === undefined && Option.isSome(existing) && existing.value.capabilities.includes(AUTO_EXPAND)
  let capabilities = kept && options.capabilitiesGiven === true
    ? options.capabilities
    : yield* capabilitiesFor(options, kept || (document !== undefined && declaresTransform(document)))

  // Parameters a macro may add are CloudFormation's to check.
  const certain = document === undefined || parametersCertain(document)
  let specs: ReadonlyArray<ParameterSpec> | undefined
  if (document !== undefined) specs = specsOfTemplate(document)
  else if (loaded === undefined && Option.isSome(existing)) {
    const named = options.parameters.size + (options.keptParameters?.size ?? 0)
    specs = named === 0 ? undefined : yield* deployedSpecs(existing.value)
  }
  const origins = options.parameterOrigins ?? new Map<string, string>()
  if (specs !== undefined && certain) {
    yield* checkParameters(specs, options.parameters, previous, origins)
    yield* checkKept(specs, options.keptParameters)
  }
  const tags = yield* tagsToSend(options.tags ?? new Map(), Option.match(existing, { onNone: () => [], onSome: (s) => s.tags }))

  let source = loaded?.source
  if (body !== undefined) {
    const upload = options.upload
    if (upload !== undefined && (upload.always || new TextEncoder().encode(body).length > TEMPLATE_BODY_LIMIT)) {
      source = yield* uploadTemplate(stackName, body, upload)
      action = action._tag === "Create" ? { ...action, template: source } : { ...action, template: Option.some(source) }
    } else {
      yield* checkBodySize(body)
    }
  }

  let validated: ValidatedTemplate | undefined
  if (loaded !== undefined && source !== undefined) {
    validated = yield* cfn.validateTemplate(source)
    if (specs === undefined) {
      specs = specsOfValidated(validated)
      yield* checkParameters(specs, options.parameters, previous, origins)
      yield* checkKept(specs, options.keptParameters)
    }
    // A template in S3 is known here only by what ValidateTemplate says of it.
    if (validated.capabilities.includes(AUTO_EXPAND) && options.capabilitiesGiven !== true) {
      capabilities = yield* capabilitiesFor(options, true)
    }
    const missing = satisfied(validated.capabilities, capabilities)
    if (missing.length > 0) {
      return yield* Effect.fail(new InvalidInput({
        message: `the template needs ${missing.join(", ")}: add it to --capabilities (now: ${capabilities.join(", ") || "none"})`
      }))
    }
    yield* stackStep(stackName, "validate", `ValidateTemplate: valid; ${validated.parameters.length} parameter(s)${validated.capabilities.length > 0 ? `, needs ${validated.capabilities.join(", ")}` : ""}`)
  }

  const declared = (specs ?? []).map((s) => s.key)
  const keys = loaded !== undefined
    ? [...declared, ...(certain ? [] : [...options.parameters.keys()].filter((k) => !declared.includes(k)))]
    : Option.match(existing, { onNone: () => [], onSome: (s) => s.parameters.map((p) => p.key) })
  const plan: StackPlan = {
    stackName,
    action,
    document: Option.fromNullable(document),
    parameters: parameterInputs(keys, options.parameters, previous),
    capabilities,
    stackOptions: {
      ...(options.roleArn !== undefined ? { roleArn: options.roleArn } : {}),
      ...(tags !== undefined ? { tags } : {}),
      ...(options.notificationArns !== undefined && options.notificationArns.length > 0 ? { notificationArns: options.notificationArns } : {})
    },
    enableTerminationProtection: options.terminationProtection === true &&
      (action._tag === "Create" || !action.stack.terminationProtection)
  }
  return plan
})

/** "given: A, B; previous value: C" for the step lines; values are never shown, NoEcho ones included. */
export const describeParameters = (inputs: ReadonlyArray<ParameterInput>): string => {
  const given = inputs.filter((p) => !("usePreviousValue" in p)).map((p) => p.key)
  const kept = inputs.filter((p) => "usePreviousValue" in p).map((p) => p.key)
  const parts = [
    ...(given.length > 0 ? [`given: ${given.join(", ")}`] : []),
    ...(kept.length > 0 ? [`previous value: ${kept.join(", ")}`] : [])
  ]
  return parts.length === 0 ? "no parameters" : `parameters ${parts.join("; ")}`
}

export { DEFAULT_CAPABILITIES }
