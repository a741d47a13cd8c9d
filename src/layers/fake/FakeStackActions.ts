import * as Either from "effect/Either"
import { parameterViolation } from "../../program/Parameters.js"
import { decodeTemplate, requiredCapabilities, type TemplateDocument, templateParameters } from "../../program/Template.js"
import type { ParameterInput, StackParameter, TemplateSource } from "../../services/CloudFormation.js"
import type { AwsValidationError } from "../../services/Errors.js"
import { invalid } from "./FakeCalls.js"
import { readTemplateUrl } from "./FakeS3.js"
import { setupError } from "./FakeGroups.js"
import { provisionId } from "./FakeProvisioning.js"
import { contextOf, declaredResources, type PlannedChange, type StackDiff } from "./FakeStackDiff.js"
import { parameterValues, uuidOf } from "./FakeStacks.js"
import { STACK_TYPE } from "./FakeStackTimeline.js"
import type { PendingStackStep, Settings, StackEffect, StackResourceState, StackState, World } from "./FakeState.js"

const BODY_LIMIT = 51_200

/** The statuses from which CloudFormation accepts an update. */
const UPDATABLE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"])

export const NO_UPDATES = "No updates are to be performed."

export const checkUpdatable = (operation: string, st: StackState): Either.Either<StackState, AwsValidationError> =>
  UPDATABLE.has(st.status) ? Either.right(st) : invalid(operation, `Stack:${st.stackId} is in ${st.status} state and can not be updated.`)

export const decodeSource = (
  operation: string,
  source: TemplateSource,
  /** Where a TemplateURL is read from: the fake S3. */
  w?: World
): Either.Either<{ readonly body: string; readonly doc: TemplateDocument }, AwsValidationError> => {
  if (source._tag === "Url") {
    if (w === undefined) throw new Error(`fake CloudFormation: ${operation} with a TemplateURL needs the world's S3`)
    return Either.flatMap(readTemplateUrl(w, operation, source.url), (body) =>
      Either.match(decodeTemplate(body), {
        onLeft: (e) => invalid(operation, e.message),
        onRight: (doc) => Either.right({ body, doc })
      }))
  }
  if (Buffer.byteLength(source.body, "utf8") > BODY_LIMIT) {
    return invalid(operation, `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${BODY_LIMIT}`)
  }
  return Either.match(decodeTemplate(source.body), {
    onLeft: (e) => invalid(operation, e.message),
    onRight: (doc) => Either.right({ body: source.body, doc })
  })
}

/** The values an action ends up with: sent ones, previous ones where asked, declared defaults; all checked. */
export const resolveParameters = (
  operation: string,
  doc: TemplateDocument,
  inputs: ReadonlyArray<ParameterInput>,
  previous: Readonly<Record<string, string>>
): Either.Either<Readonly<Record<string, string>>, AwsValidationError> => {
  const sent: Record<string, string> = {}
  for (const p of inputs) {
    if ("value" in p) sent[p.key] = p.value
    else {
      const value = previous[p.key]
      if (value === undefined) {
        return invalid(operation, `Invalid input for parameter key ${p.key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`)
      }
      sent[p.key] = value
    }
  }
  const values = parameterValues(doc, sent)
  if (Either.isLeft(values)) return invalid(operation, values.left)
  for (const [key, declaration] of Object.entries(templateParameters(doc))) {
    const value = values.right[key]
    const broken = value === undefined ? undefined : parameterViolation({ key, declaration }, value)
    if (broken !== undefined) return invalid(operation, `Parameter '${key}' ${broken}`)
  }
  return Either.right(values.right)
}

export const checkCapabilities = (
  operation: string,
  doc: TemplateDocument,
  given: ReadonlyArray<string>
): Either.Either<ReadonlyArray<string>, AwsValidationError> => {
  const missing = requiredCapabilities(doc).filter((c) =>
    !given.includes(c) && !(c === "CAPABILITY_IAM" && given.includes("CAPABILITY_NAMED_IAM"))
  )
  return missing.length > 0 ? invalid(operation, `Requires capabilities : [${missing.join(", ")}]`) : Either.right(given)
}

