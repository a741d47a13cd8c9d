// The options of a group's rollout; a group is rolled through `StackRollout.rollStack`, which claims it first.
export { defaultOptions, type RolloutOptions } from "../program/rollout/Rollout.js"
