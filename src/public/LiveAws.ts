// The CLI's own layer, which reads AwsClientConfig from its context, stays internal: users give options or Config.
export { layer, layerConfig, type LiveAwsOptions, type LiveServices } from "../layers/live/LiveAws.js"
