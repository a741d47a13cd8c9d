import * as Either from "effect/Either"
import {
  conditionHolds,
  requiredCapabilities,
  resolveValue,
  type ResolveContext,
  type TemplateDocument,
  templateParameters,
  templateResources
} from "../../template/Template.js"
import type { Stack, StackEvent } from "../../services/CloudFormation.js"
import { existingGroup, setupError } from "./FakeGroups.js"
import { nestedName, nestedSource } from "./FakeNestedStacks.js"
import { type Provisioned, provisionGroup, provisionId } from "./FakeProvisioning.js"
import { hex, nextSerial, type Settings, type StackResourceState, type StackState, type World } from "./FakeState.js"
import type { StackSpec } from "./FakeWorld.js"

const ASG = "AWS::AutoScaling::AutoScalingGroup"
const STACK_TYPE = "AWS::CloudFormation::Stack"

/** A UUID-shaped id numbered by the world's counter. */
export const uuidOf = (w: World): string => `00000000-0000-4000-8000-${hex(nextSerial(w), 12)}`

/** An event as an action describes it; id, stack and time are added when it is written. */
export type EventFields = Omit<StackEvent, "eventId" | "stackName" | "timestamp">

export const stackEvent = (w: World, stack: StackState, at: number, fields: EventFields): StackEvent => ({
  eventId: uuidOf(w),
  stackName: stack.stackName,
  timestamp: at,
  ...fields
})

/** Parameter values a stack action ends up with: the ones sent over the declared defaults, all declared. */
export const parameterValues = (
  doc: TemplateDocument,
  sent: Readonly<Record<string, string>>
): Either.Either<Readonly<Record<string, string>>, string> => {
  const declared = templateParameters(doc)
  const undeclared = Object.keys(sent).filter((k) => declared[k] === undefined)
  if (undeclared.length > 0) return Either.left(`Parameters: [${undeclared.join(", ")}] do not exist in the template`)
  const values: Record<string, string> = {}
  const missing: Array<string> = []
  for (const [name, p] of Object.entries(declared)) {
    const v = sent[name] ?? p.Default
    if (v === undefined) missing.push(name)
    else values[name] = v
  }
  return missing.length > 0 ? Either.left(`Parameters: [${missing.join(", ")}] must have values`) : Either.right(values)
}

/** DescribeStacks' view: NoEcho values come back as "****". */
export const describedStack = (st: StackState): Stack => {
  const declared = templateParameters(st.template)
  return {
    stackId: st.stackId,
    stackName: st.stackName,
    status: st.status,
    ...(st.statusReason !== undefined ? { statusReason: st.statusReason } : {}),
    parameters: Object.entries(st.parameters).map(([key, value]) => ({
      key,
      value: declared[key]?.NoEcho === true ? "****" : value
    })),
    capabilities: st.capabilities,
    tags: st.tags ?? [],
    ...(st.roleArn !== undefined ? { roleArn: st.roleArn } : {}),
    terminationProtection: st.terminationProtection ?? false,
    notificationArns: st.notificationArns ?? []
  }
}

/** `addStack`: the stack as a CreateStack long ago left it, with the creation events it would have logged. */
export const addStackToWorld = (w: World, s: Settings, spec: StackSpec, doc: TemplateDocument, nestedId?: string): void => {
  const previous = w.stacks.get(spec.name)
  if (previous !== undefined && previous.status !== "DELETE_COMPLETE") setupError(`a stack named ${spec.name} exists already`)
  const parameters = Either.getOrElse(parameterValues(doc, spec.parameters ?? {}), (m) => setupError(`stack ${spec.name}: ${m}`))
  const stackId = nestedId ?? `arn:aws:cloudformation:${s.region}:${s.accountId}:stack/${spec.name}/${uuidOf(w)}`
  const base: ResolveContext = {
    template: doc,
    parameters,
    region: s.region,
    accountId: s.accountId,
    stackName: spec.name,
    stackId
  }
  const declared = Object.entries(templateResources(doc)).filter(([, r]) =>
    r.Condition === undefined ||
    Either.getOrElse(conditionHolds(r.Condition, base), (e) => setupError(`stack ${spec.name}: ${e.message}`))
  )
  const existing = spec.existingGroups ?? {}
  for (const [logicalId, group] of Object.entries(existing)) {
    if (!declared.some(([id, r]) => id === logicalId && r.Type === ASG)) {
      setupError(`stack ${spec.name}: ${logicalId} is not an ${ASG} of its template`)
    }
    existingGroup(w, group)
  }
  const provisioned = new Map<string, Provisioned>(declared.map(([logicalId, r]) => {
    const group = existing[logicalId]
    return [logicalId, group !== undefined ? { physicalId: group, attributes: {} } : provisionId(w, s, spec.name, logicalId, r)]
  }))
  const ctx: ResolveContext = {
    ...base,
    physicalIds: Object.fromEntries([...provisioned].map(([id, p]) => [id, p.physicalId])),
    attributes: Object.fromEntries([...provisioned].map(([id, p]) => [id, p.attributes]))
  }
  for (const [logicalId, r] of declared) {
    const p = provisioned.get(logicalId)
    if (r.Type === ASG && existing[logicalId] === undefined && p !== undefined) provisionGroup(w, s, p.physicalId, r, ctx)
    if (r.Type === STACK_TYPE && p !== undefined) {
      const props = Either.getOrElse(resolveValue(r.Properties, ctx), (e) => setupError(`stack ${spec.name}: ${logicalId}: ${e.message}`))
      const source = Either.getOrElse(nestedSource(w, props as Readonly<Record<string, unknown>>), (m) => setupError(`stack ${spec.name}: ${logicalId}: ${m}`))
      addStackToWorld(w, s, { name: nestedName(p.physicalId), templateBody: source.body, parameters: source.parameters }, source.doc, p.physicalId)
    }
  }
  const resources: ReadonlyArray<StackResourceState> = declared.map(([logicalId, r]) => ({
    logicalId,
    physicalId: provisioned.get(logicalId)?.physicalId ?? "",
    resourceType: r.Type,
    status: "CREATE_COMPLETE"
  }))
  const stack: StackState = {
    stackId,
    stackName: spec.name,
    status: "CREATE_COMPLETE",
    parameters,
    templateBody: spec.templateBody,
    template: doc,
    capabilities: requiredCapabilities(doc),
    resources,
    events: [],
    tags: Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value })),
    terminationProtection: spec.terminationProtection ?? false
  }
  const self = { logicalId: spec.name, physicalId: stackId, resourceType: STACK_TYPE }
  const timeline: ReadonlyArray<EventFields> = [
    { ...self, status: "CREATE_IN_PROGRESS", reason: "User Initiated" },
    ...resources.flatMap((r) => [
      { logicalId: r.logicalId, resourceType: r.resourceType, status: "CREATE_IN_PROGRESS" },
      { logicalId: r.logicalId, physicalId: r.physicalId, resourceType: r.resourceType, status: "CREATE_COMPLETE" }
    ]),
    { ...self, status: "CREATE_COMPLETE" }
  ]
  // The last event lands on now, the earlier ones one interval apart before it.
  const first = w.now - (timeline.length - 1) * s.stackEventInterval
  w.stacks.set(spec.name, {
    ...stack,
    events: timeline.map((f, n) => stackEvent(w, stack, first + n * s.stackEventInterval, f))
  })
}
