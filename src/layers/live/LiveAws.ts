import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Alarms } from "../../services/Alarms.js"
import type { AutoScaling } from "../../services/AutoScaling.js"
import type { CloudFormation } from "../../services/CloudFormation.js"
import type { LaunchTemplates } from "../../services/LaunchTemplates.js"
import type { LoadBalancing } from "../../services/LoadBalancing.js"
import type { TemplateBucket } from "../../services/TemplateBucket.js"
import { AwsClientConfig, type AwsClientSettings } from "./AwsClientConfig.js"
import * as LiveAlarms from "./LiveAlarms.js"
import * as LiveAutoScaling from "./LiveAutoScaling.js"
import * as LiveCloudFormation from "./LiveCloudFormation.js"
import * as LiveLaunchTemplates from "./LiveLaunchTemplates.js"
import * as LiveLoadBalancing from "./LiveLoadBalancing.js"
import * as LiveTemplateBucket from "./LiveTemplateBucket.js"

export type LiveServices = AutoScaling | LoadBalancing | CloudFormation | LaunchTemplates | Alarms | TemplateBucket

/**
 * What the live clients are built with: `region`, and optionally `profile`, `endpoint` and `credentials` (a
 * credential provider of the SDK's, such as `fromTemporaryCredentials(…)`, or fixed credentials).
 */
export type LiveAwsOptions = AwsClientSettings

/**
 * Every AWS service the rollout uses, over the SDK v3 clients, for the `AwsClientConfig` in context; each SDK
 * module loads on its first call.
 */
export const layerWithoutDependencies: Layer.Layer<LiveServices, never, AwsClientConfig> = Layer.mergeAll(
  LiveAutoScaling.layer,
  LiveLoadBalancing.layer,
  LiveCloudFormation.layer,
  LiveLaunchTemplates.layer,
  LiveAlarms.layer,
  LiveTemplateBucket.layer
)

/** The live services for plain options: `LiveAws.layer({ region: "eu-west-1", profile: "prod" })`. */
export const layer = (options: LiveAwsOptions): Layer.Layer<LiveServices> =>
  Layer.provide(layerWithoutDependencies, Layer.succeed(AwsClientConfig, options))

/**
 * The live services for options read from `Config`: `LiveAws.layerConfig({ region: Config.string("AWS_REGION") })`,
 * or a whole `Config<LiveAwsOptions>`. A missing or malformed value fails the layer with a `ConfigError`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<LiveAwsOptions>
): Layer.Layer<LiveServices, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