/** DescribeStacks / DescribeChangeSet show NoEcho values as "****". */
export const maskedParameters = (doc: TemplateDocument, values: Readonly<Record<string, string>>): ReadonlyArray<StackParameter> => {
  const declared = templateParameters(doc)
  return Object.entries(values).map(([key, value]) => ({ key, value: declared[key]?.NoEcho === true ? "****" : value }))
}

/** Lays out an action's events one interval apart from `start` on. */
const timeline = (start: number, s: Settings, token: string) => {
  const steps: Array<PendingStackStep> = []
  let at = start
  const tagged = s.stackEventTokens ? { clientRequestToken: token } : {}
  const push = (event: PendingStackStep["event"], rest: Omit<PendingStackStep, "at" | "event"> = {}) => {
    steps.push({ at, event: { ...event, ...tagged }, ...rest })
    at += s.stackEventInterval
  }
  return { steps, push }
}

const self = (st: Pick<StackState, "stackName" | "stackId">) => ({ logicalId: st.stackName, physicalId: st.stackId, resourceType: STACK_TYPE })

/** CreateStack: the stack in CREATE_IN_PROGRESS, its resources created one by one, groups as they complete. */
export const startCreate = (
  w: World,
  s: Settings,
  input: { readonly stackName: string; readonly doc: TemplateDocument; readonly body: string; readonly parameters: Readonly<Record<string, string>>; readonly capabilities: ReadonlyArray<string>; readonly token: string }
): Either.Either<StackState, AwsValidationError> => {
  const stackId = `arn:aws:cloudformation:${s.region}:${s.accountId}:stack/${input.stackName}/${uuidOf(w)}`
  const ids = { stackName: input.stackName, stackId }
  const declared = declaredResources(input.doc, contextOf(w, s, ids, input.doc, input.parameters, []))
  if (Either.isLeft(declared)) return invalid("CreateStack", declared.left)
  const provisioned = declared.right.map(([id, r]) => [id, r, provisionId(w, s, input.stackName, id, r)] as const)
  const ctx = {
    ...contextOf(w, s, ids, input.doc, input.parameters, []),
    physicalIds: Object.fromEntries(provisioned.map(([id, , p]) => [id, p.physicalId])),
    attributes: Object.fromEntries(provisioned.map(([id, , p]) => [id, p.attributes]))
  }
  const { steps, push } = timeline(w.now, s, input.token)
  push({ ...self(ids), status: "CREATE_IN_PROGRESS", reason: "User Initiated" })
  for (const [id, r, p] of provisioned) {
    push({ logicalId: id, resourceType: r.Type, status: "CREATE_IN_PROGRESS" })
    const effects: ReadonlyArray<StackEffect> = r.Type === "AWS::AutoScaling::AutoScalingGroup"
      ? [{ _tag: "CreateGroup", name: p.physicalId, resource: r, ctx }]
      : []
    const resource: StackResourceState = { logicalId: id, physicalId: p.physicalId, resourceType: r.Type, status: "CREATE_COMPLETE" }
    push({ logicalId: id, physicalId: p.physicalId, resourceType: r.Type, status: "CREATE_COMPLETE" }, { resource, effects })
  }
  push({ ...self(ids), status: "CREATE_COMPLETE" })
  return Either.right({
    ...ids,
    status: "CREATE_IN_PROGRESS",
    parameters: input.parameters,
    templateBody: input.body,
    template: input.doc,
    capabilities: input.capabilities,
    resources: [],
    events: [],
    pending: steps
  })
}

const inProgress = (c: PlannedChange) => (c.action === "Add" ? "CREATE_IN_PROGRESS" : "UPDATE_IN_PROGRESS")
const complete = (c: PlannedChange) => (c.action === "Add" ? "CREATE_COMPLETE" : "UPDATE_COMPLETE")
const REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."

/**
 * UpdateStack: each changed resource in progress then complete, removed ones deleted during the clean-up; or, when a
 * failure is armed, that resource fails and everything done so far is rolled back to UPDATE_ROLLBACK_COMPLETE.
 */
