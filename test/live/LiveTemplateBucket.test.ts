import { describe, expect, it } from "@effect/vitest"
import { bucketError } from "../../src/layers/live/LiveTemplateBucket.js"
import { toAwsError } from "../../src/layers/live/SdkErrors.js"

/** What the S3 client rejects with: a HEAD has no body, so the name is the HTTP status's. */
const s3Exception = (name: string, status: number) =>
  Object.assign(new Error("UnknownError"), { name, $fault: "client", $metadata: { httpStatusCode: status } })

const mapped = (name: string, status: number) => bucketError("templates")(toAwsError("HeadBucket", s3Exception(name, status)))

describe("S3 errors of the template bucket", () => {
  it("a missing bucket (HeadBucket's 404 NotFound, PutObject's NoSuchBucket) is BucketNotFound, naming it", () => {
    expect(mapped("NotFound", 404)).toMatchObject({ _tag: "BucketNotFound", bucket: "templates" })
    expect(mapped("NoSuchBucket", 404)).toMatchObject({ _tag: "BucketNotFound", bucket: "templates" })
  })

  it("a bucket we may not use (403 Forbidden) is AccessDenied", () => {
    expect(mapped("Forbidden", 403)).toMatchObject({ _tag: "AccessDenied", operation: "HeadBucket" })
  })

  it("throttling and 5xx stay what they are, to be retried", () => {
    expect(mapped("SlowDown", 503)._tag).toBe("Throttled")
    expect(mapped("InternalError", 500)._tag).toBe("TransientAwsError")
  })
})
