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

/** Every AWS service the rollout uses, over the SDK v3 clients; each SDK module loads on its first call. */
export const layer: Layer.Layer<LiveServices, never, AwsClientConfig> = Layer.mergeAll(
  LiveAutoScaling.layer,
  LiveLoadBalancing.layer,
  LiveCloudFormation.layer,
  LiveLaunchTemplates.layer,
  LiveAlarms.layer,
  LiveTemplateBucket.layer
)

/** The live services for plain settings, for library users who resolved region and profile themselves. */
export const layerConfig = (settings: AwsClientSettings): Layer.Layer<LiveServices> =>
  Layer.provide(layer, Layer.succeed(AwsClientConfig, settings))
