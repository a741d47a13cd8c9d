import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { StackTag } from "../../services/CloudFormation.js"
import { decodeInput, issueLine } from "../../services/Decode.js"
import { InvalidInput } from "../../services/Errors.js"
import { KeyValue } from "../../template/Assignments.js"

/** AWS's limits for stack tags. */
export const TAG_LIMITS = { count: 50, key: 128, value: 256 } as const

/** AWS's limit for a stack's notification topics. */
export const NOTIFICATION_ARN_LIMIT = 5

const invalid = (message: string) => Effect.fail(new InvalidInput({ message }))

const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/
const TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[\w-]{1,256}(?:\.fifo)?$/

/** `--role-arn`: an IAM role ARN, as CloudFormation's service role must be. */
export const parseRoleArn = (arn: string): Effect.Effect<string, InvalidInput> =>
  ROLE_ARN.test(arn)
    ? Effect.succeed(arn)
    : invalid(`--role-arn ${arn}: not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`)

/** `--notification-arns`: SNS topic ARNs, at most five, each once. */
export const parseNotificationArns = (arns: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, InvalidInput> => {
  const bad = arns.find((a) => !TOPIC_ARN.test(a))
  if (bad !== undefined) return invalid(`--notification-arns ${bad}: not an SNS topic ARN (arn:aws:sns:REGION:123456789012:TOPIC)`)
  const unique = [...new Set(arns)]
  if (unique.length > NOTIFICATION_ARN_LIMIT) {
    return invalid(`--notification-arns: ${unique.length} topics given; CloudFormation takes at most ${NOTIFICATION_ARN_LIMIT}`)
  }
  return Effect.succeed(unique)
}

/** The aws: prefix (in any case) is AWS's. */
const isReserved = (key: string): boolean => key.toLowerCase().startsWith("aws:")

/** What is wrong with one tag by AWS's rules, as a phrase; undefined when nothing is. */
const tagProblem = (key: string, value: string): string | undefined => {
  if (key === "") return "has an empty key"
  if (isReserved(key)) return "uses the aws: prefix, which AWS reserves for its own tags"
  if ([...key].length > TAG_LIMITS.key) return `has a key longer than AWS's ${TAG_LIMITS.key} characters`
  // CloudFormation's stack tags take no empty value (1 to 256 characters).
  if (value === "") return "has an empty value"
  if ([...value].length > TAG_LIMITS.value) return `has a value longer than AWS's ${TAG_LIMITS.value} characters`
  return undefined
}

/** Tags from one origin, checked, in the order given; `where` names the origin in messages ("--tags", a file). */
export const checkTags = (
  tags: ReadonlyArray<readonly [string, string]>,
  where: string
): Effect.Effect<ReadonlyMap<string, string>, InvalidInput> =>
  Effect.suspend(() => {
    const checked = new Map<string, string>()
    for (const [key, value] of tags) {
      const problem = tagProblem(key, value)
      if (problem !== undefined) return invalid(`${where}: tag "${key.slice(0, 40)}" ${problem}`)
      if (checked.has(key)) return invalid(`${where}: tag ${key} is given twice: give it once`)
      checked.set(key, value)
    }
    if (checked.size > TAG_LIMITS.count) return invalid(`${where}: ${checked.size} tags; AWS allows at most ${TAG_LIMITS.count} on a stack`)
    return Effect.succeed(checked)
  })

const decodeTagArgs = decodeInput(Schema.Array(KeyValue), (issue) => `--tags ${issueLine(issue, false)}`)

/** `--tags KEY=VALUE`, split on the first `=`. */
export const parseTags = (args: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, string>, InvalidInput> =>
  Effect.flatMap(decodeTagArgs(args), (pairs) => checkTags(pairs.map(({ key, value }) => [key, value] as const), "--tags"))

/**
 * The whole set of tags an action sends: on update the stack's current tags with the given ones over them, since
 * AWS replaces the set when any is sent; undefined when none are given (AWS then keeps the stack's).
 */
export const tagsToSend = (
  given: ReadonlyMap<string, string>,
  current: ReadonlyArray<StackTag>
): Effect.Effect<ReadonlyArray<StackTag> | undefined, InvalidInput> => {
  if (given.size === 0) return Effect.succeed(undefined)
  // AWS's own (aws:…, e.g. Service Catalog's) cannot be sent, are kept without, and count towards no limit.
  const merged = new Map(current.filter((t) => !isReserved(t.key)).map((t) => [t.key, t.value]))
  for (const [key, value] of given) merged.set(key, value)
  if (merged.size > TAG_LIMITS.count) {
    return invalid(`--tags: the stack's ${merged.size - given.size} other tags and the ${given.size} given make ${merged.size}; AWS allows at most ${TAG_LIMITS.count} on a stack`)
  }
  return Effect.succeed([...merged].map(([key, value]) => ({ key, value })))
}

/** Where a template over the TemplateBody limit (or any, with `always`) is uploaded. */
export interface TemplateUpload {
  readonly bucket: string
  /** Without leading or trailing slashes; empty for the bucket's top level. */
  readonly prefix: string
  readonly always: boolean
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** `--s3-bucket`, `--s3-prefix`, `--s3-upload-always`. */
export const parseTemplateUpload = (
  bucket: string | undefined,
  prefix: string | undefined,
  always: boolean
): Effect.Effect<TemplateUpload | undefined, InvalidInput> => {
  if (bucket === undefined) {
    if (prefix !== undefined) return invalid("--s3-prefix needs --s3-bucket")
    if (always) return invalid("--s3-upload-always needs --s3-bucket")
    return Effect.succeed(undefined)
  }
  if (!BUCKET_NAME.test(bucket) || bucket.includes("..")) {
    return invalid(`--s3-bucket ${bucket}: not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)`)
  }
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "")
  if (/[^A-Za-z0-9!_.*'()\/-]/.test(trimmed)) {
    return invalid(`--s3-prefix ${prefix}: use letters, digits, "/" and !_.*'()- only`)
  }
  return Effect.succeed({ bucket, prefix: trimmed, always })
}
