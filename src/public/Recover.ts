export { RecordUnreadable, RollbackUnsafe } from "../program/recover/RecoverErrors.js"
export {
  defaultRecoverOptions,
  type RecoverDecision,
  type RecoverMode,
  type RecoverOptions,
  type RecoverResult
} from "../program/recover/RecoverView.js"
export { recoverStack } from "../program/recover/Recover.js"
