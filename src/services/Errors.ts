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
  | AccessDenied
  | CredentialsError
  | AwsValidationError
  | AwsCallFailed

export const isRetryable = (e: { readonly _tag: string }): boolean =>
  e._tag === "Throttled" || e._tag === "TransientAwsError"

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
