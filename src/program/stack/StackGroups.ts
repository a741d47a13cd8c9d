import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import { CloudFormation } from "../../services/CloudFormation.js"
import { StackNotFound } from "../../services/Errors.js"
import { listTree, pathOf, selectGroups } from "./StackTree.js"

export interface StackGroup {
  readonly logicalId: string
  readonly name: string
  /** Undefined when the stack names a group that Auto Scaling no longer knows. */
  readonly group: AutoScalingGroup | undefined
}

/** The stack's Auto Scaling groups (the user's selection applied), read with one DescribeAutoScalingGroups. */
export const stackGroups = Effect.fn("Recover.stackGroups")(function*(stackName: string, wanted: ReadonlyArray<string>) {
  const cfn = yield* CloudFormation
  const stack = yield* Effect.flatMap(cfn.describeStack(stackName), Option.match({
    onNone: () => Effect.fail(new StackNotFound({ stackName })),
    onSome: Effect.succeed
  }))
  const selected = yield* selectGroups(stackName, yield* listTree(stackName), wanted)
  const found = selected.length === 0 ? [] : yield* (yield* AutoScaling).describeGroups(selected.map((r) => r.physicalId))
  const groups: ReadonlyArray<StackGroup> = selected.map((r) => ({ logicalId: pathOf(r), name: r.physicalId, group: found.find((g) => g.name === r.physicalId) }))
  return { stack, groups }
})
