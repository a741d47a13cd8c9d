import * as Either from "effect/Either"
import { parameterViolation } from "../../template/Parameters.js"
import {
  decodeTemplate,
  parametersCertain,
  requiredCapabilities,
  resolveValue,
  resourcesCertain,
  type TemplateDocument,
  templateParameters
} from "../../template/Template.js"
import type { ParameterInput, StackParameter, TemplateSource } from "../../services/CloudFormation.js"
import { AwsValidationError } from "../../services/Errors.js"
import { invalid } from "./FakeCalls.js"
import { readTemplateUrl } from "./FakeS3.js"
import { setupError } from "./FakeGroups.js"
import { provisionId } from "./FakeProvisioning.js"
import { findStack, nestedName, nestedSource } from "./FakeNestedStacks.js"
import { contextOf, declaredResources, diffStack, type PlannedChange, type StackDiff } from "./FakeStackDiff.js"
import { parameterValues, uuidOf } from "./FakeStacks.js"
import { STACK_TYPE } from "./FakeStackTimeline.js"
import type { PendingStackStep, Settings, StackEffect, StackResourceState, StackState, World } from "./FakeState.js"

const BODY_LIMIT = 51_200

/** The statuses from which CloudFormation accepts an update. */
const UPDATABLE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"])

export const NO_UPDATES = "No updates are to be performed."
/** The second event of a nested stack's creation, the first to carry its id. */
const CREATION_INITIATED = "Resource creation Initiated"

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
    onRight: (doc) => {
      // SAM's Globals pass through (its own resource types stay as they are); no other expansion is modelled.
      if (!resourcesCertain(doc) || !parametersCertain(doc)) {
        throw new Error(`fake CloudFormation: ${operation} of a template that a macro, Fn::ForEach or Fn::Transform reshapes is not modelled (the fake world expands no transform)`)
      }
      return Either.right({ body: source.body, doc })
    }
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
  /** When the next step lands. */
  const next = () => at
  /** The next step lands one interval after a nested stack's last one. */
  const after = (nested: Pick<StackState, "pending">) => {
    at = Math.max(at, (nested.pending?.at(-1)?.at ?? at) + s.stackEventInterval)
  }
  return { steps, push, next, after }
}

const self = (st: Pick<StackState, "stackName" | "stackId">) => ({ logicalId: st.stackName, physicalId: st.stackId, resourceType: STACK_TYPE })

export interface ActionInput {
  readonly stackName: string
  readonly doc: TemplateDocument
  readonly body: string
  readonly parameters: Readonly<Record<string, string>>
  readonly capabilities: ReadonlyArray<string>
  readonly token: string
}

/** Where a nested stack's own action starts: its id, and the time of its first event. */
interface NestedAt {
  readonly stackId: string
  readonly start: number
}

const startNested = (stack: StackState): StackEffect => {
  const { events: _events, ...rest } = stack
  return { _tag: "StartNested", stack: rest }
}

