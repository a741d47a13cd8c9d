import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AutoScaling } from "../../services/AutoScaling.js"
import { CloudFormation } from "../../services/CloudFormation.js"
import type { StackPlan } from "./StackPlan.js"
import { checkGroup } from "./StackRollout.js"
import {
  ASG_TYPE,
  checkTreePolicies,
  checkUpdatePolicies,
  type GroupRef,
  listTree,
  namesGroup,
  NESTED_STACK_TYPE,
  pickGroups,
  type TreeResource
} from "./StackTree.js"
import { parseTemplate, resourcesCertain, type TemplateDocument, templateResources } from "../../template/Template.js"

/** The template the stack will have after the action: the new one, the deployed one when kept, none when only S3 has it. */
const templateAfter = (plan: StackPlan) =>
  Effect.gen(function*() {
    if (Option.isSome(plan.document)) return plan.document
    if (plan.action._tag === "Update" && Option.isNone(plan.action.template)) {
      return Option.some<TemplateDocument>(yield* parseTemplate(yield* (yield* CloudFormation).getTemplate(plan.stackName)))
    }
    return Option.none<TemplateDocument>()
  })

/**
 * update-stack's checks of the groups it will roll, before the stack action: `--asg` names and UpdatePolicy against
 * the template being deployed (the root's groups) and the nested stacks' templates as deployed (their groups); for
 * groups that exist already, a record, a claim, a busy status or an Instance Refresh. On create only the
 * template-level checks apply. The rollout checks every group again, nested templates as processed, after the action.
 */
export const checkGroupsBeforeDeploy = Effect.fn("StackUpdate.checkGroups")(function*(plan: StackPlan, wanted: ReadonlyArray<string>) {
  const stackName = plan.stackName
  const document = yield* templateAfter(plan)
  const resources = Option.map(document, templateResources)
  const existing: ReadonlyArray<TreeResource> = plan.action._tag === "Update"
    ? (yield* listTree(stackName)).filter((r) => r.resourceType === ASG_TYPE && r.physicalId.length > 0)
    : []
  const rootNow = existing.filter((r) => r.nesting.length === 0)
  // The root's groups after the action; where the template is unknown here (S3), the stack's groups now.
  const rootAfter: ReadonlyArray<GroupRef & { readonly stack: string }> = Option.match(resources, {
    onNone: () => rootNow,
    onSome: (rs) =>
      Object.entries(rs).filter(([, r]) => r.Type === ASG_TYPE).map(([id]) => {
        const physicalId = rootNow.find((r) => r.logicalId === id)?.physicalId
        return { logicalId: id, nesting: [], stack: stackName, ...(physicalId === undefined ? {} : { physicalId }) }
      })
  })
  // Nested stacks' groups as they are now, where the template keeps their nested stack.
  const nestedAfter = existing.filter((r) =>
    r.nesting.length > 0 &&
    Option.match(resources, { onNone: () => true, onSome: (rs) => rs[r.nesting[0]!]?.Type === NESTED_STACK_TYPE })
  )
  const candidates = [...rootAfter, ...nestedAfter]
  // A group that a transform will add (Fn::ForEach, a macro) is checked by the rollout once the stack has it.
  const complete = Option.match(document, { onNone: () => true, onSome: resourcesCertain })
  const named = complete ? wanted : wanted.filter((w) => candidates.some((c) => namesGroup(stackName, c, w)))
  const selected = wanted.length > 0 && named.length === 0
    ? []
    : yield* pickGroups<GroupRef & { readonly stack: string }>(stackName, candidates, named)
  if (Option.isSome(resources)) yield* checkUpdatePolicies(selected.filter((r) => r.nesting.length === 0), resources.value)
  const nested = nestedAfter.filter((r) => selected.includes(r))
  if (nested.length > 0) yield* checkTreePolicies(nested)
  const names = selected.flatMap((r) => (r.physicalId ? [r.physicalId] : []))
  if (names.length === 0) return
  // A group the stack names but Auto Scaling does not know is left to the rollout's own check after the action.
  for (const g of yield* (yield* AutoScaling).describeGroups(names)) yield* checkGroup(g, stackName)
})
