/** Nested stacks (AWS::CloudFormation::Stack resources): where their template comes from and how they are named. */
import * as Either from "effect/Either"
import { decodeTemplate, type TemplateDocument } from "../../template/Template.js"
import { readTemplateUrl } from "./FakeS3.js"
import { parameterValues } from "./FakeStacks.js"
import type { StackState, World } from "./FakeState.js"

export const STACK_TYPE = "AWS::CloudFormation::Stack"

/** What a nested stack resource asks for: its template and its parameter values, all declared ones filled. */
export interface NestedSource {
  readonly url: string
  readonly body: string
  readonly doc: TemplateDocument
  readonly parameters: Readonly<Record<string, string>>
}

const record = (u: unknown): Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

const textOf = (u: unknown): string =>
  Array.isArray(u) ? u.map(textOf).join(",") : typeof u === "string" ? u : JSON.stringify(u)

/** The template and parameters of a nested stack resource whose properties are evaluated. */
export const nestedSource = (w: World, props: Readonly<Record<string, unknown>>): Either.Either<NestedSource, string> => {
  const url = props["TemplateURL"]
  if (typeof url !== "string" || url === "") return Either.left("Properties validation failed for resource: #: required key [TemplateURL] not found")
  const read = readTemplateUrl(w, "CreateStack", url)
  if (Either.isLeft(read)) return Either.left(`TemplateURL ${url}: ${read.left.message}`)
  const body = read.right
  const doc = decodeTemplate(body)
  if (Either.isLeft(doc)) return Either.left(`TemplateURL ${url}: ${doc.left.message}`)
  const sent = Object.fromEntries(Object.entries(record(props["Parameters"])).map(([k, v]) => [k, textOf(v)]))
  return Either.map(parameterValues(doc.right, sent), (parameters) => ({ url, body, doc: doc.right, parameters }))
}

/** `parent-Logical-SUFFIX` from the nested stack's ARN. */
export const nestedName = (stackId: string): string => stackId.split("/")[1] ?? stackId

/** A stack by name (not deleted) or by id (any status), as DescribeStacks finds it. */
export const findStack = (w: World, nameOrId: string): StackState | undefined => {
  if (nameOrId.startsWith("arn:")) {
    for (const st of w.stacks.values()) if (st.stackId === nameOrId) return st
    return undefined
  }
  const st = w.stacks.get(nameOrId)
  return st === undefined || st.status === "DELETE_COMPLETE" ? undefined : st
}
