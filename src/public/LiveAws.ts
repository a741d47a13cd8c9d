export { layer, layerConfig, type LiveServices } from "../layers/live/LiveAws.js"
