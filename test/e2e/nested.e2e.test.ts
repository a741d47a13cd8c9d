/**
 * A parent stack whose Auto Scaling group lives in a nested stack, against moto: moto reads the nested TemplateURL
 * (`https://s3.amazonaws.com/BUCKET/KEY`) from its own S3. moto logs no event about a nested stack in its parent and
 * replaces a nested stack (new name, new group) when its parameters change: the tool finds it from the resources.
 */
import * as CFN from "@aws-sdk/client-cloudformation"
import * as S3 from "@aws-sdk/client-s3"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { type CliResult, describeRun, runCli } from "../support/cli.js"
import { resetMoto } from "../support/moto.js"
import { destroyClients, readGroupState, sdkClients, twoImageIds } from "../support/motoWorld.js"
import { proxyPerTest } from "../support/proxyPerTest.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
const s3 = sdk.s3
const workDir = mkdtempSync(join(tmpdir(), "aws-ha-updater-nested-"))
const ROLL = ["--healthy-timeout", "60", "--poll-interval", "1", "--output", "json"]
const TEST_TIMEOUT = 150_000
const BUCKET = "mall-templates"

/** The web tier: a launch template on the release's ImageId and its group. */
const webTemplate = JSON.stringify({
  AWSTemplateFormatVersion: "2010-09-09",
  Description: "aws-ha-updater e2e: the web tier, nested",
  Parameters: { ImageId: { Type: "AWS::EC2::Image::Id", Description: "the AMI of the release" } },
  Resources: {
    Template: {
      Type: "AWS::EC2::LaunchTemplate",
      Properties: { LaunchTemplateData: { ImageId: { Ref: "ImageId" }, InstanceType: "t3.micro" } }
    },
    Group: {
      Type: "AWS::AutoScaling::AutoScalingGroup",
      Properties: {
        MinSize: "1",
        MaxSize: "4",
        DesiredCapacity: "2",
        AvailabilityZones: { "Fn::GetAZs": "" },
        LaunchTemplate: { LaunchTemplateId: { Ref: "Template" }, Version: { "Fn::GetAtt": ["Template", "LatestVersionNumber"] } }
      }
    }
  },
  Outputs: { GroupName: { Value: { Ref: "Group" } } }
})

const mallTemplate = JSON.stringify({
  AWSTemplateFormatVersion: "2010-09-09",
  Description: "aws-ha-updater e2e: a parent whose group is in a nested stack",
  Parameters: { ImageId: { Type: "AWS::EC2::Image::Id", Description: "the AMI of the release" } },
  Resources: {
    Web: {
      Type: "AWS::CloudFormation::Stack",
      Properties: { TemplateURL: `https://s3.amazonaws.com/${BUCKET}/web.json`, Parameters: { ImageId: { Ref: "ImageId" } } }
    }
  }
})

let amis: readonly [string, string]

beforeAll(async () => {
  await resetMoto(motoUrl)
  amis = await twoImageIds(sdk)
})

const currentProxy = proxyPerTest(motoUrl)

afterAll(() => {
  destroyClients(sdk)
  rmSync(workDir, { recursive: true, force: true })
})

const cli = (bin: "update-asgs" | "update-stack" | "aws-ha-updater", args: ReadonlyArray<string>) =>
  runCli(bin, args, { endpoint: currentProxy().url, timeoutMs: 120_000 })

const expectExit = (run: CliResult, code: number): void => {
  expect(run.code, describeRun(run)).toBe(code)
}

/** The nested stack's group, as moto has it now. */
const nestedGroup = async (): Promise<string> => {
  const top = await sdk.cloudFormation.send(new CFN.ListStackResourcesCommand({ StackName: "mall" }))
  const web = top.StackResourceSummaries?.find((r) => r.LogicalResourceId === "Web")?.PhysicalResourceId
  expect(web, "the nested stack").toBeDefined()
  const inner = await sdk.cloudFormation.send(new CFN.ListStackResourcesCommand({ StackName: web }))
  const group = inner.StackResourceSummaries?.find((r) => r.LogicalResourceId === "Group")?.PhysicalResourceId
  expect(group, "the nested group").toBeDefined()
  return group!
}

const nestedEvents = (run: CliResult) =>
  run.events.filter((e) => e["type"] === "stack-event" && String(e["stack"]).startsWith("mall/Web"))

describe("a group in a nested stack", () => {
  it("update-stack creates and updates the parent, shows the nested events and rolls the nested group; update-asgs and status see it", async () => {
    // Every test starts from a fresh moto: the nested template goes into its S3 first.
    await s3.send(new S3.CreateBucketCommand({ Bucket: BUCKET }))
    await s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key: "web.json", Body: webTemplate }))
    const template = join(workDir, "mall.json")
    writeFileSync(template, mallTemplate)
    const created = await cli("update-stack", ["mall", "--template", template, `ImageId=${amis[0]}`, ...ROLL])
    expectExit(created, 0)
    expect(created.summary).toMatchObject({ stackAction: "created", stackStatus: "CREATE_COMPLETE" })
    expect(nestedEvents(created).map((e) => `${e["logicalId"]} ${e["status"]}`)).toContainEqual(expect.stringMatching(/ CREATE_COMPLETE$/))
    const first = await nestedGroup()
    expect((created.summary!["groups"] as ReadonlyArray<Record<string, unknown>>).map((g) => g["name"])).toEqual([first])

    currentProxy().clearCalls()
    const updated = await cli("update-stack", ["mall", "--replace-all", `ImageId=${amis[1]}`, ...ROLL])
    expectExit(updated, 0)
    expect(updated.summary).toMatchObject({ status: "succeeded", stackAction: "updated", stackStatus: "UPDATE_COMPLETE" })
    expect(nestedEvents(updated).length).toBeGreaterThan(0)
    // Every event once.
    const keys = updated.events.filter((e) => e["type"] === "stack-event").map((e) => `${e["stack"]} ${e["logicalId"]} ${e["status"]} ${e["timestamp"]}`)
    expect(new Set(keys).size).toBe(keys.length)
    const group = await nestedGroup()
    const result = (updated.summary!["groups"] as ReadonlyArray<Record<string, any>>)
    expect(result.map((g) => `${g["name"]} ${g["status"]}`)).toEqual([`${group} succeeded`])
    const after = await readGroupState(sdk, group)
    expect([...result[0]!["launched"]].sort()).toEqual(after.ids)

    const again = await cli("update-asgs", ["mall", "--asg", "Web/Group", "--replace-all", ...ROLL])
    expectExit(again, 0)
    expect((again.summary!["groups"] as ReadonlyArray<Record<string, unknown>>).map((g) => `${g["name"]} ${g["status"]}`)).toEqual([`${group} succeeded`])

    const status = await cli("aws-ha-updater", ["status", "mall"])
    expectExit(status, 0)
    expect(status.stdout).toContain(`${group} (Web/Group)`)
  }, TEST_TIMEOUT)
})
