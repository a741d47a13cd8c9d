import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AwsClientSettings, resolveRegion } from "../layers/live/AwsClientConfig.js"

/** Region, profile and endpoint from the flags and the environment: the CLI is the one place that reads env. */
export const awsSettings = (flags: {
  readonly region: Option.Option<string>
  readonly profile: Option.Option<string>
  readonly endpointUrl: Option.Option<string>
}): Effect.Effect<AwsClientSettings> =>
  Effect.map(
    resolveRegion({
      region: Option.getOrUndefined(flags.region),
      profile: Option.getOrUndefined(flags.profile),
      env: process.env
    }),
    (region) => ({
      region,
      ...Option.match(flags.profile, { onNone: () => ({}), onSome: (profile) => ({ profile }) }),
      ...Option.match(flags.endpointUrl, { onNone: () => ({}), onSome: (endpoint) => ({ endpoint }) })
    })
  )
