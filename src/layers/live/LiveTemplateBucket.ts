import type * as S3 from "@aws-sdk/client-s3"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AccessDenied, type AwsError, BucketNotFound } from "../../services/Errors.js"
import { retrying } from "../../services/Retry.js"
import { TemplateBucket } from "../../services/TemplateBucket.js"
import type { AwsClientConfig } from "./AwsClientConfig.js"
import { lazyClient } from "./SdkClient.js"

const statusOf = (cause: unknown): number | undefined => {
  const metadata = typeof cause === "object" && cause !== null ? (cause as { $metadata?: { httpStatusCode?: unknown } }).$metadata : undefined
  return typeof metadata?.httpStatusCode === "number" ? metadata.httpStatusCode : undefined
}

/**
 * S3 answers a HEAD without a body, so the SDK names its errors after the HTTP status: 404 NotFound (NoSuchBucket
 * on a PUT) is a missing bucket, 403 Forbidden a denied one.
 */
export const bucketError = (bucket: string) => (e: AwsError): AwsError | BucketNotFound => {
  if (e._tag !== "AwsCallFailed") return e
  const name = typeof e.cause === "object" && e.cause !== null ? (e.cause as { name?: unknown }).name : undefined
  const status = statusOf(e.cause)
  if (name === "NotFound" || name === "NoSuchBucket" || status === 404) return new BucketNotFound({ bucket })
  if (name === "Forbidden" || status === 403) return new AccessDenied({ operation: e.operation, message: `bucket ${bucket}: ${e.message}` })
  return e
}

/** S3 HeadBucket and PutObject; the S3 SDK is loaded only when a template goes through a bucket. */
export const layer: Layer.Layer<TemplateBucket, never, AwsClientConfig> = Layer.scoped(
  TemplateBucket,
  Effect.gen(function*() {
    const send = yield* lazyClient(
      () => import("@aws-sdk/client-s3"),
      // An emulator behind an endpoint URL answers on one host: the bucket goes in the path there.
      (m, options) => new m.S3Client({ ...options, forcePathStyle: options.endpoint !== undefined })
    )
    return yield* retrying(TemplateBucket.of({
      checkBucket: (bucket) =>
        send("HeadBucket", (m, client, signal) => client.send(new m.HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal })).pipe(
          Effect.asVoid,
          Effect.mapError(bucketError(bucket))
        ),
      putTemplate: (object) =>
        send("PutObject", (m, client, signal) =>
          client.send(
            new m.PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: object.body, ContentType: "text/plain; charset=utf-8" } satisfies S3.PutObjectCommandInput),
            { abortSignal: signal }
          )).pipe(Effect.asVoid, Effect.mapError(bucketError(object.bucket)))
    }))
  })
)
