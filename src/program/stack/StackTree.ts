/** A stack and its nested stacks at any depth, seen as one tree of resources. */
import * as Effect from "effect/Effect"
import { CloudFormation, type StackResource } from "../../services/CloudFormation.js"
import { InvalidInput } from "../../services/Errors.js"
import { parseTemplate, templateResources } from "../../template/Template.js"
import { UpdatePolicyPresent } from "../rollout/RolloutErrors.js"

export const ASG_TYPE = "AWS::AutoScaling::AutoScalingGroup"
export const NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"

/** A resource of the stack or of one of its nested stacks. */
export interface TreeResource extends StackResource {
  /** Logical ids of the nested stack resources above it, the root's first; empty for the root's own resources. */
  readonly nesting: ReadonlyArray<string>
  /** The stack that holds it, as ListStackResources and GetTemplate take it: the root's name or a nested stack's id. */
  readonly stack: string
}

/** `Web/Group`: the nested stacks' logical ids, then the resource's; a root resource's is its logical id. */
export const pathOf = (r: Pick<TreeResource, "nesting" | "logicalId">): string => [...r.nesting, r.logicalId].join("/")

/** The root's resources as they are (no nesting), for callers that list one stack. */
export const atRoot = (stackName: string, resources: ReadonlyArray<StackResource>): ReadonlyArray<TreeResource> =>
  resources.map((r) => ({ ...r, nesting: [], stack: stackName }))

/** How many nested stacks are listed at once. */
const LISTING_CONCURRENCY = 4

/** Every resource of the stack and of its nested stacks at any depth, each stack's in its own order, parents first. */
export const listTree = Effect.fn("Stack.listTree")(function*(stackName: string) {
  const cfn = yield* CloudFormation
  const walk = (stack: string, nesting: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<TreeResource>, Effect.Effect.Error<ReturnType<typeof cfn.listResources>>> =>
    Effect.gen(function*() {
      const own: ReadonlyArray<TreeResource> = (yield* cfn.listResources(stack)).map((r) => ({ ...r, nesting, stack }))
      // A nested stack still being created (or whose creation failed) has no id yet: nothing to list in it.
      const nested = own.filter((r) => r.resourceType === NESTED_STACK_TYPE && r.physicalId.length > 0)
      const deeper = yield* Effect.forEach(nested, (r) => walk(r.physicalId, [...nesting, r.logicalId]), { concurrency: LISTING_CONCURRENCY })
      return [...own, ...deeper.flat()]
    })
  return yield* walk(stackName, [])
})

/** A group as a name can point at it; `physicalId` is empty or absent for one the stack action has yet to create. */
export interface GroupRef {
  readonly logicalId: string
  readonly nesting: ReadonlyArray<string>
  readonly physicalId?: string
}

/** Whether `name` points at the group: its physical name, its path (also with the root's name in front), its logical id. */
export const namesGroup = (stackName: string, r: GroupRef, name: string): boolean =>
  (r.physicalId !== undefined && r.physicalId === name) || pathOf(r) === name || `${stackName}/${pathOf(r)}` === name ||
  r.logicalId === name

const describe = (r: GroupRef): string => (r.physicalId ? `${r.physicalId} (${pathOf(r)})` : pathOf(r))

/**
 * The user's selection among the groups: each name is a group's physical name, its path (`Web/Group`, also with the
 * root's name in front), or its logical id where only one group has it. Unknown or ambiguous names are refused.
 */
export const pickGroups = <R extends GroupRef>(
  stackName: string,
  groups: ReadonlyArray<R>,
  wanted: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<R>, InvalidInput> => {
  if (wanted.length === 0) return Effect.succeed(groups)
  const picked = new Set<R>()
  const unknown: Array<string> = []
  for (const w of wanted) {
    const exact = groups.filter((r) => (r.physicalId !== undefined && r.physicalId === w) || pathOf(r) === w || `${stackName}/${pathOf(r)}` === w)
    const found = exact.length > 0 ? exact : groups.filter((r) => r.logicalId === w)
    if (found.length === 0) unknown.push(w)
    else if (found.length > 1) {
      return Effect.fail(new InvalidInput({
        message: `stack ${stackName} has more than one Auto Scaling group ${w}: ${found.map(describe).join(", ")}; name one by its path or name`
      }))
    } else picked.add(found[0]!)
  }
  if (unknown.length > 0) {
    const known = groups.map(describe).join(", ") || "none"
    return Effect.fail(new InvalidInput({ message: `stack ${stackName} has no Auto Scaling group ${unknown.join(", ")}; its groups: ${known}` }))
  }
  return Effect.succeed(groups.filter((r) => picked.has(r)))
}

/** The stack's groups (nested ones included), the user's selection applied, before anything changes. */
export const selectGroups = (
  stackName: string,
  resources: ReadonlyArray<TreeResource>,
  wanted: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<TreeResource>, InvalidInput> =>
  pickGroups(stackName, resources.filter((r) => r.resourceType === ASG_TYPE && r.physicalId.length > 0), wanted)

/** The groups' resources in `resources` (a template's) must carry no UpdatePolicy. */
export const checkUpdatePolicies = (
  selected: ReadonlyArray<{ readonly logicalId: string; readonly physicalId?: string; readonly nesting?: ReadonlyArray<string> }>,
  resources: Readonly<Record<string, { readonly UpdatePolicy?: unknown }>>
): Effect.Effect<void, UpdatePolicyPresent> => {
  for (const r of selected) {
    const policy = resources[r.logicalId]?.UpdatePolicy
    if (policy !== undefined && policy !== null && typeof policy === "object" && Object.keys(policy).length > 0) {
      return Effect.fail(new UpdatePolicyPresent({ logicalId: pathOf({ nesting: r.nesting ?? [], logicalId: r.logicalId }), group: r.physicalId || r.logicalId, policies: Object.keys(policy) }))
    }
  }
  return Effect.void
}

/**
 * No selected group may carry an UpdatePolicy in the template its stack runs: each holding stack's processed
 * template (what a macro or transform made of it) is read once.
 */
export const checkTreePolicies = Effect.fn("Stack.checkTreePolicies")(function*(selected: ReadonlyArray<TreeResource>) {
  const cfn = yield* CloudFormation
  const stacks = [...new Set(selected.map((r) => r.stack))]
  for (const stack of stacks) {
    const doc = yield* parseTemplate(yield* cfn.getTemplate(stack, "Processed"))
    yield* checkUpdatePolicies(selected.filter((r) => r.stack === stack), templateResources(doc))
  }
})
