import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { addShop, callsOf, mutating, SHOP, shopState, shopTemplate, templateFile, updateStackCli } from "../support/Stacks.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ASG_OPERATIONS = new Set([
  "DescribeAutoScalingGroups",
  "SuspendProcesses",
  "ResumeProcesses",
  "UpdateAutoScalingGroup",
  "TerminateInstanceInAutoScalingGroup",
  "CreateOrUpdateTags",
  "DeleteTags",
  "DescribeInstanceRefreshes"
])
const asgCalls = Effect.map(callsOf, (calls) => calls.filter((c) => ASG_OPERATIONS.has(c.operation)).map((c) => c.operation))
/** After the groups were checked (read-only) before the stack action: any call that could change a group. */
const asgChanges = Effect.map(asgCalls, (ops) => ops.filter((op) => !op.startsWith("Describe")))

const shopYaml = templateFile("shop.yaml", shopTemplate)

describe("update-stack CLI", () => {
  it.effect("creates a stack from a YAML template with short tags, then finds its new group up to date", () =>
    Effect.gen(function*() {
      const r = yield* updateStackCli([SHOP, "--template", shopYaml, "AmiId=ami-1", "DbPassword=secret=1", "--output", "json"])
      expect(r.code).toBe(0)
      expect(r.summary).toMatchObject({ type: "summary", status: "up-to-date", stackStatus: "CREATE_COMPLETE", stackAction: "created", exitCode: 0 })
      expect(r.summary?.["groups"]).toMatchObject([{ status: "up-to-date" }])
      expect(r.lines.filter((l) => l["type"] === "stack-event").map((l) => `${l["logicalId"]} ${l["status"]}`).at(-1)).toBe("shop CREATE_COMPLETE")
      const { stack, web } = yield* shopState
      expect(stack.parameters).toEqual({ AmiId: "ami-1", DbPassword: "secret=1", Env: "prod" })
      expect(web.tags["Name"]).toBe("shop-web")
      expect(yield* mutating).toEqual(["CreateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("updates the stack, then replaces the group's instances with the new launch template version", () =>
    Effect.gen(function*() {
      yield* addShop
      const before = yield* shopState
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--output", "json"])
      expect(r.code).toBe(0)
      expect(r.summary).toMatchObject({ status: "succeeded", stackStatus: "UPDATE_COMPLETE", stackAction: "updated" })
      expect(r.summary?.["groups"]).toMatchObject([{ name: before.web.name, status: "succeeded" }])
      const after = yield* shopState
      const running = after.web.instances.filter((i) => i.lifecycleState === "InService")
      expect(running.map((i) => i.launchTemplate?.version)).toEqual(["2", "2"])
      expect(running.some((i) => before.web.instances.some((b) => b.instanceId === i.instanceId))).toBe(false)
      // The NoEcho password was sent as UsePreviousValue: re-sending the masked value would have stored "****".
      expect(after.stack.parameters).toEqual({ AmiId: "ami-2", DbPassword: "hunter2", Env: "prod" })
      expect((yield* mutating)[0]).toBe("UpdateStack")
    }).pipe(Effect.provide(world)))

  it.effect("\"No updates are to be performed\" is success, and the run goes on to the groups", () =>
    Effect.gen(function*() {
      yield* addShop
      const { web } = yield* shopState
      yield* (yield* FakeWorld).setLaunchTemplateVersion(web.name, "2")
      const r = yield* updateStackCli([SHOP])
      expect(r.code).toBe(0)
      const text = r.out.join("\n")
      expect(text).toContain("shop no-updates: No updates are to be performed")
      expect(text).toContain(`Summary: stack shop: succeeded (exit 0)`)
      expect(text).toContain("stack: no updates to perform (CREATE_COMPLETE)")
      expect((yield* callsOf).filter((c) => c.operation === "DescribeStackEvents")).toHaveLength(1)
      expect((yield* mutating).filter((op) => op === "TerminateInstanceInAutoScalingGroup")).toHaveLength(2)
    }).pipe(Effect.provide(world)))

  it.effect("a failed update exits 1 with stack-failed, the stack's status and the reason, and touches no group", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).failNextStackUpdate(SHOP, "Web", "Invalid AMI ami-2")
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--output", "json"])
      expect(r.code).toBe(1)
      expect(r.summary).toMatchObject({ status: "stack-failed", stackStatus: "UPDATE_ROLLBACK_COMPLETE", groups: [], exitCode: 1 })
      expect(r.summary?.["error"]).toBe("stack shop ended UPDATE_ROLLBACK_COMPLETE: Web: Invalid AMI ami-2")
      expect(yield* asgChanges).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("no event within the warm-up exits 1 with stack-timed-out and says CloudFormation goes on by itself", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).delayNextStackAction(SHOP, "2 minutes")
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--warmup-seconds", "25"])
      expect(r.code).toBe(1)
      expect(r.err).toHaveLength(1)
      expect(r.err[0]).toContain("no event of our action within the 25 s warm-up (now UPDATE_IN_PROGRESS)")
      expect(r.err[0]).toContain("CloudFormation goes on by itself")
      expect(r.out.join("\n")).toContain("Summary: stack shop: stack-timed-out (exit 1)")
      expect(yield* asgChanges).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--action-timeout is an idle limit: a longer gap between events exits 1 with stack-timed-out", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--action-timeout", "15", "--output", "json"], "1 second")
      expect(r.code).toBe(1)
      expect(r.summary).toMatchObject({ status: "stack-timed-out", stackStatus: "UPDATE_IN_PROGRESS" })
      expect(yield* asgChanges).toEqual([])
    }).pipe(Effect.provide(FakeAws.layer({ stackEventInterval: "20 seconds" }))))

  it.effect("--no-asgs updates the stack only; the seed's --lenient_look_back spelling is accepted", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--no-asgs", "--lenient_look_back", "0", "--output", "json"])
      expect(r.code).toBe(0)
      expect(r.summary).toMatchObject({ status: "succeeded", stackStatus: "UPDATE_COMPLETE", groups: [] })
      expect(yield* asgCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--dry-run prints the changes and parameter differences, and only creates and deletes its change set", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "--dry-run", "AmiId=ami-2"])
      expect(r.code).toBe(0)
      const text = r.out.join("\n")
      expect(text).toContain("shop change: Modify WebTemplate AWS::EC2::LaunchTemplate, replacement: False")
      expect(text).toContain("shop change: Modify Web AWS::AutoScaling::AutoScalingGroup, replacement: False")
      expect(text).toContain("shop parameter: AmiId ami-1 -> ami-2")
      expect(yield* mutating).toEqual(["CreateChangeSet", "DeleteChangeSet"])
      const { stack, web } = yield* shopState
      expect([stack.parameters["AmiId"], web.launchTemplate?.version]).toEqual(["ami-1", "1"])
    }).pipe(Effect.provide(world)))

  it.effect("--dry-run on a stack that does not exist lists the template's resources and calls nothing that changes", () =>
    Effect.gen(function*() {
      const r = yield* updateStackCli(["new-shop", "--dry-run", "--template", shopYaml, "AmiId=ami-1", "DbPassword=secret-1", "--output", "json"])
      expect(r.code).toBe(0)
      expect(r.summary).toMatchObject({ status: "succeeded", dryRun: true, parameterChanges: [{ key: "AmiId", to: "ami-1" }, { key: "DbPassword", to: "****" }] })
      expect((r.summary?.["changes"] as ReadonlyArray<{ logicalId: string }>).map((c) => c.logicalId)).toEqual(["WebTemplate", "Web", "Orders"])
      expect(yield* mutating).toEqual([])
      expect((yield* (yield* FakeWorld).snapshot).stacks).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("shows each stack event once as time, status, logical id, type and reason", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).failNextStackUpdate(SHOP, "Web", "Invalid AMI ami-2")
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2"])
      const failed = (yield* shopState).stack.events.find((e) => e.status === "UPDATE_FAILED")
      // CloudFormation's time of the event, not the time we saw it.
      const at = new Date(failed?.timestamp ?? 0).toISOString().replace(/\.\d{3}Z$/, "Z")
      expect(r.out).toContain(`${at} shop UPDATE_FAILED Web AWS::AutoScaling::AutoScalingGroup: Invalid AMI ami-2`)
      expect(r.out.filter((l) => l.includes(" UPDATE_FAILED Web "))).toHaveLength(1)
    }).pipe(Effect.provide(world)))
})

