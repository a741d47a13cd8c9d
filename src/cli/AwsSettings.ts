import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AwsClientSettings, type Env, resolveRegion } from "../layers/live/AwsClientConfig.js"
import { decodeInput, issueLine } from "../services/Decode.js"
import type { InvalidInput } from "../services/Errors.js"
import { RetryPolicy } from "../services/Retry.js"
import { fromEnv } from "./CommonOptions.js"
import { CallTimeout, decodeFlag, EndpointUrl } from "./Flags.js"

/** What the region's resolution reads of the environment: the shared files' places, and the region and profile. */
const REGION_ENV = ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME", "USERPROFILE"] as const

/** Those variables through the ConfigProvider (the process's env in the CLI, a map in tests), unset ones absent. */
const regionEnv: Config.Config<Env> = Config.map(
  Config.all(REGION_ENV.map((name) => Config.option(Config.string(name)))),
  (values) => Object.fromEntries(REGION_ENV.map((name, i) => [name, Option.getOrUndefined(values[i] ?? Option.none())]))
)

const decodeEndpointFlag = decodeFlag("endpoint-url", EndpointUrl)
const decodeEndpointEnv = decodeInput(EndpointUrl, (issue) => `AWS_ENDPOINT_URL ${issueLine(issue, false)}`)

/**
 * Region, profile and endpoint from the flags, the first two falling back on AWS_REGION and AWS_PROFILE
 * (CommonOptions), then on the profile's files: the CLI is the one place that reads env, and reads it through Config.
 */
export const awsSettings = (flags: {
  readonly region: Option.Option<string>
  readonly profile: Option.Option<string>
  readonly endpointUrl: Option.Option<string>
}): Effect.Effect<AwsClientSettings, InvalidInput> =>
  Effect.gen(function*() {
    const endpoint = yield* Option.match(flags.endpointUrl, { onNone: () => Effect.succeed(undefined), onSome: decodeEndpointFlag })
    // Optional strings: a ConfigError cannot arise, a missing variable is None.
    const env = yield* Effect.orDie(regionEnv)
    // Checked here, applied by the SDK itself, so that AWS_ENDPOINT_URL_<SERVICE> keeps its precedence over it.
    const envEndpoint = yield* Effect.orDie(Config.option(fromEnv("AWS_ENDPOINT_URL")))
    if (Option.isSome(envEndpoint)) yield* decodeEndpointEnv(envEndpoint.value)
    const region = yield* resolveRegion({
      region: Option.getOrUndefined(flags.region),
      profile: Option.getOrUndefined(flags.profile),
      env
    })
    return {
      region,
      ...Option.match(flags.profile, { onNone: () => ({}), onSome: (profile) => ({ profile }) }),
      ...(endpoint === undefined ? {} : { endpoint })
    }
  })

/** `--call-timeout`: a positive number of seconds, fractions allowed. */
export const parseCallTimeout = (value: string): Effect.Effect<Duration.Duration, InvalidInput> =>
  decodeFlag("call-timeout", CallTimeout)(value)

/**
 * Runs `program` (its AWS calls read the policy nearest to them) under the RetryPolicy in scope
 * with `--call-timeout` as its call timeout; a bad value fails before any call.
 */
export const withCallTimeout = (value: string) =>
<A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidInput, R> =>
  Effect.flatMap(Effect.all([parseCallTimeout(value), RetryPolicy]), ([callTimeout, policy]) =>
    Effect.provideService(program, RetryPolicy, { ...policy, callTimeout }))
