export { StackActionFailed, StackActionTimedOut, StackNotUpdatable, TemplateTooLarge } from "../program/stack/StackErrors.js"
