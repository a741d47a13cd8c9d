import { describe, expect, it } from "@effect/vitest"
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, vi } from "vitest"
import type { AwsCredentialProvider, AwsCredentials } from "../../src/layers/live/AwsClientConfig.js"
import * as LiveAws from "../../src/layers/live/LiveAws.js"
import { clientOptions } from "../../src/layers/live/SdkClient.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { RetryPolicy } from "../../src/services/Retry.js"

// The SDK's credential types and ours are one shape: a provider of either kind is accepted as the other.
const fromSdk = (provider: AwsCredentialIdentityProvider): AwsCredentialProvider => provider
const toSdk = (credentials: AwsCredentials | AwsCredentialProvider): AwsCredentialIdentity | AwsCredentialIdentityProvider =>
  credentials

/** The Authorization header of every request the stub saw; it refuses each with a ValidationError. */
const authorizations: Array<string> = []
let server: Server
let endpoint = ""

beforeAll(async () => {
  // The default chain would find these: a test that sees them has not used the credentials it gave.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing")
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true")
  vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true")
  server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      authorizations.push(req.headers.authorization ?? "")
      res.writeHead(400, { "content-type": "text/xml" })
      res.end(
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>stub</Message></Error>" +
          "<RequestId>stub</RequestId></ErrorResponse>"
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  vi.unstubAllEnvs()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** One call to the Auto Scaling client and one to the classic ELB client; the headers they were sent with. */
const twoClients = Effect.gen(function*() {
  authorizations.length = 0
  yield* Effect.ignore(Effect.flatMap(AutoScaling, (as) => as.describeGroups(["web"])))
  yield* Effect.ignore(Effect.flatMap(LoadBalancing, (lb) => lb.classicHealth("web-elb")))
  return [...authorizations]
}).pipe(Effect.provideService(RetryPolicy, { schedule: Schedule.stop }))

describe("the live layers' options", () => {
  it("pass credentials, or their provider, to every client, and nothing when none is given", () => {
    const provider: AwsCredentialProvider = () => Promise.resolve({ accessKeyId: "a", secretAccessKey: "b" })
    expect(clientOptions({ region: "eu-west-1", credentials: provider }).credentials).toBe(provider)
    expect("credentials" in clientOptions({ region: "eu-west-1" })).toBe(false)
    expect(toSdk(fromSdk(provider))).toBe(provider)
  })

  it.live("LiveAws.layer signs every client's calls with the credentials of the provider it is given", () =>
    Effect.gen(function*() {
      let asked = 0
      const provider: AwsCredentialProvider = () => {
        asked++
        return Promise.resolve({ accessKeyId: "AKIDPROVIDED", secretAccessKey: "secret" })
      }
      const headers = yield* twoClients.pipe(
        Effect.provide(LiveAws.layer({ region: "eu-west-1", endpoint, credentials: provider }))
      )
      expect(headers).toHaveLength(2)
      for (const header of headers) expect(header).toMatch(/Credential=AKIDPROVIDED\/\d{8}\/eu-west-1\//)
      expect(asked).toBeGreaterThanOrEqual(1)
    }))

  it.live("LiveAws.layerConfig reads its options from the ConfigProvider in scope", () =>
    Effect.gen(function*() {
      const layer = LiveAws.layerConfig({
        region: Config.string("REGION"),
        endpoint: Config.string("ENDPOINT"),
        credentials: Config.all({ accessKeyId: Config.string("KEY_ID"), secretAccessKey: Config.string("SECRET") })
      })
      const headers = yield* twoClients.pipe(
        Effect.provide(layer),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["REGION", "ap-south-1"], ["ENDPOINT", endpoint], ["KEY_ID", "AKIDCONFIG"], ["SECRET", "s"]]))
        )
      )
      expect(headers).toHaveLength(2)
      for (const header of headers) expect(header).toMatch(/Credential=AKIDCONFIG\/\d{8}\/ap-south-1\//)
    }))

  it.effect("LiveAws.layerConfig fails with a ConfigError, before any call, when a value is missing", () =>
    Effect.gen(function*() {
      authorizations.length = 0
      const error = yield* twoClients.pipe(
        Effect.provide(LiveAws.layerConfig({ region: Config.string("REGION"), endpoint: Config.succeed(endpoint) })),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map())),
        Effect.flip
      )
      expect(ConfigError.isMissingDataOnly(error)).toBe(true)
      expect(String(error)).toContain("REGION")
      expect(authorizations).toEqual([])
    }))
})
