import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { homedir } from "node:os"
import { join } from "node:path"

/** AWS credentials, shaped as the SDK's `AwsCredentialIdentity` (so either is accepted where the other is). */
export interface AwsCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
  readonly credentialScope?: string
  readonly accountId?: string
  /** When temporary credentials expire; a provider is asked again before then. */
  readonly expiration?: Date
}

/**
 * A source of credentials, shaped as the SDK's `AwsCredentialIdentityProvider`: what `@aws-sdk/credential-providers`
 * builds (`fromIni`, `fromTemporaryCredentials`, `fromSSO`, …) or any function of yours that resolves to them.
 */
export type AwsCredentialProvider = (identityProperties?: Record<string, any>) => Promise<AwsCredentials>

/** Where and as whom the live SDK clients talk: plain values that the CLI (or a library user) resolved. */
export interface AwsClientSettings {
  readonly region: string
  /** A profile of the shared config files; credentials then come from it through the SDK's default chain. */
  readonly profile?: string
  /** An endpoint URL that replaces the regional one (an emulator such as moto). */
  readonly endpoint?: string
  /** Credentials, or their provider, for every client instead of the SDK's default chain (and `profile`). */
  readonly credentials?: AwsCredentials | AwsCredentialProvider
}

export class AwsClientConfig extends Context.Tag("aws-ha-updater/AwsClientConfig")<
  AwsClientConfig,
  AwsClientSettings
>() {}

/** The region used when neither flag, environment nor profile names one. */
export const fallbackRegion = "eu-west-1"

/** The environment variables the resolution reads, handed in by the CLI. */
export type Env = Readonly<Record<string, string | undefined>>

export interface RegionInput {
  /** The --region flag. */
  readonly region?: string | undefined
  /** The --profile flag; AWS_PROFILE, then "default", when absent. */
  readonly profile?: string | undefined
  readonly env: Env
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value !== undefined && value.trim() !== "" ? value.trim() : undefined

/** The shared config and credentials file paths as the AWS CLI finds them, from the given environment. */
export const sharedFilePaths = (env: Env): { readonly configFilepath: string; readonly filepath: string } => {
  const home = nonEmpty(env["HOME"]) ?? nonEmpty(env["USERPROFILE"]) ?? homedir()
  return {
    configFilepath: nonEmpty(env["AWS_CONFIG_FILE"]) ?? join(home, ".aws", "config"),
    filepath: nonEmpty(env["AWS_SHARED_CREDENTIALS_FILE"]) ?? join(home, ".aws", "credentials")
  }
}

/**
 * The region the way the AWS CLI picks it: the flag, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's
 * `region` in the shared config (or credentials) file, else `eu-west-1`. Unreadable files count as absent, as in the SDK.
 */
export const resolveRegion = (input: RegionInput): Effect.Effect<string> => {
  const direct =
    nonEmpty(input.region) ?? nonEmpty(input.env["AWS_REGION"]) ?? nonEmpty(input.env["AWS_DEFAULT_REGION"])
  if (direct !== undefined) return Effect.succeed(direct)
  const profile = nonEmpty(input.profile) ?? nonEmpty(input.env["AWS_PROFILE"]) ?? "default"
  return Effect.gen(function*() {
    // The SDK's own ini loader, loaded only when the files must be read.
    const { loadSharedConfigFiles } = yield* Effect.promise(() => import("@smithy/core/config"))
    const files = yield* Effect.promise(() =>
      loadSharedConfigFiles({ ...sharedFilePaths(input.env), ignoreCache: true })
    )
    return nonEmpty(files.configFile[profile]?.["region"]) ??
      nonEmpty(files.credentialsFile[profile]?.["region"]) ??
      fallbackRegion
  })
}
