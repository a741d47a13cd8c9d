import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import type { AwsError } from "../../services/Errors.js"
import { defaultCallTimeout, policyFor, providedPolicy } from "../../services/Retry.js"
import {
  type AwsClientSettings,
  AwsClientConfig,
  type AwsCredentialProvider,
  type AwsCredentials
} from "./AwsClientConfig.js"
import { toAwsError } from "./SdkErrors.js"

/** The options every SDK client is built with. */
export interface ClientOptions {
  readonly region: string
  /** Retries belong to our RetryPolicy schedule (see services/Retry.ts); SDK retries would multiply them. */
  readonly maxAttempts: 1
  readonly profile?: string
  readonly endpoint?: string
  readonly credentials?: AwsCredentials | AwsCredentialProvider
  /** The socket's own limits, so that no connection outlives the call timeout by much (see `socketLimits`). */
  readonly requestHandler: {
    readonly connectionTimeout: number
    readonly requestTimeout: number
    readonly throwOnRequestTimeout: true
    readonly socketTimeout: number
  }
}

/**
 * Our call timeout (services/Retry.ts) ends an attempt and aborts its request; these are the backstop below it,
 * a second later, instead of the socket's default of minutes.
 */
export const socketLimits = (callTimeout: Duration.DurationInput): ClientOptions["requestHandler"] => {
  const ms = Duration.toMillis(Duration.decode(callTimeout)) + 1_000
  return { connectionTimeout: ms, requestTimeout: ms, throwOnRequestTimeout: true, socketTimeout: ms }
}

/** The options of every client: our settings, the SDK's own retries off, the socket limits below the call timeout. */
export const clientOptions = (
  settings: AwsClientSettings,
  callTimeout: Duration.DurationInput = defaultCallTimeout
): ClientOptions => ({
  region: settings.region,
  maxAttempts: 1,
  requestHandler: socketLimits(callTimeout),
  ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
  ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
  ...(settings.credentials !== undefined ? { credentials: settings.credentials } : {})
})

interface Loaded<M, C> {
  readonly sdk: M
  readonly client: C
}

/** Runs one SDK call with the module and its client: `send(operation, (sdk, client, signal) => client.send(...))`. */
export type Send<M, C> = <A>(
  operation: string,
  run: (sdk: M, client: C, signal: AbortSignal) => Promise<A>
) => Effect.Effect<A, AwsError>

/**
 * Imports an SDK module and builds its client on first use, once; the client is destroyed when the layer's scope
 * closes. Commands that never touch a service (`--help`, a group without a classic ELB) never load its SDK.
 */
export const lazyClient = <M, C extends { destroy(): void }>(
  load: () => Promise<M>,
  make: (sdk: M, options: ClientOptions) => C
): Effect.Effect<Send<M, C>, never, AwsClientConfig | Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* AwsClientConfig
    const currentPolicy = policyFor(yield* providedPolicy)
    const scope = yield* Effect.scope
    const cache = yield* Ref.make(Option.none<Loaded<M, C>>())
    const guard = yield* Effect.makeSemaphore(1)
    const build = Effect.gen(function*() {
      // The policy of the first call, chosen as for the retries themselves (services/Retry.ts).
      const { callTimeout } = yield* currentPolicy
      const sdk = yield* Effect.promise(load)
      const client = yield* Scope.extend(
        Effect.acquireRelease(
          Effect.sync(() => make(sdk, clientOptions(settings, callTimeout))),
          (client) => Effect.sync(() => client.destroy())
        ),
        scope
      )
      const loaded: Loaded<M, C> = { sdk, client }
      yield* Ref.set(cache, Option.some(loaded))
      return loaded
    })
    // Uninterruptible so that a caller interrupted mid-import can neither leave a half-built client nor poison the cache.
    const loaded = guard.withPermits(1)(
      Effect.flatMap(Ref.get(cache), Option.match({ onNone: () => Effect.uninterruptible(build), onSome: Effect.succeed }))
    )
    const send: Send<M, C> = (operation, run) =>
      Effect.flatMap(loaded, ({ client, sdk }) => call(operation, (signal) => run(sdk, client, signal)))
    return send
  })

/** One SDK call; interrupting the fiber aborts the HTTP request through the signal. */
export const call = <A>(operation: string, run: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, AwsError> =>
  Effect.tryPromise({ try: run, catch: (error) => toAwsError(operation, error) })
