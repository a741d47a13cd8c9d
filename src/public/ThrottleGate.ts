export { type GateSettings, layer, ThrottleGate, withThrottleGate } from "../services/ThrottleGate.js"
