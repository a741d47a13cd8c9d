import * as Either from "effect/Either"
import { type AwsValidationError, BucketNotFound } from "../../services/Errors.js"
import type { TemplateBucket } from "../../services/TemplateBucket.js"
import { invalid, type Runner } from "./FakeCalls.js"
import type { World } from "./FakeState.js"

/** A TemplateURL template may be 1 MB; CloudFormation reads it from S3 itself. */
const URL_LIMIT = 1_048_576

const missing = (bucket: string) => Either.left(new BucketNotFound({ bucket }))

/** S3 in the fake world: buckets the test added, objects our calls put there. */
export const makeTemplateBucket = (runner: Runner): typeof TemplateBucket.Service => ({
  checkBucket: (bucket) => runner.call("HeadBucket", (w) => (w.buckets.has(bucket) ? Either.void : missing(bucket)), { Bucket: bucket }),
  putTemplate: (object) =>
    runner.call("PutObject", (w) => {
      const objects = w.buckets.get(object.bucket)
      if (objects === undefined) return missing(object.bucket)
      w.buckets.set(object.bucket, new Map([...objects, [object.key, object.body]]))
      return Either.void
    }, { Bucket: object.bucket, Key: object.key })
})

/** Bucket and key of an S3 https URL, path style (s3[.-]region.amazonaws.com/bucket/key) or virtual-hosted. */
const locate = (url: string): { readonly bucket: string; readonly key: string } | undefined => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  const host = parsed.hostname
  if (parsed.protocol !== "https:" || !/\.amazonaws\.com(\.cn)?$/.test(host)) return undefined
  const path = parsed.pathname.replace(/^\//, "").split("/").map(decodeURIComponent)
  if (host.startsWith("s3.") || host.startsWith("s3-")) {
    const [bucket, ...key] = path
    return bucket === undefined || key.length === 0 ? undefined : { bucket, key: key.join("/") }
  }
  const bucket = /^(.+)\.s3[.-]/.exec(host)?.[1]
  return bucket === undefined ? undefined : { bucket, key: path.join("/") }
}

/** What CloudFormation reads at a TemplateURL, refused as it refuses it. */
export const readTemplateUrl = (w: World, operation: string, url: string): Either.Either<string, AwsValidationError> => {
  const at = locate(url)
  if (at === undefined) return invalid(operation, "TemplateURL must be a supported URL.")
  const body = w.buckets.get(at.bucket)?.get(at.key)
  if (body === undefined) return invalid(operation, "S3 error: The specified key does not exist.")
  if (Buffer.byteLength(body, "utf8") > URL_LIMIT) {
    return invalid(operation, `Template may not exceed ${URL_LIMIT} bytes in size.`)
  }
  return Either.right(body)
}
