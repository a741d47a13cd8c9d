import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"

/**
 * The mall stack: its web tier lives in a nested stack (`Web`), its workers two levels down (`Back` → `Jobs`). The
 * release is the AmiId parameter, passed down to the nested stacks; a new one means a new launch template version
 * in each nested stack and outdated instances in both groups.
 */
export const MALL = "mall"
export const WEB_URL = "https://s3.amazonaws.com/mall-templates/web.yaml"
export const BACK_URL = "https://s3.amazonaws.com/mall-templates/back.yaml"
export const JOBS_URL = "https://s3.amazonaws.com/mall-templates/jobs.yaml"

/** A parent of nested stacks, logical id → TemplateURL, each passed the AmiId. */
export const parentTemplate = (nested: Readonly<Record<string, string>>): string => `
Parameters:
  AmiId:
    Type: String
Resources:
${Object.entries(nested).map(([id, url]) => `  ${id}:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ${url}
      Parameters:
        AmiId: !Ref AmiId
`).join("")}`

export const mallTemplate = parentTemplate({ Web: WEB_URL, Back: BACK_URL })

/** A tier: a launch template and its group. */
export const tier = (group: string, size: number, extra = "") => `
Parameters:
  AmiId:
    Type: String
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref AmiId
  ${group}:
    Type: AWS::AutoScaling::AutoScalingGroup${extra}
    Properties:
      MinSize: "${size}"
      MaxSize: "${size * 2}"
      DesiredCapacity: "${size}"
      LaunchTemplate:
        LaunchTemplateId: !Ref Template
        Version: !GetAtt Template.LatestVersionNumber
`

export const webTemplate = tier("Group", 2)
export const jobsTemplate = tier("Workers", 1)
export const backTemplate = `
Parameters:
  AmiId:
    Type: String
Resources:
  Jobs:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ${JOBS_URL}
      Parameters:
        AmiId: !Ref AmiId
  Queue:
    Type: AWS::SQS::Queue
`

/** The web tier with an UpdatePolicy on its group. */
export const webWithPolicy = tier("Group", 2, `
    UpdatePolicy:
      AutoScalingRollingUpdate:
        MinInstancesInService: 1`)

/** The bucket the nested templates are in. */
export const BUCKET = "mall-templates"

/** Puts `body` where `url` (https://s3.amazonaws.com/mall-templates/KEY) points, the bucket added first. */
export const putTemplate = (url: string, body: string) =>
  Effect.gen(function*() {
    const w = yield* FakeWorld
    yield* w.addBucket(BUCKET)
    yield* w.putObject(BUCKET, url.slice(url.indexOf(`${BUCKET}/`) + BUCKET.length + 1), body)
  })

/** The nested templates in the world's S3. */
export const putMallTemplates = Effect.all([putTemplate(WEB_URL, webTemplate), putTemplate(BACK_URL, backTemplate), putTemplate(JOBS_URL, jobsTemplate)], { discard: true })

/** The mall as created long ago with AmiId ami-1. */
export const addMall = Effect.gen(function*() {
  yield* putMallTemplates
  yield* (yield* FakeWorld).addStack({ name: MALL, templateBody: mallTemplate, parameters: { AmiId: "ami-1" } })
  // Created a minute ago: the update's events never share the look-back with the creation's, however little
  // simulated time the command spends before its first call (none once its modules are loaded).
  yield* TestClock.adjust("1 minute")
})

/** The nested stack named `parent-Logical-SUFFIX`. */
export const nestedStackName = (parent: string, logicalId: string) =>
  Effect.gen(function*() {
    const snap = yield* (yield* FakeWorld).snapshot
    const pattern = new RegExp(`^${parent}-${logicalId}-[0-9A-Z]+$`)
    const found = snap.stacks.find((s) => pattern.test(s.stackName) && s.status !== "DELETE_COMPLETE")
    if (found === undefined) return yield* Effect.dieMessage(`no nested stack ${logicalId} in ${parent}`)
    return found.stackName
  })
