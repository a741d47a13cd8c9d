/**
 * update-stack's stack options for real: the built CLI against moto_server through the fault proxy. What the stack
 * ends up with is read from moto with the SDK; bad input must end with exit 2, one line, and no mutating call.
 */
import * as CFN from "@aws-sdk/client-cloudformation"
import * as S3 from "@aws-sdk/client-s3"
import { createHash } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, inject, it } from "vitest"
import { type CliResult, describeRun, runCli } from "../support/cli.js"
import { motoRegion } from "../support/moto.js"
import { describeStackDirectly, destroyClients, sdkClients } from "../support/motoWorld.js"
import { proxyPerTest } from "../support/proxyPerTest.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const s3 = sdk.s3
const workDir = mkdtempSync(join(tmpdir(), "aws-ha-updater-options-"))
const currentProxy = proxyPerTest(motoUrl)
const TEST_TIMEOUT = 120_000
const ROLE = "arn:aws:iam::123456789012:role/cfn-deployer"

afterAll(() => {
  destroyClients(sdk)
  rmSync(workDir, { recursive: true, force: true })
})

/**
 * A queue tagged from two parameters, valid for moto's cfn-lint (which refuses warnings too); `padding` bytes of
 * Metadata make it as large as a test needs.
 */
const queueTemplate = (padding = 0): string =>
  JSON.stringify({
    AWSTemplateFormatVersion: "2010-09-09",
    Description: "aws-ha-updater e2e: stack options",
    ...(padding > 0 ? { Metadata: { Padding: { Notes: Array.from({ length: Math.ceil(padding / 1_000) }, () => "n".repeat(990)) } } } : {}),
    Parameters: {
      Env: { Type: "String", AllowedValues: ["dev", "prod"], Description: "where it runs" },
      Team: { Type: "String", Default: "blue", Description: "who owns it" }
    },
    Resources: {
      Queue: {
        Type: "AWS::SQS::Queue",
        Properties: { Tags: [{ Key: "env", Value: { Ref: "Env" } }, { Key: "team", Value: { Ref: "Team" } }] }
      }
    },
    Outputs: { QueueUrl: { Value: { Ref: "Queue" } } }
  })

const write = (name: string, body: string): string => {
  const file = join(workDir, name)
  writeFileSync(file, body)
  return file
}

const cli = (args: ReadonlyArray<string>) => runCli("update-stack", args, { endpoint: currentProxy().url, timeoutMs: 90_000 })

const expectExit = (run: CliResult, code: number): void => expect(run.code, describeRun(run)).toBe(code)

const tagsOf = (stack: CFN.Stack) => Object.fromEntries((stack.Tags ?? []).map((t) => [t.Key, t.Value]))
const parametersOf = (stack: CFN.Stack) => Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]))

