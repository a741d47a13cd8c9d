/** What a user's tests need to run the rollout against the simulated AWS world. */
export * as FakeAws from "./layers/fake/FakeAws.js"
export { CallGuard } from "./layers/fake/FakeCalls.js"
export {
  type CallRecord,
  type FakeInstance,
  type FakeStack,
  FakeWorld,
  type FakeWorldOptions,
  type FaultKind,
  type GroupSpec,
  MUTATING_OPERATIONS,
  type NeverHealthyTarget,
  type Operation,
  OPERATIONS,
  type StackSpec,
  type WorldSnapshot
} from "./layers/fake/FakeWorld.js"
export { Alarms, type AlarmState, type AlarmStateValue } from "./services/Alarms.js"
export { AutoScaling, type AsgInstance, type AutoScalingGroup, type LaunchTemplateRef } from "./services/AutoScaling.js"
export { CloudFormation } from "./services/CloudFormation.js"
export { LaunchTemplates } from "./services/LaunchTemplates.js"
export { TemplateBucket } from "./services/TemplateBucket.js"
export { type InstanceHealth, LoadBalancing } from "./services/LoadBalancing.js"
export { defaultRetrySchedule, RetryPolicy, type RetryPolicyShape } from "./services/Retry.js"
export {
  AwsValidationError,
  ResourceContention,
  ScalingActivityInProgress,
  Throttled,
  TransientAwsError
} from "./services/Errors.js"