/** CreateStack: the stack in CREATE_IN_PROGRESS, its resources created one by one, groups as they complete. */
export const startCreate = (
  w: World,
  s: Settings,
  input: ActionInput,
  nestedAt?: NestedAt
): Either.Either<StackState, AwsValidationError> => {
  const stackId = nestedAt?.stackId ?? `arn:aws:cloudformation:${s.region}:${s.accountId}:stack/${input.stackName}/${uuidOf(w)}`
  const ids = { stackName: input.stackName, stackId }
  const declared = declaredResources(input.doc, contextOf(w, s, ids, input.doc, input.parameters, []))
  if (Either.isLeft(declared)) return invalid("CreateStack", declared.left)
  const provisioned = declared.right.map(([id, r]) => [id, r, provisionId(w, s, input.stackName, id, r)] as const)
  const ctx = {
    ...contextOf(w, s, ids, input.doc, input.parameters, []),
    physicalIds: Object.fromEntries(provisioned.map(([id, , p]) => [id, p.physicalId])),
    attributes: Object.fromEntries(provisioned.map(([id, , p]) => [id, p.attributes]))
  }
  const { after, next, push, steps } = timeline(nestedAt?.start ?? w.now, s, input.token)
  push({ ...self(ids), status: "CREATE_IN_PROGRESS", reason: "User Initiated" })
  for (const [id, r, p] of provisioned) {
    const resource: StackResourceState = { logicalId: id, physicalId: p.physicalId, resourceType: r.Type, status: "CREATE_COMPLETE" }
    if (r.Type === STACK_TYPE) {
      const props = resolveValue(r.Properties, ctx)
      if (Either.isLeft(props)) return invalid("CreateStack", props.left.message)
      const source = nestedSource(w, props.right as Readonly<Record<string, unknown>>)
      if (Either.isLeft(source)) return invalid("CreateStack", source.left)
      const child = startCreate(w, s, { ...input, stackName: nestedName(p.physicalId), ...source.right }, {
        stackId: p.physicalId,
        start: next() + 2 * s.stackEventInterval
      })
      if (Either.isLeft(child)) return child
      push({ logicalId: id, resourceType: r.Type, status: "CREATE_IN_PROGRESS" })
      push({ logicalId: id, physicalId: p.physicalId, resourceType: r.Type, status: "CREATE_IN_PROGRESS", reason: CREATION_INITIATED }, { effects: [startNested(child.right)] })
      after(child.right)
      push({ logicalId: id, physicalId: p.physicalId, resourceType: r.Type, status: "CREATE_COMPLETE" }, { resource })
      continue
    }
    push({ logicalId: id, resourceType: r.Type, status: "CREATE_IN_PROGRESS" })
    const effects: ReadonlyArray<StackEffect> = r.Type === "AWS::AutoScaling::AutoScalingGroup"
      ? [{ _tag: "CreateGroup", name: p.physicalId, resource: r, ctx }]
      : []
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

/** A stack deleted resource by resource, its groups and nested stacks with it, from `start` on. */
const startDelete = (w: World, s: Settings, st: StackState, start: number, token: string): StackState => {
  const { after, next, push, steps } = timeline(start, s, token)
  push({ ...self(st), status: "DELETE_IN_PROGRESS", reason: "User Initiated" })
  for (const r of [...st.resources].reverse()) {
    const child = r.resourceType === STACK_TYPE ? findStack(w, r.physicalId) : undefined
    if (child !== undefined) {
      const deleting = startDelete(w, s, child, next() + s.stackEventInterval, token)
      push({ logicalId: r.logicalId, physicalId: r.physicalId, resourceType: r.resourceType, status: "DELETE_IN_PROGRESS" }, { effects: [startNested(deleting)] })
      after(deleting)
    } else {
      push({ logicalId: r.logicalId, physicalId: r.physicalId, resourceType: r.resourceType, status: "DELETE_IN_PROGRESS" })
    }
    push({ logicalId: r.logicalId, physicalId: r.physicalId, resourceType: r.resourceType, status: "DELETE_COMPLETE" }, {
      removeResource: r.logicalId,
      effects: r.resourceType === "AWS::AutoScaling::AutoScalingGroup" ? [{ _tag: "DeleteGroup", name: r.physicalId }] : []
    })
  }
  push({ ...self(st), status: "DELETE_COMPLETE" })
  return { ...st, status: "DELETE_IN_PROGRESS", pending: steps }
}

/** A nested stack whose update completed, put back as it was: its changes reverted, last first. */
const startRevert = (
  st: StackState,
  before: StackState,
  diff: StackDiff,
  start: number,
  s: Settings,
  token: string
): StackState => {
  const { push, steps } = timeline(start, s, token)
  push({ ...self(st), status: "UPDATE_ROLLBACK_IN_PROGRESS", reason: "Parent stack rolled back" })
  for (const c of [...diff.changes].filter((x) => x.action === "Modify").reverse()) {
    push({ logicalId: c.logicalId, resourceType: c.resourceType, status: "UPDATE_IN_PROGRESS" })
    push({ logicalId: c.logicalId, ...(c.before ? { physicalId: c.before.physicalId } : {}), resourceType: c.resourceType, status: "UPDATE_COMPLETE" }, {
      ...(c.before ? { resource: c.before } : {}),
      effects: c.revert
    })
  }
  push({ ...self(st), status: "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" })
  push({ ...self(st), status: "UPDATE_ROLLBACK_COMPLETE" }, {
    stack: { parameters: before.parameters, templateBody: before.templateBody, template: before.template, capabilities: before.capabilities, resources: before.resources }
  })
  return { ...st, status: "UPDATE_ROLLBACK_IN_PROGRESS", pending: steps }
}

const inProgress = (c: PlannedChange) => (c.action === "Add" ? "CREATE_IN_PROGRESS" : "UPDATE_IN_PROGRESS")
const complete = (c: PlannedChange) => (c.action === "Add" ? "CREATE_COMPLETE" : "UPDATE_COMPLETE")
const REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."

/** What a nested stack's own action did, for the parent's roll-back. */
interface NestedDone {
  readonly child: StackState
  readonly diff?: StackDiff
}

/**
 * UpdateStack: each changed resource in progress then complete, removed ones deleted during the clean-up; or, when a
 * failure is armed (on this stack, or on a nested stack it updates), that resource fails and everything done so far
 * is rolled back to UPDATE_ROLLBACK_COMPLETE.
 */
export const startUpdate = (
  w: World,
  s: Settings,
  st: StackState,
  next: ActionInput,
  diff: StackDiff,
  nestedStart?: number
): Either.Either<StackState, AwsValidationError> =>
  Either.gen(function*() {
    const { after, next: now, push, steps } = timeline(nestedStart ?? w.now + (st.nextActionDelay ?? 0), s, next.token)
    const armed = st.nextUpdateFailure
    const changes = [...diff.changes.filter((c) => c.action !== "Remove")]
    if (armed !== undefined && !changes.some((c) => c.logicalId === armed.logicalId)) {
      const target = st.resources.find((r) => r.logicalId === armed.logicalId) ??
        setupError(`stack ${st.stackName} has no resource ${armed.logicalId} to fail`)
      changes.push({ action: "Modify", logicalId: target.logicalId, resourceType: target.resourceType, replacement: false, before: target, after: target, effects: [], revert: [] })
    }
    push({ ...self(st), status: "UPDATE_IN_PROGRESS", reason: "User Initiated" })
    const done: Array<PlannedChange & { readonly nestedDone?: NestedDone }> = []
    for (const c of changes) {
      const physicalId = c.after?.physicalId ?? c.before?.physicalId
      let failure = armed !== undefined && c.logicalId === armed.logicalId ? armed.reason : undefined
      let nestedDone: NestedDone | undefined
      if (failure === undefined && c.nested !== undefined && physicalId !== undefined) {
        const childInput = { ...next, stackName: nestedName(physicalId), ...c.nested }
        const start = now() + s.stackEventInterval
        if (c.action === "Add") {
          const child = yield* startCreate(w, s, childInput, { stackId: physicalId, start: start + s.stackEventInterval })
          push({ logicalId: c.logicalId, resourceType: c.resourceType, status: inProgress(c) })
          push({ logicalId: c.logicalId, physicalId, resourceType: c.resourceType, status: inProgress(c), reason: CREATION_INITIATED }, { effects: [startNested(child)] })
          after(child)
          nestedDone = { child }
        } else {
          const current = findStack(w, physicalId) ?? setupError(`nested stack ${physicalId} is missing`)
          const childDiff = yield* Either.mapLeft(
            diffStack(w, s, current, c.nested.doc, c.nested.parameters, true),
            (message) => new AwsValidationError({ operation: "UpdateStack", message })
          )
          const child = yield* startUpdate(w, s, current, childInput, childDiff, start)
          push({ logicalId: c.logicalId, physicalId, resourceType: c.resourceType, status: inProgress(c) }, { effects: [startNested(child)] })
          after(child)
          const end = child.pending?.at(-1)?.event.status
          if (end === "UPDATE_ROLLBACK_COMPLETE") {
            const why = child.pending?.find((p) => p.event.status === "UPDATE_ROLLBACK_IN_PROGRESS")?.event.reason ?? ""
            failure = `Embedded stack ${physicalId} was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS with reason: ${why}`
          } else {
            nestedDone = { child: current, diff: childDiff }
          }
        }
      } else {
        // An existing resource's events name it from the first one on.
        const known = c.action === "Modify" && physicalId !== undefined ? { physicalId } : {}
        push({ logicalId: c.logicalId, ...known, resourceType: c.resourceType, status: inProgress(c), ...(c.replacement ? { reason: REPLACING } : {}) })
      }
      if (failure !== undefined) {
        push({ logicalId: c.logicalId, ...(physicalId ? { physicalId } : {}), resourceType: c.resourceType, status: c.action === "Add" ? "CREATE_FAILED" : "UPDATE_FAILED", reason: failure })
        push({ ...self(st), status: "UPDATE_ROLLBACK_IN_PROGRESS", reason: `The following resource(s) failed to ${c.action === "Add" ? "create" : "update"}: [${c.logicalId}]. ` })
        for (const d of [...done].reverse()) {
          const nested = d.nestedDone
          if (d.action === "Add") {
            const deleting = nested === undefined ? undefined : startDelete(w, s, nested.child, now() + s.stackEventInterval, next.token)
            push({ logicalId: d.logicalId, resourceType: d.resourceType, status: "DELETE_IN_PROGRESS" }, deleting === undefined ? {} : { effects: [startNested(deleting)] })
            if (deleting !== undefined) after(deleting)
            push({ logicalId: d.logicalId, resourceType: d.resourceType, status: "DELETE_COMPLETE" }, { removeResource: d.logicalId, effects: d.revert })
          } else {
            const reverting = nested?.diff === undefined
              ? undefined
              : startRevert(nested.child, nested.child, nested.diff, now() + s.stackEventInterval, s, next.token)
            push({ logicalId: d.logicalId, resourceType: d.resourceType, status: "UPDATE_IN_PROGRESS" }, reverting === undefined ? {} : { effects: [startNested(reverting)] })
            if (reverting !== undefined) after(reverting)
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
      done.push(nestedDone === undefined ? c : { ...c, nestedDone })
    }
    push({ ...self(st), status: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" })
    for (const c of diff.changes.filter((x) => x.action === "Remove")) {
      const child = c.resourceType === STACK_TYPE && c.before !== undefined ? findStack(w, c.before.physicalId) : undefined
      const deleting = child === undefined ? undefined : startDelete(w, s, child, now() + s.stackEventInterval, next.token)
      push({ logicalId: c.logicalId, resourceType: c.resourceType, status: "DELETE_IN_PROGRESS" }, deleting === undefined ? {} : { effects: [startNested(deleting)] })
      if (deleting !== undefined) after(deleting)
      push({ logicalId: c.logicalId, resourceType: c.resourceType, status: "DELETE_COMPLETE" }, { removeResource: c.logicalId, effects: c.effects })
    }
    push({ ...self(st), status: "UPDATE_COMPLETE" }, { stack: { resources: diff.resources } })
    return { ...commit(st, next), pending: steps }
  })

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