describe("update-stack stack options against moto", () => {
  it("creates with a service role, tags, a parameter file and termination protection; an update with one new tag keeps the others", async () => {
    const template = write("queue.json", queueTemplate())
    // Team is given although it has a Default: moto answers 500 to UsePreviousValue for one that took its Default.
    const params = write("config.json", JSON.stringify({ Parameters: { Env: "prod", Team: "red" }, Tags: { team: "red", tier: "queue" } }))
    const created = await cli([
      "orders", "--template", template, "--parameters", `file://${params}`, "--role-arn", ROLE, "--tags", "cost-centre=42",
      "--termination-protection", "--no-asgs", "--output", "json"
    ])
    expectExit(created, 0)
    expect(created.summary).toMatchObject({ stackAction: "created", stackStatus: "CREATE_COMPLETE" })
    const stack = await describeStackDirectly(sdk, "orders")
    expect(stack.RoleARN).toBe(ROLE)
    expect(stack.EnableTerminationProtection).toBe(true)
    expect(tagsOf(stack)).toEqual({ team: "red", tier: "queue", "cost-centre": "42" })
    expect(parametersOf(stack)).toEqual({ Env: "prod", Team: "red" })

    currentProxy().clearCalls()
    // A tag change alone is no update to moto: a parameter changes with it.
    const updated = await cli(["orders", "--tags", "tier=messaging", "--no-asgs", "--output", "json", "Env=dev"])
    expectExit(updated, 0)
    expect(updated.summary).toMatchObject({ stackAction: "updated", stackStatus: "UPDATE_COMPLETE" })
    const after = await describeStackDirectly(sdk, "orders")
    expect(tagsOf(after)).toEqual({ team: "red", tier: "messaging", "cost-centre": "42" })
    expect(parametersOf(after)).toEqual({ Env: "dev", Team: "red" })
    // The whole merged set went out, since AWS replaces the tags when any are sent; no RoleARN, so AWS keeps the
    // stack's (moto forgets it on such an update: its DescribeStacks is no witness here).
    const sent = currentProxy().calls.find((c) => c.action === "UpdateStack")?.params ?? {}
    expect(sent["RoleARN"]).toBeUndefined()
    expect(Object.keys(sent).filter((k) => /^Tags\.member\.\d+\.Key$/.test(k))).toHaveLength(3)
  }, TEST_TIMEOUT)

  it("deploys a ~60 KB template through --s3-bucket: uploaded content-addressed, sent as TemplateURL", async () => {
    await s3.send(new S3.CreateBucketCommand({ Bucket: "shop-templates" }))
    const body = queueTemplate(60_000)
    expect(Buffer.byteLength(body)).toBeGreaterThan(51_200)
    const template = write("big.json", body)
    const run = await cli([
      "big", "--template", template, "--s3-bucket", "shop-templates", "--s3-prefix", "deploys", "--no-asgs", "--output", "json",
      "Env=prod", "Team=blue"
    ])
    expectExit(run, 0)
    const key = `deploys/${createHash("sha256").update(body).digest("hex")}.template`
    const object = await s3.send(new S3.GetObjectCommand({ Bucket: "shop-templates", Key: key }))
    expect(await object.Body?.transformToString()).toBe(body)
    const url = `https://shop-templates.s3.${motoRegion}.amazonaws.com/${key}`
    for (const action of ["ValidateTemplate", "CreateStack"]) {
      const call = currentProxy().calls.find((c) => c.action === action)
      expect(call?.params["TemplateURL"], action).toBe(url)
      expect(call?.params["TemplateBody"], action).toBeUndefined()
    }
    expect((await describeStackDirectly(sdk, "big")).StackStatus).toBe("CREATE_COMPLETE")
    const template2 = await sdk.cloudFormation.send(new CFN.GetTemplateCommand({ StackName: "big" }))
    expect(template2.TemplateBody).toBe(body)
  }, TEST_TIMEOUT)
})

describe("bad stack options against moto: exit 2, one line, no mutating call", () => {
  const cases: ReadonlyArray<readonly [string, () => ReadonlyArray<string>, RegExp]> = [
    ["an unreadable parameter file", () => ["--parameters", join(workDir, "missing.json")], /--parameters .*missing\.json: no such file/],
    ["a malformed parameter file", () => ["--parameters", write("bad.json", "[{\"ParameterKey\": ")], /bad\.json: malformed JSON/],
    ["an unknown key in the parameter file", () => ["--parameters", write("unknown.yaml", "Env: prod\nColour: red\n")], /no parameter Colour \(from .*unknown\.yaml\)/],
    ["a malformed tag", () => ["--tags", "aws:owner=me", "Env=prod"], /--tags: tag "aws:owner" uses the aws: prefix/],
    ["a malformed role ARN", () => ["--role-arn", "cfn-deployer", "Env=prod"], /--role-arn cfn-deployer: not an IAM role ARN/],
    ["a bucket that does not exist", () => ["--s3-bucket", "no-such-bucket", "--s3-upload-always", "Env=prod"], /S3 bucket no-such-bucket does not exist/]
  ]
  it.each(cases)("%s", async (_, extra, message) => {
    const run = await cli(["fresh", "--template", write("fresh.json", queueTemplate()), "--no-asgs", ...extra()])
    expectExit(run, 2)
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "")
    expect(lines, describeRun(run)).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(currentProxy().mutatingCalls()).toEqual([])
    await expect(describeStackDirectly(sdk, "fresh")).rejects.toThrow(/does not exist/)
  }, TEST_TIMEOUT)
})
