// The policy, its layer and its defaults; the retrying wrappers the layers build from it stay internal.
export {
  type BusyError,
  defaultActivitySchedule,
  defaultCallTimeout,
  defaultRetrySchedule,
  layer,
  type RetriedError,
  RetryPolicy,
  type RetryPolicyShape
} from "../services/Retry.js"
