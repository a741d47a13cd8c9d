import * as Either from "effect/Either"
import type { StackActionInput } from "../../services/CloudFormation.js"
import type { AwsValidationError } from "../../services/Errors.js"
import { invalid } from "./FakeCalls.js"
import type { StackState } from "./FakeState.js"

type StackOptions = Pick<StackState, "tags" | "roleArn" | "notificationArns">

/** What an action leaves of role, tags and notification topics: those sent replace the stack's as a whole. */
export const stackOptions = (st: StackState, input: StackActionInput): StackOptions => {
  const roleArn = input.roleArn ?? st.roleArn
  // Tags sent replace the set, except AWS's own (aws:…), which no call can remove.
  const tags = input.tags === undefined ? st.tags : [...(st.tags ?? []).filter((t) => t.key.toLowerCase().startsWith("aws:")), ...input.tags]
  const notificationArns = input.notificationArns ?? st.notificationArns
  return {
    ...(roleArn !== undefined ? { roleArn } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(notificationArns !== undefined ? { notificationArns } : {})
  }
}

/** What AWS refuses of role, tags and topics before it looks at anything else. */
export const checkStackOptions = (operation: string, input: StackActionInput): Either.Either<StackActionInput, AwsValidationError> => {
  const tags = input.tags ?? []
  const reserved = tags.find((t) => t.key.toLowerCase().startsWith("aws:"))
  if (reserved !== undefined) return invalid(operation, `Invalid tag key ${reserved.key}: the aws: prefix is reserved for use by AWS.`)
  const bad = tags.find((t) => t.key.length < 1 || t.key.length > 128 || t.value.length < 1 || t.value.length > 256)
  if (bad !== undefined) return invalid(operation, `1 validation error detected: Value at 'tags' failed to satisfy constraint: tag ${bad.key} has a key or value of an invalid length`)
  if (tags.length > 50) return invalid(operation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
  if ((input.notificationArns ?? []).length > 5) {
    return invalid(operation, "1 validation error detected: Value at 'notificationARNs' failed to satisfy constraint: Member must have length less than or equal to 5")
  }
  if (input.roleArn !== undefined && !/^arn:aws[-a-z]*:iam::\d{12}:role\//.test(input.roleArn)) {
    return invalid(operation, `Role ${input.roleArn} is invalid or cannot be assumed`)
  }
  return Either.right(input)
}

export const sameOptions = (st: StackState, next: StackOptions): boolean =>
  st.roleArn === next.roleArn &&
  JSON.stringify(st.tags ?? []) === JSON.stringify(next.tags ?? []) &&
  JSON.stringify(st.notificationArns ?? []) === JSON.stringify(next.notificationArns ?? [])
