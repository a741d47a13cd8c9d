import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AutoScaling } from "../services/AutoScaling.js"
import { CloudFormation, type StackResource } from "../services/CloudFormation.js"
import { InvalidInput } from "../services/Errors.js"
import type { StackPlan } from "./StackPlan.js"
import { ASG_TYPE, checkGroup, checkUpdatePolicies } from "./StackRollout.js"
import { parseTemplate, resourcesCertain, type TemplateDocument, templateResources } from "./Template.js"

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
 * the template being deployed; for groups that exist already, a record, a claim, a busy status or an Instance
 * Refresh. On create only the template-level checks apply. The rollout checks every group again after the action.
 */
export const checkGroupsBeforeDeploy = Effect.fn("StackUpdate.checkGroups")(function*(plan: StackPlan, wanted: ReadonlyArray<string>) {
  const stackName = plan.stackName
  const document = yield* templateAfter(plan)
  const resources = Option.map(document, templateResources)
  const existing: ReadonlyArray<StackResource> = plan.action._tag === "Update"
    ? (yield* (yield* CloudFormation).listResources(stackName)).filter((r) => r.resourceType === ASG_TYPE && r.physicalId.length > 0)
    : []
  // Logical ids of the groups after the action; where the template is unknown here (S3), the stack's groups now.
  const after: ReadonlyArray<string> = Option.match(resources, {
    onNone: () => existing.map((r) => r.logicalId),
    onSome: (rs) => Object.entries(rs).filter(([, r]) => r.Type === ASG_TYPE).map(([id]) => id)
  })
  const logicalIdOf = (name: string): string | undefined =>
    after.includes(name) ? name : existing.find((r) => r.physicalId === name && after.includes(r.logicalId))?.logicalId
  const unknown = wanted.filter((w) => logicalIdOf(w) === undefined)
  // A group that a transform will add (Fn::ForEach, a macro) is checked by the rollout once the stack has it.
  const complete = Option.match(document, { onNone: () => true, onSome: resourcesCertain })
  if (unknown.length > 0 && complete) {
    const known = after.map((id) => {
      const physical = existing.find((r) => r.logicalId === id)?.physicalId
      return physical === undefined ? id : `${physical} (${id})`
    }).join(", ") || "none"
    return yield* Effect.fail(new InvalidInput({ message: `stack ${stackName} has no Auto Scaling group ${unknown.join(", ")}; its groups: ${known}` }))
  }
  const selected = wanted.length === 0 ? after : [...new Set(wanted.flatMap((w) => logicalIdOf(w) ?? []))]
  if (Option.isSome(resources)) {
    yield* checkUpdatePolicies(
      selected.map((id) => ({ logicalId: id, physicalId: existing.find((r) => r.logicalId === id)?.physicalId ?? id })),
      resources.value
    )
  }
  const names = existing.filter((r) => selected.includes(r.logicalId)).map((r) => r.physicalId)
  if (names.length === 0) return
  // A group the stack names but Auto Scaling does not know is left to the rollout's own check after the action.
  for (const g of yield* (yield* AutoScaling).describeGroups(names)) yield* checkGroup(g, stackName)
})
