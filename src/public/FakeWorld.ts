export {
  type CallRecord,
  type FakeInstance,
  type FakeStack,
  FakeWorld,
  type FakeWorldOptions,
  type FaultKind,
  type GroupSpec,
  type LoadBalancerSpec,
  MUTATING_OPERATIONS,
  type NeverHealthyTarget,
  type Operation,
  OPERATIONS,
  type StackSpec,
  type TerminationPolicy,
  type WorldSnapshot
} from "../layers/fake/FakeWorld.js"
