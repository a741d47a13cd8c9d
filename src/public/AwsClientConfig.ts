// The settings the live layers are built from; how the CLI resolves region and profile stays internal.
export {
  type AwsClientSettings,
  AwsClientConfig,
  type AwsCredentialProvider,
  type AwsCredentials
} from "../layers/live/AwsClientConfig.js"
