export { defaultWaitOptions, type StackWaitOptions } from "../program/stack/StackWait.js"
