export { type ClaimOptions } from "../program/rollout/Claim.js"
export { type RollStackError, rollStack, type StackRolloutOptions, type StackRolloutResult } from "../program/stack/StackRollout.js"
