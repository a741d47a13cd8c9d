// The tagged errors of AWS calls and of inputs; the predicates that classify them for retries stay internal.
export {
  AccessDenied,
  AwsCallFailed,
  type AwsError,
  AwsValidationError,
  BucketNotFound,
  CredentialsError,
  InvalidInput,
  ResourceContention,
  ScalingActivityInProgress,
  StackNotFound,
  TemplateInvalid,
  Throttled,
  TransientAwsError
} from "../services/Errors.js"
