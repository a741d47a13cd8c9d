import * as Data from "effect/Data"

/** AWS answered with throttling ("Rate exceeded", RequestLimitExceeded): retried by our schedule. */
export class Throttled extends Data.TaggedError("Throttled")<{
  readonly operation: string
  readonly message: string
}> {}

/** A 5xx-like or network failure that is worth another attempt. */
export class TransientAwsError extends Data.TaggedError("TransientAwsError")<{
  readonly operation: string
  readonly message: string
}> {}

/**
 * Auto Scaling refused a change because a scaling activity of the group (a launch, a termination) is still running:
 * nothing was done; retried on a schedule patient enough for an activity that lasts minutes.
 */
export class ScalingActivityInProgress extends Data.TaggedError("ScalingActivityInProgress")<{
  readonly operation: string
  readonly message: string
}> {}

/** Auto Scaling refused a change because another update of the same resource is pending: nothing was done; retried. */
export class ResourceContention extends Data.TaggedError("ResourceContention")<{
  readonly operation: string
  readonly message: string
}> {}

/** AccessDenied / UnauthorizedOperation: the caller lacks a permission. */
export class AccessDenied extends Data.TaggedError("AccessDenied")<{
  readonly operation: string
  readonly message: string
}> {}

/** Missing, invalid or expired credentials. */
export class CredentialsError extends Data.TaggedError("CredentialsError")<{
  readonly operation: string
  readonly message: string
}> {}

/** AWS rejected the request as invalid (ValidationError) and no more specific error applies. */
export class AwsValidationError extends Data.TaggedError("AwsValidationError")<{
  readonly operation: string
  readonly message: string
}> {}

/** Catch-all for what the pipeline cannot act on. */
export class AwsCallFailed extends Data.TaggedError("AwsCallFailed")<{
  readonly operation: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** Every error a service method may fail with. */
export type AwsError =
  | Throttled
  | TransientAwsError
  | ScalingActivityInProgress
  | ResourceContention
  | AccessDenied
  | CredentialsError
  | AwsValidationError
  | AwsCallFailed

export const isRetryable = (e: { readonly _tag: string }): boolean =>
  e._tag === "Throttled" || e._tag === "TransientAwsError" || isBusy(e)

/** AWS refused the change because the group is busy: nothing was done, and it will be possible later. */
export const isBusy = (e: { readonly _tag: string }): boolean =>
  e._tag === "ScalingActivityInProgress" || e._tag === "ResourceContention"

/**
 * The call may or may not have taken effect (a 5xx, a broken connection, no answer in time), unlike a throttled or
 * a refused one: a call that must not happen twice looks before it is sent again.
 */
export const isAmbiguous = (e: { readonly _tag: string }): boolean => e._tag === "TransientAwsError"

export class StackNotFound extends Data.TaggedError("StackNotFound")<{
  readonly stackName: string
}> {}

/** The user's invocation or input is invalid; nothing was changed in AWS. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
}> {}

/** ValidateTemplate (or our local checks) refused the template. */
export class TemplateInvalid extends Data.TaggedError("TemplateInvalid")<{
  readonly message: string
}> {}

/** The S3 bucket given for templates (`--s3-bucket`) does not exist, or not where we look for it. */
export class BucketNotFound extends Data.TaggedError("BucketNotFound")<{
  readonly bucket: string
}> {}
