import * as Either from "effect/Either"
import {
  conditionHolds,
  type ResolveContext,
  resolveValue,
  type ResourceDeclaration,
  type TemplateDocument,
  templateResources
} from "../../template/Template.js"
import { launchTemplateOf, provisionId } from "./FakeProvisioning.js"
import { type NestedSource, nestedSource, STACK_TYPE } from "./FakeNestedStacks.js"
import type { GroupChange, Settings, StackEffect, StackResourceState, StackState, World } from "./FakeState.js"

const ASG = "AWS::AutoScaling::AutoScalingGroup"
const LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
/** Types whose every property change replaces the resource (a new physical id). */
const REPLACED_ON_CHANGE = new Set(["AWS::AutoScaling::LaunchConfiguration"])

/** One resource a stack update touches, in template order. */
export interface PlannedChange {
  readonly action: "Add" | "Modify" | "Remove"
  readonly logicalId: string
  readonly resourceType: string
  readonly replacement: boolean
  /** Before the update; absent for an Add. */
  readonly before?: StackResourceState
  /** After the update; absent for a Remove. */
  readonly after?: StackResourceState
  /** What completing it does to the world, and what rolling it back does. */
  readonly effects: ReadonlyArray<StackEffect>
  readonly revert: ReadonlyArray<StackEffect>
  /** A nested stack added or changed: the template and parameters it gets. */
  readonly nested?: NestedSource
}

export interface StackDiff {
  readonly changes: ReadonlyArray<PlannedChange>
  /** The stack's resources once the update is complete, in template order. */
  readonly resources: ReadonlyArray<StackResourceState>
}

const record = (u: unknown): Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

/** What `Fn::GetAtt` gives for a resource that exists, read from the world. */
export const attributesOf = (w: World, s: Settings, r: StackResourceState): Readonly<Record<string, unknown>> => {
  switch (r.resourceType) {
    case LAUNCH_TEMPLATE: {
      const v = w.launchTemplates.get(r.physicalId) ?? { latest: 1, default: 1 }
      return { LaunchTemplateId: r.physicalId, LatestVersionNumber: String(v.latest), DefaultVersionNumber: String(v.default) }
    }
    case "AWS::ElasticLoadBalancingV2::TargetGroup":
      return { TargetGroupArn: r.physicalId, TargetGroupName: r.physicalId.split("/")[1] ?? "", LoadBalancerArns: [] }
    case "AWS::ElasticLoadBalancing::LoadBalancer":
      return { DNSName: `${r.physicalId}.${s.region}.elb.amazonaws.com` }
  }
  return {}
}

export const contextOf = (
  w: World,
  s: Settings,
  st: Pick<StackState, "stackName" | "stackId">,
  template: TemplateDocument,
  parameters: Readonly<Record<string, string>>,
  resources: ReadonlyArray<StackResourceState>
): ResolveContext => ({
  template,
  parameters,
  region: s.region,
  accountId: s.accountId,
  stackName: st.stackName,
  stackId: st.stackId,
  physicalIds: Object.fromEntries(resources.map((r) => [r.logicalId, r.physicalId])),
  attributes: Object.fromEntries(resources.map((r) => [r.logicalId, attributesOf(w, s, r)]))
})

/** The template's resources whose Condition holds with these parameters, in template order. */
export const declaredResources = (
  doc: TemplateDocument,
  ctx: ResolveContext
): Either.Either<ReadonlyArray<readonly [string, ResourceDeclaration]>, string> => {
  const out: Array<readonly [string, ResourceDeclaration]> = []
  for (const [id, r] of Object.entries(templateResources(doc))) {
    if (r.Condition === undefined) {
      out.push([id, r])
      continue
    }
    const holds = conditionHolds(r.Condition, ctx)
    if (Either.isLeft(holds)) return Either.left(holds.left.message)
    if (holds.right) out.push([id, r])
  }
  return Either.right(out)
}

const resolved = (r: ResourceDeclaration, ctx: ResolveContext): Either.Either<Readonly<Record<string, unknown>>, string> =>
  Either.mapBoth(resolveValue(r.Properties, ctx), { onLeft: (e) => e.message, onRight: record })

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

const groupSpecOf = (props: Readonly<Record<string, unknown>>): GroupChange => {
  const lt = launchTemplateOf(record(props["LaunchTemplate"])) ??
    launchTemplateOf(record(record(record(props["MixedInstancesPolicy"])["LaunchTemplate"])["LaunchTemplateSpecification"]))
  const num = (k: string) => (props[k] === undefined ? undefined : Number(props[k]))
  const out: Record<string, unknown> = {
    launchTemplate: lt,
    launchConfigurationName: props["LaunchConfigurationName"] === undefined ? undefined : String(props["LaunchConfigurationName"]),
    minSize: num("MinSize"),
    maxSize: num("MaxSize"),
    desiredCapacity: num("DesiredCapacity")
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as GroupChange
}

/** The group fields the new properties change, and their values before, to roll back to. */
const groupChanges = (before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>) => {
  const was = groupSpecOf(before) as Record<string, unknown>
  const will = groupSpecOf(after) as Record<string, unknown>
  const keys = Object.keys(will).filter((k) => !same(was[k], will[k]))
  const pick = (from: Record<string, unknown>) =>
    Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]])) as GroupChange
  return { forward: pick(will), back: pick(was) }
}

