import {
  AccessDenied,
  AwsCallFailed,
  type AwsError,
  AwsValidationError,
  CredentialsError,
  ResourceContention,
  ScalingActivityInProgress,
  TemplateInvalid,
  Throttled,
  TransientAwsError
} from "../../services/Errors.js"

/**
 * The one place where AWS SDK v3 exceptions become our tagged errors. Matches on the exception `name` (the AWS error
 * code for Query/JSON protocols), then on the HTTP status / fault, then on the message where AWS gives no code.
 */

const throttlingNames: ReadonlySet<string> = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "EC2ThrottledException",
  "PriorRequestNotComplete",
  "SlowDown",
  "BandwidthLimitExceeded"
])

const credentialsNames: ReadonlySet<string> = new Set([
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "CredentialsProviderError",
  "TokenProviderError",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "AuthFailure"
])

const accessDeniedNames: ReadonlySet<string> = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation"
])

const transientNames: ReadonlySet<string> = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalFailure",
  "InternalError",
  "ServiceUnavailable"
])

/** The SDK's exception names and AWS's wire codes of "the group is busy, try later". */
const scalingActivityNames: ReadonlySet<string> = new Set(["ScalingActivityInProgressFault", "ScalingActivityInProgress"])
const contentionNames: ReadonlySet<string> = new Set(["ResourceContentionFault", "ResourceContention"])

/** Node socket error codes: the connection broke, not the request. */
const networkCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT"
])

interface SdkErrorShape {
  readonly name: string
  readonly message: string
  readonly code: string | undefined
  /** The AWS error code where an unmodelled exception carries it beside its name. */
  readonly awsCode: string | undefined
  readonly status: number | undefined
  readonly fault: string | undefined
}

const field = (error: unknown, key: string): unknown =>
  typeof error === "object" && error !== null ? (error as Record<string, unknown>)[key] : undefined

const stringField = (error: unknown, key: string): string | undefined => {
  const value = field(error, key)
  return typeof value === "string" ? value : undefined
}

const shapeOf = (error: unknown): SdkErrorShape => {
  const metadata = field(error, "$metadata")
  const status = field(metadata, "httpStatusCode")
  return {
    name: stringField(error, "name") ?? "",
    message: stringField(error, "message") ?? String(error),
    code: stringField(error, "code") ?? stringField(field(error, "cause"), "code"),
    awsCode: stringField(error, "Code"),
    status: typeof status === "number" ? status : undefined,
    fault: stringField(error, "$fault")
  }
}

/** Translates anything an SDK call rejected with into one of our errors, naming the AWS operation. */
export const toAwsError = (operation: string, error: unknown): AwsError => {
  const { awsCode, code, fault, message, name, status } = shapeOf(error)
  const fields = { operation, message }
  const named = (names: ReadonlySet<string>) => names.has(name) || (awsCode !== undefined && names.has(awsCode))
  if (named(scalingActivityNames)) return new ScalingActivityInProgress(fields)
  if (named(contentionNames)) return new ResourceContention(fields)
  if (throttlingNames.has(name) || status === 429 || /rate exceeded/i.test(message)) {
    return new Throttled(fields)
  }
  if (credentialsNames.has(name) || /could not load credentials/i.test(message)) {
    return new CredentialsError(fields)
  }
  if (accessDeniedNames.has(name)) {
    return new AccessDenied(fields)
  }
  if (
    transientNames.has(name) ||
    (code !== undefined && networkCodes.has(code)) ||
    (status !== undefined && status >= 500) ||
    fault === "server"
  ) {
    return new TransientAwsError(fields)
  }
  if (name === "ValidationError") {
    return new AwsValidationError(fields)
  }
  return new AwsCallFailed({ ...fields, cause: error })
}

/** DescribeStacks (and friends) on a missing stack: "Stack with id NAME does not exist". */
export const isStackMissing = (error: AwsError): boolean =>
  error._tag === "AwsValidationError" && /does not exist/.test(error.message)

/** UpdateStack with nothing to change: "No updates are to be performed.". */
export const isNoUpdates = (error: AwsError): boolean =>
  error._tag === "AwsValidationError" && /no updates are to be performed/i.test(error.message)

/** ValidateTemplate answers ValidationError for a template it refuses. */
export const asTemplateInvalid = (error: AwsError): AwsError | TemplateInvalid =>
  error._tag === "AwsValidationError" ? new TemplateInvalid({ message: error.message }) : error
