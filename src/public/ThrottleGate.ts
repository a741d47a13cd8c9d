export { ThrottleGate, withThrottleGate } from "../services/ThrottleGate.js"
