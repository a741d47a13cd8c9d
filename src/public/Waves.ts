export { type Amount, percent, units } from "../program/rollout/Waves.js"
