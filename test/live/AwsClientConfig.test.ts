import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { fallbackRegion, resolveRegion } from "../../src/layers/live/AwsClientConfig.js"

const dir = mkdtempSync(join(tmpdir(), "aws-config-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const configFile = join(dir, "config")
writeFileSync(
  configFile,
  ["[default]", "region = ap-south-1", "", "[profile staging]", "region = us-west-2", "", "[profile bare]", "output = json"]
    .join("\n")
)
const credentialsFile = join(dir, "credentials")
writeFileSync(credentialsFile, ["[creds-only]", "aws_access_key_id = x", "region = ca-central-1"].join("\n"))

/** An environment that points the loader at our files and nowhere near the real home directory. */
const filesEnv = { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, HOME: dir }

describe("resolveRegion", () => {
  it.effect("prefers the explicit flag over everything", () =>
    Effect.gen(function*() {
      const region = yield* resolveRegion({ region: "eu-central-1", env: { ...filesEnv, AWS_REGION: "us-east-2" } })
      expect(region).toBe("eu-central-1")
    }))

  it.effect("takes AWS_REGION, then AWS_DEFAULT_REGION", () =>
    Effect.gen(function*() {
      expect(yield* resolveRegion({ env: { ...filesEnv, AWS_REGION: "us-east-2", AWS_DEFAULT_REGION: "sa-east-1" } }))
        .toBe("us-east-2")
      expect(yield* resolveRegion({ env: { ...filesEnv, AWS_DEFAULT_REGION: "sa-east-1" } })).toBe("sa-east-1")
    }))

  it.effect("reads the profile's region from the shared config file", () =>
    Effect.gen(function*() {
      expect(yield* resolveRegion({ profile: "staging", env: filesEnv })).toBe("us-west-2")
      expect(yield* resolveRegion({ env: { ...filesEnv, AWS_PROFILE: "staging" } })).toBe("us-west-2")
      expect(yield* resolveRegion({ env: filesEnv })).toBe("ap-south-1")
    }))

  it.effect("reads a region from the credentials file when the config file has none", () =>
    Effect.gen(function*() {
      expect(yield* resolveRegion({ profile: "creds-only", env: filesEnv })).toBe("ca-central-1")
    }))

  it.effect("falls back to eu-west-1 when the profile has no region or the files are missing", () =>
    Effect.gen(function*() {
      expect(yield* resolveRegion({ profile: "bare", env: filesEnv })).toBe(fallbackRegion)
      expect(fallbackRegion).toBe("eu-west-1")
      const missing = { AWS_CONFIG_FILE: join(dir, "nope"), AWS_SHARED_CREDENTIALS_FILE: join(dir, "nope2") }
      expect(yield* resolveRegion({ env: missing })).toBe("eu-west-1")
    }))

  it.effect("ignores blank values", () =>
    Effect.gen(function*() {
      expect(yield* resolveRegion({ region: " ", env: { ...filesEnv, AWS_REGION: "" } })).toBe("ap-south-1")
    }))
})