export const startUpdate = (
  w: World,
  s: Settings,
  st: StackState,
  next: { readonly doc: TemplateDocument; readonly body: string; readonly parameters: Readonly<Record<string, string>>; readonly capabilities: ReadonlyArray<string>; readonly token: string },
  diff: StackDiff
): StackState => {
  const { steps, push } = timeline(w.now + (st.nextActionDelay ?? 0), s, next.token)
  const failure = st.nextUpdateFailure
  const changes = [...diff.changes.filter((c) => c.action !== "Remove")]
  if (failure !== undefined && !changes.some((c) => c.logicalId === failure.logicalId)) {
    const target = st.resources.find((r) => r.logicalId === failure.logicalId) ??
      setupError(`stack ${st.stackName} has no resource ${failure.logicalId} to fail`)
    changes.push({ action: "Modify", logicalId: target.logicalId, resourceType: target.resourceType, replacement: false, before: target, after: target, effects: [], revert: [] })
  }
  push({ ...self(st), status: "UPDATE_IN_PROGRESS", reason: "User Initiated" })
  const done: Array<PlannedChange> = []
  for (const c of changes) {
    const physicalId = c.after?.physicalId ?? c.before?.physicalId
    push({ logicalId: c.logicalId, resourceType: c.resourceType, status: inProgress(c), ...(c.replacement ? { reason: REPLACING } : {}) })
    if (failure !== undefined && c.logicalId === failure.logicalId) {
      push({ logicalId: c.logicalId, ...(physicalId ? { physicalId } : {}), resourceType: c.resourceType, status: c.action === "Add" ? "CREATE_FAILED" : "UPDATE_FAILED", reason: failure.reason })
      push({ ...self(st), status: "UPDATE_ROLLBACK_IN_PROGRESS", reason: `The following resource(s) failed to ${c.action === "Add" ? "create" : "update"}: [${c.logicalId}]. ` })
      for (const d of [...done].reverse()) {
        if (d.action === "Add") {
          push({ logicalId: d.logicalId, resourceType: d.resourceType, status: "DELETE_IN_PROGRESS" })
          push({ logicalId: d.logicalId, resourceType: d.resourceType, status: "DELETE_COMPLETE" }, { removeResource: d.logicalId, effects: d.revert })
        } else {
          push({ logicalId: d.logicalId, resourceType: d.resourceType, status: "UPDATE_IN_PROGRESS" })
          push({ logicalId: d.logicalId, ...(d.before ? { physicalId: d.before.physicalId } : {}), resourceType: d.resourceType, status: "UPDATE_COMPLETE" }, {
            ...(d.before ? { resource: d.before } : {}),
            effects: d.revert
          })
        }
      }
      push({ ...self(st), status: "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" })
      push({ ...self(st), status: "UPDATE_ROLLBACK_COMPLETE" }, {
        stack: { parameters: st.parameters, templateBody: st.templateBody, template: st.template, capabilities: st.capabilities, resources: st.resources }
      })
      return { ...commit(st, next), pending: steps }
    }
    push({ logicalId: c.logicalId, ...(physicalId ? { physicalId } : {}), resourceType: c.resourceType, status: complete(c) }, {
      ...(c.after ? { resource: c.after } : {}),
      effects: c.effects
    })
    done.push(c)
  }
  push({ ...self(st), status: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" })
  for (const c of diff.changes.filter((x) => x.action === "Remove")) {
    push({ logicalId: c.logicalId, resourceType: c.resourceType, status: "DELETE_IN_PROGRESS" })
    push({ logicalId: c.logicalId, resourceType: c.resourceType, status: "DELETE_COMPLETE" }, { removeResource: c.logicalId, effects: c.effects })
  }
  push({ ...self(st), status: "UPDATE_COMPLETE" }, { stack: { resources: diff.resources } })
  return { ...commit(st, next), pending: steps }
}

/** The stack as UpdateStack leaves it at once: in progress, with the new template and parameters. */
const commit = (
  st: StackState,
  next: { readonly doc: TemplateDocument; readonly body: string; readonly parameters: Readonly<Record<string, string>>; readonly capabilities: ReadonlyArray<string> }
): StackState => {
  const { nextUpdateFailure: _failure, nextActionDelay: _delay, statusReason: _reason, changeSets: _sets, ...rest } = st
  return {
    ...rest,
    status: "UPDATE_IN_PROGRESS",
    parameters: next.parameters,
    templateBody: next.body,
    template: next.doc,
    capabilities: next.capabilities
  }
}