/**
 * What an update from the stack's current template and parameters to these would do, resource by resource.
 * `provision` gives added and replaced resources their physical ids (a real update); a change set only looks.
 */
export const diffStack = (
  w: World,
  s: Settings,
  st: StackState,
  doc: TemplateDocument,
  parameters: Readonly<Record<string, string>>,
  provision: boolean
): Either.Either<StackDiff, string> =>
  Either.gen(function*() {
    const oldCtx = contextOf(w, s, st, st.template, st.parameters, st.resources)
    const oldDeclared = templateResources(st.template)
    const oldProps = new Map(st.resources.map((r) => {
      const d = oldDeclared[r.logicalId]
      return [r.logicalId, d === undefined ? {} : Either.getOrElse(resolved(d, oldCtx), () => d.Properties)] as const
    }))
    const before = new Map(st.resources.map((r) => [r.logicalId, r]))
    const declared = yield* declaredResources(doc, contextOf(w, s, st, doc, parameters, st.resources))
    const physicalIds: Record<string, string> = Object.fromEntries(st.resources.map((r) => [r.logicalId, r.physicalId]))
    const attributes: Record<string, Readonly<Record<string, unknown>>> = Object.fromEntries(
      st.resources.map((r) => [r.logicalId, attributesOf(w, s, r)])
    )
    const ctx = (): ResolveContext => ({ ...contextOf(w, s, st, doc, parameters, []), physicalIds, attributes })
    const extra = new Map<string, ReadonlyArray<StackEffect>>()
    const replaced = new Set<string>()
    const fresh = (id: string, r: ResourceDeclaration) =>
      provision ? provisionId(w, s, st.stackName, id, r) : { physicalId: `${st.stackName}-${id}-NEW`, attributes: {} }

    for (const [id, r] of declared) {
      if (before.get(id)?.resourceType === r.Type) continue
      const p = fresh(id, r)
      physicalIds[id] = p.physicalId
      attributes[id] = p.attributes
    }
    // Launch templates and replaced resources first: the groups' properties refer to their new version or id.
    for (const [id, r] of declared) {
      const old = before.get(id)
      if (old?.resourceType !== r.Type || (r.Type !== LAUNCH_TEMPLATE && !REPLACED_ON_CHANGE.has(r.Type))) continue
      const now = yield* resolved(r, ctx())
      if (same(now, oldProps.get(id))) continue
      if (r.Type === LAUNCH_TEMPLATE) {
        const version = (w.launchTemplates.get(old.physicalId)?.latest ?? 1) + 1
        attributes[id] = { ...attributes[id], LatestVersionNumber: String(version), DefaultVersionNumber: String(version) }
        extra.set(id, [{ _tag: "LaunchTemplateVersion", launchTemplateId: old.physicalId, version }])
      } else {
        physicalIds[id] = fresh(id, r).physicalId
        replaced.add(id)
      }
    }

    const changes: Array<PlannedChange> = []
    const resources: Array<StackResourceState> = []
    for (const [id, r] of declared) {
      const props = yield* resolved(r, ctx())
      const old = before.get(id)
      const after: StackResourceState = { logicalId: id, physicalId: physicalIds[id] ?? "", resourceType: r.Type, status: "UPDATE_COMPLETE" }
      const nested = r.Type === STACK_TYPE ? yield* nestedSource(w, props) : undefined
      if (old === undefined || old.resourceType !== r.Type) {
        const created = { ...after, status: "CREATE_COMPLETE" }
        resources.push(created)
        const isGroup = r.Type === ASG
        changes.push({
          action: "Add",
          logicalId: id,
          resourceType: r.Type,
          replacement: false,
          after: created,
          effects: isGroup ? [{ _tag: "CreateGroup", name: created.physicalId, resource: r, ctx: ctx() }] : [],
          revert: isGroup ? [{ _tag: "DeleteGroup", name: created.physicalId }] : [],
          ...(nested === undefined ? {} : { nested })
        })
        continue
      }
      if (same(props, oldProps.get(id)) && !replaced.has(id)) {
        resources.push(old)
        continue
      }
      resources.push(after)
      const group = r.Type === ASG ? groupChanges(oldProps.get(id) ?? {}, props) : undefined
      changes.push({
        action: "Modify",
        logicalId: id,
        resourceType: r.Type,
        replacement: replaced.has(id),
        before: old,
        after,
        effects: [...(extra.get(id) ?? []), ...(group === undefined ? [] : [{ _tag: "UpdateGroup", name: old.physicalId, change: group.forward } as const])],
        revert: group === undefined ? [] : [{ _tag: "UpdateGroup", name: old.physicalId, change: group.back }],
        ...(nested === undefined ? {} : { nested })
      })
    }
    for (const old of st.resources) {
      if (declared.some(([id]) => id === old.logicalId)) continue
      changes.push({
        action: "Remove",
        logicalId: old.logicalId,
        resourceType: old.resourceType,
        replacement: false,
        before: old,
        effects: old.resourceType === ASG ? [{ _tag: "DeleteGroup", name: old.physicalId }] : [],
        revert: []
      })
    }
    return { changes, resources }
  })
