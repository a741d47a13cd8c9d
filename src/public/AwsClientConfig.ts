// The settings the live layers are built from; how the CLI resolves region and profile stays internal.
export { AwsClientConfig, type AwsClientSettings } from "../layers/live/AwsClientConfig.js"
