export { type TemplateUpload } from "../program/stack/StackOptions.js"
export { type StackPlanOptions } from "../program/stack/StackPlan.js"
export {
  deployStack,
  type StackActionError,
  type StackActionResult,
  type StackUpdateOptions,
  type StackUpdateResult,
  updateStack
} from "../program/stack/StackUpdate.js"
