// The policy and its defaults; the retrying wrappers the layers build from it stay internal.
export {
  defaultActivitySchedule,
  defaultCallTimeout,
  defaultRetrySchedule,
  RetryPolicy,
  type RetryPolicyShape
} from "../services/Retry.js"
