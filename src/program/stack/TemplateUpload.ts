import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import type { TemplateSource } from "../../services/CloudFormation.js"
import { TemplateBucket } from "../../services/TemplateBucket.js"
import { stackStep } from "../Emit.js"
import type { TemplateUpload } from "./StackOptions.js"
import { s3HttpsUrl } from "./TemplateSource.js"

/** Content-addressed: the same template lands on the same key, so a re-run rewrites nothing new. */
export const templateKey = (prefix: string, body: string): string =>
  `${prefix === "" ? "" : `${prefix}/`}${createHash("sha256").update(body, "utf8").digest("hex")}.template`

/**
 * Puts the template in the bucket (after HeadBucket: a missing bucket is refused before anything is written) and
 * gives the TemplateURL CloudFormation reads it from, in the region's S3 form.
 */
export const uploadTemplate = Effect.fn("StackUpdate.uploadTemplate")(function*(
  stackName: string,
  body: string,
  upload: TemplateUpload & { readonly region: string }
) {
  const bucket = yield* TemplateBucket
  yield* bucket.checkBucket(upload.bucket)
  const key = templateKey(upload.prefix, body)
  yield* bucket.putTemplate({ bucket: upload.bucket, key, body })
  yield* stackStep(stackName, "upload", `template uploaded to s3://${upload.bucket}/${key} (${Buffer.byteLength(body, "utf8")} bytes)`)
  const source: TemplateSource = { _tag: "Url", url: s3HttpsUrl(upload.bucket, key, upload.region) }
  return source
})
