export { type GroupReport, stackStatus, type StackStatus } from "../program/recover/Status.js"
