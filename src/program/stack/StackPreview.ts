import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ChangeSetDescription, CloudFormation, type ResourceChange, type StackParameter } from "../../services/CloudFormation.js"
import type { AwsError } from "../../services/Errors.js"
import type { TemplateBucket } from "../../services/TemplateBucket.js"
import { emit, stackStep } from "../Emit.js"
import type { ParameterChange, PlannedChange } from "../Events.js"
import { StackActionFailed, StackActionTimedOut } from "./StackErrors.js"
import { type PlannedAction, planStackAction, type StackPlan, type StackPlanOptions } from "./StackPlan.js"
import { newRequestToken, type StackActionError } from "./StackUpdate.js"
import { polling, type StackWaitOptions } from "./StackWait.js"
import { templateParameters, templateResources } from "../../template/Template.js"

export type { ParameterChange, PlannedChange }

export interface StackPreview {
  readonly kind: "create" | "update"
  readonly changes: ReadonlyArray<PlannedChange>
  readonly parameters: ReadonlyArray<ParameterChange>
}

const MASK = "****"
const NOTHING_TO_CHANGE = /didn't contain changes|No updates are to be performed/i

const report = (stackName: string, preview: StackPreview) =>
  Effect.gen(function*() {
    if (preview.changes.length === 0 && preview.parameters.length === 0) {
      yield* stackStep(stackName, "change-set", "no change: the stack already matches")
    }
    for (const c of preview.changes) yield* emit({ type: "stack-change", stack: stackName, ...c })
    for (const p of preview.parameters) yield* emit({ type: "parameter-change", stack: stackName, ...p })
    return preview
  })

/** A stack that does not exist yet: a CREATE change set would leave a REVIEW_IN_PROGRESS stack behind, so we list locally. */
const previewCreate = (plan: StackPlan) =>
  Effect.gen(function*() {
    const doc = Option.getOrUndefined(plan.document)
    if (doc === undefined) {
      yield* stackStep(plan.stackName, "change-set", "the stack does not exist; the template is in S3, so its resources are not listed here")
    }
    const declared = doc === undefined ? {} : templateParameters(doc)
    const changes = Object.entries(doc === undefined ? {} : templateResources(doc)).map(([logicalId, r]) => ({
      action: "Add",
      logicalId,
      resourceType: r.Type
    }))
    const parameters = plan.parameters.flatMap((p) =>
      "value" in p ? [{ key: p.key, to: declared[p.key]?.NoEcho === true ? MASK : p.value }] : []
    )
    return yield* report(plan.stackName, { kind: "create", changes, parameters })
  })

/** Values as DescribeStacks / DescribeChangeSet show them; a NoEcho value we send is masked on both sides. */
export const parameterChanges = (
  before: ReadonlyArray<StackParameter>,
  after: ReadonlyArray<StackParameter>,
  given: ReadonlySet<string>
): ReadonlyArray<ParameterChange> => {
  const was = new Map(before.map((p) => [p.key, p.value]))
  const will = new Map(after.map((p) => [p.key, p.value]))
  const keys = [...new Set([...was.keys(), ...will.keys()])]
  return keys.flatMap((key): Array<ParameterChange> => {
    const from = was.get(key)
    const to = will.get(key)
    if (from === to && !(to === MASK && given.has(key))) return []
    return [{ key, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to: to === MASK && given.has(key) ? `${MASK} (new value given)` : to }) }]
  })
}

const waitForChangeSet = (stackName: string, changeSetName: string, options: StackWaitOptions) =>
  Effect.flatMap(CloudFormation, (cfn) =>
    cfn.describeChangeSet(stackName, changeSetName).pipe(
      Effect.repeat({
        schedule: polling<ChangeSetDescription>(options.pollInterval),
        until: (cs) => cs.status !== "CREATE_PENDING" && cs.status !== "CREATE_IN_PROGRESS"
      }),
      Effect.timeoutFail({
        duration: options.actionTimeout,
        onTimeout: () =>
          new StackActionTimedOut({
            stackName,
            phase: "change-set",
            seconds: Duration.toSeconds(Duration.decode(options.actionTimeout)),
            status: "CREATE_IN_PROGRESS"
          })
      })
    ))

/** CloudFormation nests stacks at most this deep. */
const MAX_DEPTH = 16

