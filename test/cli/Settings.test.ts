import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { awsSettings, parseCallTimeout } from "../../src/cli/AwsSettings.js"
import { type AwsProvider, makeUpdateAsgs } from "../../src/cli/UpdateAsgs.js"
import type { AwsClientSettings } from "../../src/layers/live/AwsClientConfig.js"
import { fromContext, runCommand } from "../support/RunCommand.js"
import { LT, webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })
const command = makeUpdateAsgs(fromContext)

/** Shared config files that do not exist: only the variables given count. */
const noFiles = { AWS_CONFIG_FILE: "/nonexistent/aws-ha-updater/config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-ha-updater/credentials" }

/** The environment the command sees, in place of the process's. */
const withEnv = (env: Readonly<Record<string, string>>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const cli = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>) =>
  runCommand(command, "update-asgs", ["shop", "--output", "json", ...args], "5 seconds").pipe(withEnv({ ...noFiles, ...env }))

describe("the AWS settings, read from the flags and the environment through Config", () => {
  it.effect.each([
    ["AWS_REGION", [], { AWS_REGION: "ap-south-1", AWS_DEFAULT_REGION: "sa-east-1" }, "ap-south-1"],
    ["AWS_DEFAULT_REGION without AWS_REGION", [], { AWS_DEFAULT_REGION: "sa-east-1" }, "sa-east-1"],
    ["AWS_DEFAULT_REGION under a blank AWS_REGION", [], { AWS_REGION: "  ", AWS_DEFAULT_REGION: "sa-east-1" }, "sa-east-1"],
    ["--region over AWS_REGION", ["--region", "us-west-2"], { AWS_REGION: "ap-south-1" }, "us-west-2"],
    ["eu-west-1 when nothing names one", [], {}, "eu-west-1"]
  ] as const)("the region is %s", ([, args, env, region]) =>
    Effect.gen(function*() {
      yield* webGroup()
      // A rollout that rolls back prints the resume command, which names the region the run used.
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const r = yield* runCommand(command, "update-asgs", ["shop", "--healthy-timeout", "120", ...args]).pipe(withEnv({ ...noFiles, ...env }))
      expect(r.code).toBe(3)
      expect(r.out.join("\n")).toContain(`aws autoscaling resume-processes --region ${region} --auto-scaling-group-name web`)
    }).pipe(Effect.provide(world)))

  it.effect("the profile named by AWS_PROFILE gives the region from AWS_CONFIG_FILE, both read through the ConfigProvider", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "settings-"))
      const config = join(dir, "config")
      writeFileSync(config, "[default]\nregion = us-east-2\n[profile staging]\nregion = ca-central-1\n")
      const settings = (profile: Option.Option<string>, env: Readonly<Record<string, string>>) =>
        awsSettings({ region: Option.none(), profile, endpointUrl: Option.none() }).pipe(withEnv({ ...noFiles, AWS_CONFIG_FILE: config, ...env }))
      expect(yield* settings(Option.none(), { AWS_PROFILE: "staging" })).toEqual({ region: "ca-central-1" })
      expect(yield* settings(Option.some("staging"), {})).toEqual({ region: "ca-central-1", profile: "staging" })
      expect(yield* settings(Option.none(), {})).toEqual({ region: "us-east-2" })
    }))

  it.effect("AWS_PROFILE fills --profile, which wins over it; AWS_ENDPOINT_URL is left to the SDK, which lets AWS_ENDPOINT_URL_<SERVICE> win over it", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const seen: Array<AwsClientSettings> = []
      // The fake world as the AWS, recording the settings the live layers would have been built with.
      const recording = ((program: Effect.Effect<unknown, unknown, unknown>, settings: AwsClientSettings) => {
        seen.push(settings)
        return program
      }) as unknown as AwsProvider
      const run = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>) =>
        runCommand(makeUpdateAsgs(recording), "update-asgs", ["shop", "--region", "eu-west-1", ...args]).pipe(withEnv({ ...noFiles, ...env }))
      const env = { AWS_PROFILE: "staging", AWS_ENDPOINT_URL: "http://127.0.0.1:5000" }
      expect((yield* run([], env)).code).toBe(0)
      expect((yield* run(["--profile", "prod", "--endpoint-url", "https://cfn.example.test"], env)).code).toBe(0)
      expect((yield* run([], { AWS_PROFILE: " ", AWS_ENDPOINT_URL: "" })).code).toBe(0)
      expect(seen).toEqual([
        { region: "eu-west-1", profile: "staging" },
        { region: "eu-west-1", profile: "prod", endpoint: "https://cfn.example.test" },
        { region: "eu-west-1" }
      ])
    }).pipe(Effect.provide(world)))

  it.effect.each([
    [["--endpoint-url", "localhost:5000"], {}, `--endpoint-url must be an http:// or https:// URL, got "localhost:5000"`],
    [[], { AWS_ENDPOINT_URL: "ftp://127.0.0.1/" }, `AWS_ENDPOINT_URL must be an http:// or https:// URL, got "ftp://127.0.0.1/"`],
    [[], { AWS_ENDPOINT_URL: "not a url" }, `AWS_ENDPOINT_URL must be an http:// or https:// URL, got "not a url"`]
  ] as const)("an endpoint %j %j that is no http(s) URL exits 2 with one line, before any call", ([args, env, line]) =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli(["--region", "eu-west-1", ...args], env)
      expect(r.code).toBe(2)
      expect(r.err).toEqual([`error: ${line}`])
      expect(r.out).toEqual([])
      expect(yield* (yield* FakeWorld).calls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--call-timeout decodes to a Duration, fractions rounded to the millisecond", () =>
    Effect.gen(function*() {
      expect(Duration.toMillis(yield* parseCallTimeout("2.5"))).toBe(2500)
      expect(Duration.toMillis(yield* parseCallTimeout(" 30 "))).toBe(30_000)
    }))
})