describe("update-stack refuses bad input with exit 2, one line, and no mutating call", () => {
  const cases: ReadonlyArray<readonly [string, () => ReadonlyArray<string>, string]> = [
    ["an unknown parameter", () => [SHOP, "Colour=red"], "the template has no parameter Colour (its parameters: AmiId, DbPassword, Env)"],
    ["a malformed KEY=VALUE", () => [SHOP, "AmiId"], `"AmiId" is not KEY=VALUE`],
    ["a repeated KEY", () => [SHOP, "AmiId=ami-2", "AmiId=ami-3"], "parameter AmiId is given twice"],
    ["a create without a template", () => ["new-stack", "AmiId=ami-1"], "stack new-stack does not exist: creating it needs --template FILE|URL"],
    [
      "a body over 51,200 bytes",
      () => [SHOP, "--template", templateFile("big.yaml", `# ${"x".repeat(60_000)}\n${shopTemplate}`)],
      "over CloudFormation's limit of 51,200 bytes for a body: give --s3-bucket BUCKET"
    ],
    [
      "an AllowedPattern violation",
      () => [SHOP, "AmiId=banana"],
      `parameter AmiId: "banana" does not match its AllowedPattern ami-[a-z0-9]+ — an AMI id such as ami-0abc`
    ],
    ["a create without a required parameter", () => ["new-stack", "--template", shopYaml, "AmiId=ami-1"], "parameter DbPassword must have a value"],
    ["a template that does not parse", () => [SHOP, "--template", templateFile("bad.yaml", "Resources:\n  A: [\n")], "the template is invalid: Template format error: YAML not well-formed"],
    ["a bad --capabilities", () => [SHOP, "--capabilities", "CAPABILITY_ROOT"], "--capabilities: unknown CAPABILITY_ROOT"],
    [
      "a template that needs a capability not given",
      () => [SHOP, "--capabilities", "", "--template", templateFile("iam.yaml", `${shopTemplate}  Role:\n    Type: AWS::IAM::Role\n`), "AmiId=ami-2"],
      "the template needs CAPABILITY_IAM: add it to --capabilities (now: none)"
    ]
  ]
  for (const [name, args, message] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        yield* addShop
        const r = yield* updateStackCli(args())
        expect(r.code).toBe(2)
        expect(r.err).toHaveLength(1)
        expect(r.err[0]).toContain(message)
        expect(yield* mutating).toEqual([])
      }).pipe(Effect.provide(world)))
  }

  it.effect("a stack whose update is in progress is refused with its state and what to do", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).delayNextStackAction(SHOP, "10 minutes")
      yield* updateStackCli([SHOP, "AmiId=ami-2", "--warmup-seconds", "5", "--no-asgs"])
      const before = (yield* mutating).length
      const r = yield* updateStackCli([SHOP, "AmiId=ami-3"])
      expect(r.code).toBe(2)
      expect(r.err[0]).toBe("error: stack shop is UPDATE_IN_PROGRESS and cannot be updated: an operation is in progress: wait until CloudFormation finishes, then run again")
      expect((yield* mutating).length).toBe(before)
    }).pipe(Effect.provide(world)))
})
