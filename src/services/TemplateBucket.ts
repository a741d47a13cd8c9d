import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AwsError, BucketNotFound } from "./Errors.js"

/** An S3 object to write: a template CloudFormation then reads by its TemplateURL. */
export interface TemplateObject {
  readonly bucket: string
  readonly key: string
  readonly body: string
}

/** The S3 bucket templates over the TemplateBody limit go through. */
export class TemplateBucket extends Context.Tag("aws-ha-updater/TemplateBucket")<
  TemplateBucket,
  {
    /** Succeeds when the bucket exists and we may use it (HeadBucket). */
    readonly checkBucket: (bucket: string) => Effect.Effect<void, AwsError | BucketNotFound>
    readonly putTemplate: (object: TemplateObject) => Effect.Effect<void, AwsError | BucketNotFound>
  }
>() {}
