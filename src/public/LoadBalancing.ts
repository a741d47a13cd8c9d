export { type InstanceHealth, LoadBalancing } from "../services/LoadBalancing.js"
