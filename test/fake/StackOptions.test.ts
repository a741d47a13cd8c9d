import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { TemplateBucket } from "../../src/services/TemplateBucket.js"

const body = JSON.stringify({ Parameters: { Env: { Type: "String", Default: "prod" } }, Resources: { Q: { Type: "AWS::SQS::Queue" } } })
const URL_FORMS = [
  "https://templates.s3.eu-west-1.amazonaws.com/app/q.template",
  "https://templates.s3.amazonaws.com/app/q.template",
  "https://s3.eu-west-1.amazonaws.com/templates/app/q.template"
]
const input = { parameters: [], capabilities: [], clientRequestToken: "t-1" }

describe("the fake CloudFormation and S3", () => {
  it.effect("reads a TemplateURL from its S3 in each URL form CloudFormation takes, and refuses a missing object", () =>
    Effect.gen(function*() {
      yield* (yield* FakeWorld).addBucket("templates")
      yield* (yield* TemplateBucket).putTemplate({ bucket: "templates", key: "app/q.template", body })
      const cfn = yield* CloudFormation
      for (const url of URL_FORMS) {
        expect((yield* cfn.validateTemplate({ _tag: "Url", url })).parameters.map((p) => p.key)).toEqual(["Env"])
      }
      const missing = yield* Effect.flip(cfn.createStack({ ...input, stackName: "q", template: { _tag: "Url", url: `${URL_FORMS[0]}x` } }))
      expect(missing).toMatchObject({ _tag: "AwsValidationError", message: "S3 error: The specified key does not exist." })
      yield* cfn.createStack({ ...input, stackName: "q", template: { _tag: "Url", url: URL_FORMS[2] ?? "" } })
      expect((yield* (yield* FakeWorld).snapshot).stacks[0]?.templateBody).toBe(body)
    }).pipe(Effect.provide(FakeAws.layer())))

  it.effect("refuses a put or a look at a bucket that does not exist", () =>
    Effect.gen(function*() {
      const s3 = yield* TemplateBucket
      expect(yield* Effect.flip(s3.checkBucket("nope"))).toMatchObject({ _tag: "BucketNotFound", bucket: "nope" })
      expect(yield* Effect.flip(s3.putTemplate({ bucket: "nope", key: "k", body }))).toMatchObject({ _tag: "BucketNotFound" })
    }).pipe(Effect.provide(FakeAws.layer())))

  it.effect("refuses what AWS refuses of tags, topics and role, changing nothing", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      const create = (extra: object) => Effect.flip(cfn.createStack({ ...input, stackName: "q", template: { _tag: "Body", body }, ...extra }))
      expect((yield* create({ tags: [{ key: "aws:x", value: "1" }] })).message).toContain("aws: prefix is reserved")
      expect((yield* create({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })) })).message).toContain("less than or equal to 50")
      expect((yield* create({ notificationArns: Array.from({ length: 6 }, (_, i) => `arn:aws:sns:eu-west-1:123456789012:t${i}`) })).message).toContain("less than or equal to 5")
      expect((yield* create({ roleArn: "arn:aws:iam::123456789012:user/bob" })).message).toContain("is invalid or cannot be assumed")
      expect((yield* (yield* FakeWorld).snapshot).stacks).toEqual([])
    }).pipe(Effect.provide(FakeAws.layer())))

  it.effect("UpdateStack with tags replaces the whole set; DescribeStacks shows role, tags and protection", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      yield* cfn.createStack({
        ...input,
        stackName: "q",
        template: { _tag: "Body", body },
        roleArn: "arn:aws:iam::123456789012:role/cfn",
        tags: [{ key: "a", value: "1" }, { key: "b", value: "2" }],
        enableTerminationProtection: true
      })
      yield* TestClock.adjust("1 second")
      yield* cfn.updateStack({ ...input, stackName: "q", template: Option.none(), clientRequestToken: "t-2", tags: [{ key: "c", value: "3" }] })
      const described = Option.getOrThrow(yield* cfn.describeStack("q"))
      expect(described).toMatchObject({
        roleArn: "arn:aws:iam::123456789012:role/cfn",
        tags: [{ key: "c", value: "3" }],
        terminationProtection: true,
        notificationArns: []
      })
      yield* cfn.updateTerminationProtection("q", false)
      expect(Option.getOrThrow(yield* cfn.describeStack("q")).terminationProtection).toBe(false)
    }).pipe(Effect.provide(FakeAws.layer({ stackEventInterval: "1 millis" }))))
})
