import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AwsClientSettings, resolveRegion } from "../layers/live/AwsClientConfig.js"
import type { InvalidInput } from "../services/Errors.js"
import { CallTimeout, decodeFlag } from "./Flags.js"
import { RetryPolicy } from "../services/Retry.js"

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

/** `--call-timeout`: a positive number of seconds, fractions allowed. */
export const parseCallTimeout = (value: string): Effect.Effect<Duration.Duration, InvalidInput> =>
  decodeFlag("call-timeout", CallTimeout)(value)

/**
 * Runs `program` (with its AWS layers, which read the policy when they are built) under the RetryPolicy in scope
 * with `--call-timeout` as its call timeout; a bad value fails before any call.
 */
export const withCallTimeout = (value: string) =>
<A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidInput, R> =>
  Effect.flatMap(Effect.all([parseCallTimeout(value), RetryPolicy]), ([callTimeout, policy]) =>
    Effect.provideService(program, RetryPolicy, { ...policy, callTimeout }))