/**
 * The change set's changes, each nested stack's change followed by those of its own change set (IncludeNestedStacks),
 * their logical ids with the nested stacks' path (`Web/Template`).
 */
const withNested = (
  changes: ReadonlyArray<ResourceChange>,
  nesting: ReadonlyArray<string>,
  depth: number
): Effect.Effect<ReadonlyArray<PlannedChange>, AwsError, CloudFormation> =>
  Effect.gen(function*() {
    const cfn = yield* CloudFormation
    const out: Array<PlannedChange> = []
    for (const c of changes) {
      out.push({
        action: c.action,
        logicalId: [...nesting, c.logicalId].join("/"),
        resourceType: c.resourceType,
        ...(c.replacement === undefined ? {} : { replacement: c.replacement })
      })
      if (c.changeSetId === undefined || c.physicalId === undefined || depth >= MAX_DEPTH) continue
      const inner = yield* cfn.describeChangeSet(c.physicalId, c.changeSetId)
      out.push(...yield* withNested(inner.changes, [...nesting, c.logicalId], depth + 1))
    }
    return out
  })

const previewUpdate = (
  plan: StackPlan,
  update: Extract<PlannedAction, { readonly _tag: "Update" }>,
  given: ReadonlySet<string>,
  options: StackWaitOptions
) =>
  Effect.gen(function*() {
    const cfn = yield* CloudFormation
    const stackName = plan.stackName
    const token = yield* newRequestToken
    const changeSetName = token.replace(/^aws-ha-updater-/, "aws-ha-updater-dry-run-")
    if (plan.enableTerminationProtection) {
      yield* stackStep(stackName, "termination-protection", "termination protection is off: a real run enables it before the update")
    }
    const create = cfn.createChangeSet({
      stackName,
      changeSetName,
      changeSetType: "UPDATE",
      template: update.template,
      parameters: plan.parameters,
      capabilities: plan.capabilities,
      clientRequestToken: token,
      includeNestedStacks: true,
      ...plan.stackOptions
    }).pipe(Effect.tap(() => stackStep(stackName, "change-set", `created change set ${changeSetName}`)))
    const remove = () =>
      cfn.deleteChangeSet(stackName, changeSetName).pipe(
        Effect.zipRight(stackStep(stackName, "change-set", `deleted change set ${changeSetName}`)),
        Effect.catchAll((e) =>
          emit({
            type: "warning",
            message: `could not delete change set ${changeSetName} (${e._tag}: ${e.message}): delete it with aws cloudformation delete-change-set --stack-name ${stackName} --change-set-name ${changeSetName}`
          })
        )
      )
    // The nested stacks' change sets are described before the root's is deleted, which deletes them.
    const { changes, described } = yield* Effect.acquireUseRelease(
      create,
      () =>
        Effect.flatMap(waitForChangeSet(stackName, changeSetName, options), (described) =>
          Effect.map(described.status === "FAILED" ? Effect.succeed([]) : withNested(described.changes, [], 0), (changes) => ({ changes, described }))),
      remove
    )
    if (described.status === "FAILED" && !NOTHING_TO_CHANGE.test(described.statusReason ?? "")) {
      return yield* Effect.fail(new StackActionFailed({
        stackName,
        status: "FAILED",
        reasons: [`change set: ${described.statusReason ?? "no reason given"}`]
      }))
    }
    const parameters = described.status === "FAILED" ? [] : parameterChanges(update.stack.parameters, described.parameters, given)
    return yield* report(stackName, { kind: "update", changes, parameters })
  })

/**
 * --dry-run: the same checks as a real run, then a change set that is described and deleted again. Nothing else
 * changes in AWS.
 */
export const previewStack: (stackName: string, options: StackPlanOptions & StackWaitOptions) => Effect.Effect<
  StackPreview,
  StackActionError,
  CloudFormation | TemplateBucket
> = Effect.fn("StackUpdate.preview")(function*(
  stackName: string,
  options: StackPlanOptions & StackWaitOptions
) {
  const plan = yield* planStackAction(stackName, options)
  return yield* plan.action._tag === "Create"
    ? previewCreate(plan)
    : previewUpdate(plan, plan.action, new Set(options.parameters.keys()), options)
})
