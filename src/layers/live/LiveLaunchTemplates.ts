import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AwsCallFailed } from "../../services/Errors.js"
import { LaunchTemplates } from "../../services/LaunchTemplates.js"
import { retrying } from "../../services/Retry.js"
import type { AwsClientConfig } from "./AwsClientConfig.js"
import { lazyClient } from "./SdkClient.js"

/** EC2 DescribeLaunchTemplates; the EC2 SDK is loaded only when a group names `$Latest` or `$Default`. */
export const layer: Layer.Layer<LaunchTemplates, never, AwsClientConfig> = Layer.scoped(
  LaunchTemplates,
  Effect.gen(function*() {
    const ec2 = yield* lazyClient(
      () => import("@aws-sdk/client-ec2"),
      (m, options) => new m.EC2Client(options)
    )

    return yield* retrying(LaunchTemplates.of({
      versions: (launchTemplateId) =>
        ec2("DescribeLaunchTemplates", (m, client, signal) =>
          client.send(new m.DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [launchTemplateId] }), {
            abortSignal: signal
          })).pipe(
            Effect.flatMap((out) => {
              const template = out.LaunchTemplates?.[0]
              const latest = template?.LatestVersionNumber
              const defaultVersion = template?.DefaultVersionNumber
              return latest !== undefined && defaultVersion !== undefined
                ? Effect.succeed({ latest: String(latest), default: String(defaultVersion) })
                : Effect.fail(
                  new AwsCallFailed({
                    operation: "DescribeLaunchTemplates",
                    message: `launch template ${launchTemplateId} was not returned with its versions`
                  })
                )
            })
          )
    }))
  })
)
