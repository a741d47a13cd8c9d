import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { SHOP, shopTemplate, templateFile, updateStackCli, mutating } from "../support/Stacks.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ROLE = "arn:aws:iam::123456789012:role/cfn-deployer"
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:shop-events"
const shopYaml = templateFile("options-shop.yaml", shopTemplate)
/** Over the 51,200-byte TemplateBody limit: only a TemplateURL can carry it. */
const bigTemplate = `# ${"x".repeat(60_000)}\n${shopTemplate}`
const bigYaml = templateFile("options-big.yaml", bigTemplate)
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex")

/** The shop stack with tags, as created long ago. */
const addTaggedShop = (terminationProtection = false) =>
  Effect.flatMap(FakeWorld, (w) =>
    w.addStack({
      name: SHOP,
      templateBody: shopTemplate,
      parameters: { AmiId: "ami-1", DbPassword: "hunter2" },
      tags: { team: "blue", env: "prod" },
      terminationProtection
    }))

const stack = Effect.gen(function*() {
  const found = (yield* (yield* FakeWorld).snapshot).stacks.find((s) => s.stackName === SHOP)
  return found ?? (yield* Effect.dieMessage("no shop stack"))
})

describe("update-stack stack options", () => {
  it.effect("creates the stack with its service role, tags, notification topic and termination protection", () =>
    Effect.gen(function*() {
      const r = yield* updateStackCli([
        SHOP, "--template", shopYaml, "--role-arn", ROLE, "--tags", "team=blue", "--tags", "cost-centre=42=a",
        "--notification-arns", TOPIC, "--termination-protection", "--no-asgs", "AmiId=ami-1", "DbPassword=secret-1"
      ])
      expect(r.code).toBe(0)
      expect(yield* stack).toMatchObject({
        status: "CREATE_COMPLETE",
        roleArn: ROLE,
        tags: { team: "blue", "cost-centre": "42=a" },
        notificationArns: [TOPIC],
        terminationProtection: true
      })
      expect(yield* mutating).toEqual(["CreateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("on update, a new tag goes over the stack's tags and keeps the others", () =>
    Effect.gen(function*() {
      yield* addTaggedShop()
      const r = yield* updateStackCli([SHOP, "--tags", "env=staging", "--tags", "owner=ops", "--no-asgs", "AmiId=ami-2"])
      expect(r.code).toBe(0)
      expect((yield* stack).tags).toEqual({ team: "blue", env: "staging", owner: "ops" })
    }).pipe(Effect.provide(world)))

  it.effect("on update, AWS's own aws: tags are not sent (AWS keeps them) and do not count towards the 50", () =>
    Effect.gen(function*() {
      yield* (yield* FakeWorld).addStack({
        name: SHOP,
        templateBody: shopTemplate,
        parameters: { AmiId: "ami-1", DbPassword: "hunter2" },
        tags: { "aws:servicecatalog:productArn": "arn:aws:catalog:eu-west-1:123456789012:product/prod-1", team: "blue" }
      })
      const tags = Array.from({ length: 49 }, (_, i) => ["--tags", `t${i}=v`]).flat()
      const r = yield* updateStackCli([SHOP, ...tags, "--no-asgs", "AmiId=ami-2"])
      expect(r.code, r.err.join("\n")).toBe(0)
      const after = (yield* stack).tags
      expect(Object.keys(after)).toHaveLength(51)
      expect(after).toMatchObject({ "aws:servicecatalog:productArn": "arn:aws:catalog:eu-west-1:123456789012:product/prod-1", team: "blue", t48: "v" })
    }).pipe(Effect.provide(world)))

  it.effect("on update without --tags, the stack keeps its tags, role and topics", () =>
    Effect.gen(function*() {
      yield* addTaggedShop()
      const r = yield* updateStackCli([SHOP, "--no-asgs", "AmiId=ami-2"])
      expect(r.code).toBe(0)
      expect(yield* stack).toMatchObject({ status: "UPDATE_COMPLETE", tags: { team: "blue", env: "prod" }, notificationArns: [] })
    }).pipe(Effect.provide(world)))

  it.effect("a tag change alone is an update", () =>
    Effect.gen(function*() {
      yield* addTaggedShop()
      const r = yield* updateStackCli([SHOP, "--tags", "env=staging", "--no-asgs"])
      expect(r.code).toBe(0)
      expect(yield* stack).toMatchObject({ status: "UPDATE_COMPLETE", tags: { team: "blue", env: "staging" } })
      expect(yield* mutating).toEqual(["UpdateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("--termination-protection on update enables it first when it is off, and calls nothing when it is on", () =>
    Effect.gen(function*() {
      yield* addTaggedShop()
      const r = yield* updateStackCli([SHOP, "--termination-protection", "--no-asgs", "AmiId=ami-2"])
      expect(r.code).toBe(0)
      expect(r.out.join("\n")).toContain("termination protection enabled")
      expect((yield* stack).terminationProtection).toBe(true)
      expect(yield* mutating).toEqual(["UpdateTerminationProtection", "UpdateStack"])
      const again = yield* updateStackCli([SHOP, "--termination-protection", "--no-asgs", "AmiId=ami-3"])
      expect(again.code).toBe(0)
      expect(yield* mutating).toEqual(["UpdateTerminationProtection", "UpdateStack", "UpdateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("--dry-run says it would enable termination protection, and only creates and deletes its change set", () =>
    Effect.gen(function*() {
      yield* addTaggedShop()
      const r = yield* updateStackCli([SHOP, "--dry-run", "--termination-protection", "--tags", "env=dev", "AmiId=ami-2"])
      expect(r.code).toBe(0)
      expect(r.out.join("\n")).toContain("termination protection is off: a real run enables it before the update")
      expect(yield* mutating).toEqual(["CreateChangeSet", "DeleteChangeSet"])
      expect(yield* stack).toMatchObject({ terminationProtection: false, tags: { team: "blue", env: "prod" } })
    }).pipe(Effect.provide(world)))
})

describe("update-stack --parameters FILE", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    [
      "the AWS CLI's JSON list, UsePreviousValue meaning keep",
      "list.json",
      JSON.stringify([{ ParameterKey: "AmiId", ParameterValue: "ami-2" }, { ParameterKey: "DbPassword", UsePreviousValue: true }])
    ],
    ["a template configuration file", "config.json", JSON.stringify({ Parameters: { AmiId: "ami-2" }, Tags: { team: "red", tier: "web" } })],
    ["a plain YAML map", "plain.yaml", "AmiId: ami-2\nEnv: prod\n"]
  ]
  for (const [name, file, content] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        yield* addTaggedShop()
        const r = yield* updateStackCli([SHOP, "--parameters", `file://${templateFile(file, content)}`, "--no-asgs"])
        expect(r.code).toBe(0)
        expect((yield* stack).parameters).toEqual({ AmiId: "ami-2", DbPassword: "hunter2", Env: "prod" })
      }).pipe(Effect.provide(world)))
  }

  it.effect("KEY=VALUE wins over the file, --tags over its Tags, and numbers and booleans become text", () =>
    Effect.gen(function*() {
      yield* addTaggedShop()
      const file = templateFile("config-win.yaml", "Parameters:\n  AmiId: ami-2\n  DbPassword: 1234567\nTags:\n  team: red\n  nightly: true\n")
      const r = yield* updateStackCli([SHOP, "--parameters", file, "--tags", "team=green", "--no-asgs", "AmiId=ami-3"])
      expect(r.code).toBe(0)
      const after = yield* stack
      expect(after.parameters).toEqual({ AmiId: "ami-3", DbPassword: "1234567", Env: "prod" })
      expect(after.tags).toEqual({ team: "green", env: "prod", nightly: "true" })
    }).pipe(Effect.provide(world)))
})

describe("update-stack --s3-bucket", () => {
  it.effect("uploads a body over 51,200 bytes to PREFIX/<sha256>.template and creates the stack from its TemplateURL", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addBucket("shop-templates")
      const r = yield* updateStackCli([
        SHOP, "--template", bigYaml, "--s3-bucket", "shop-templates", "--s3-prefix", "/deploys/shop/", "--no-asgs",
        "AmiId=ami-1", "DbPassword=secret-1"
      ])
      expect(r.code, r.err.join("\n")).toBe(0)
      const key = `deploys/shop/${sha256(bigTemplate)}.template`
      expect(r.out.join("\n")).toContain(`template uploaded to s3://shop-templates/${key}`)
      expect(yield* w.bucketObjects("shop-templates")).toEqual({ [key]: bigTemplate })
      expect(yield* stack).toMatchObject({ status: "CREATE_COMPLETE", templateBody: bigTemplate })
      expect(yield* mutating).toEqual(["PutObject", "CreateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("leaves a small body in the request unless --s3-upload-always, then uploads it too", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addBucket("shop-templates")
      yield* addTaggedShop()
      const small = templateFile("small.yaml", shopTemplate.replace("Orders:", "Orders2:"))
      expect((yield* updateStackCli([SHOP, "--template", small, "--s3-bucket", "shop-templates", "--no-asgs"])).code).toBe(0)
      expect(yield* w.bucketObjects("shop-templates")).toEqual({})
      expect((yield* updateStackCli([SHOP, "--template", shopYaml, "--s3-bucket", "shop-templates", "--s3-upload-always", "--no-asgs"])).code).toBe(0)
      expect(Object.keys(yield* w.bucketObjects("shop-templates"))).toEqual([`${sha256(shopTemplate)}.template`])
      expect(yield* mutating).toEqual(["UpdateStack", "PutObject", "UpdateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("--dry-run of an update with a large template sends the change set its TemplateURL", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addBucket("shop-templates")
      yield* addTaggedShop()
      const r = yield* updateStackCli([SHOP, "--dry-run", "--template", bigYaml, "--s3-bucket", "shop-templates", "AmiId=ami-2"])
      expect(r.code).toBe(0)
      expect(r.out.join("\n")).toContain("shop parameter: AmiId ami-1 -> ami-2")
      expect(yield* mutating).toEqual(["PutObject", "CreateChangeSet", "DeleteChangeSet"])
    }).pipe(Effect.provide(world)))
})

describe("update-stack refuses bad stack options with exit 2, one line, and no mutating call", () => {
  const file = (name: string, content: string) => () => templateFile(name, content)
  const cases: ReadonlyArray<readonly [string, () => ReadonlyArray<string>, string]> = [
    ["a role ARN that is no IAM role", () => [SHOP, "--role-arn", "arn:aws:iam::123456789012:user/bob"], "--role-arn arn:aws:iam::123456789012:user/bob: not an IAM role ARN"],
    ["a tag without =", () => [SHOP, "--tags", "team"], `--tags "team" is not KEY=VALUE`],
    ["a tag with an empty key", () => [SHOP, "--tags", "=blue"], `--tags: tag "" has an empty key`],
    ["a tag with an empty value", () => [SHOP, "--tags", "team="], `--tags: tag "team" has an empty value`],
    ["an aws: tag", () => [SHOP, "--tags", "aws:cloudformation:x=1"], "uses the aws: prefix"],
    ["a tag given twice", () => [SHOP, "--tags", "team=a", "--tags", "team=b"], "--tags: tag team is given twice"],
    ["a tag key over 128 characters", () => [SHOP, "--tags", `${"k".repeat(129)}=v`], "has a key longer than AWS's 128 characters"],
    ["a tag value over 256 characters", () => [SHOP, "--tags", `k=${"v".repeat(257)}`], "has a value longer than AWS's 256 characters"],
    ["more than 50 tags", () => [SHOP, ...Array.from({ length: 51 }, (_, i) => ["--tags", `t${i}=v`]).flat()], "--tags: 51 tags; AWS allows at most 50"],
    [
      "50 tags given over the stack's 2 others",
      () => [SHOP, ...Array.from({ length: 50 }, (_, i) => ["--tags", `t${i}=v`]).flat()],
      "the stack's 2 other tags and the 50 given make 52; AWS allows at most 50"
    ],
    ["a notification ARN that is no SNS topic", () => [SHOP, "--notification-arns", "arn:aws:sqs:eu-west-1:123456789012:q"], "not an SNS topic ARN"],
    ["a parameter file that does not exist", () => [SHOP, "--parameters", "/nonexistent/params.json"], "--parameters /nonexistent/params.json: no such file"],
    ["malformed JSON", () => [SHOP, "--parameters", templateFile("bad.json", "{\"AmiId\": ")], "bad.json: malformed JSON"],
    ["malformed YAML", () => [SHOP, "--parameters", templateFile("bad.yaml", "AmiId: [ami-2\n")], "bad.yaml: malformed YAML"],
    ["a file of the wrong shape", () => [SHOP, "--parameters", file("shape.json", "42")()], "shape.json: expected a list of {ParameterKey, ParameterValue}"],
    ["a value that is a list", () => [SHOP, "--parameters", file("listvalue.yaml", "AmiId: [a, b]\n")()], "listvalue.yaml: AmiId: expected a string, a number or a boolean"],
    [
      "a list entry without a value",
      () => [SHOP, "--parameters", file("novalue.json", JSON.stringify([{ ParameterKey: "AmiId" }]))()],
      "novalue.json: [0]"
    ],
    ["an unknown key in the file", () => [SHOP, "--parameters", file("unknown.yaml", "Colour: red\n")()], /the template has no parameter Colour \(from \/.*unknown\.yaml\)/],
    [
      "an unknown key the file keeps",
      () => [SHOP, "--parameters", file("keep.json", JSON.stringify([{ ParameterKey: "Colour", UsePreviousValue: true }]))()],
      /the template has no parameter Colour \(from \/.*keep\.json\)/
    ],
    ["a bad value from the file", () => [SHOP, "--parameters", file("badvalue.yaml", "AmiId: banana\n")()], /parameter AmiId \(from \/.*badvalue\.yaml\): "banana" does not match/],
    ["a bad tag in a template configuration", () => [SHOP, "--parameters", file("badtag.json", JSON.stringify({ Tags: { "aws:x": "1" } }))()], "badtag.json (Tags): tag \"aws:x\" uses the aws: prefix"],
    ["a body over 51,200 bytes without --s3-bucket", () => [SHOP, "--template", bigYaml], "give --s3-bucket BUCKET"],
    ["a bucket that does not exist", () => [SHOP, "--template", bigYaml, "--s3-bucket", "no-such-bucket"], "S3 bucket no-such-bucket does not exist (--s3-bucket)"],
    ["--s3-prefix without --s3-bucket", () => [SHOP, "--s3-prefix", "x"], "--s3-prefix needs --s3-bucket"],
    ["a bucket name S3 refuses", () => [SHOP, "--s3-bucket", "Shop_Templates"], "--s3-bucket Shop_Templates: not an S3 bucket name"]
  ] as ReadonlyArray<readonly [string, () => ReadonlyArray<string>, string | RegExp]> as never
  for (const [name, args, message] of cases as ReadonlyArray<readonly [string, () => ReadonlyArray<string>, string | RegExp]>) {
    it.effect(name, () =>
      Effect.gen(function*() {
        yield* addTaggedShop()
        const r = yield* updateStackCli(args())
        expect(r.code).toBe(2)
        expect(r.err).toHaveLength(1)
        if (typeof message === "string") expect(r.err[0]).toContain(message)
        else expect(r.err[0]).toMatch(message)
        expect(yield* mutating).toEqual([])
      }).pipe(Effect.provide(world)))
  }
})
