export { type DegradedMarker } from "../program/rollout/Degraded.js"
export { type Phase } from "../program/rollout/RolloutRecord.js"
export { type GroupReport, stackStatus, type StackStatus } from "../program/recover/Status.js"
