import * as AS from "@aws-sdk/client-auto-scaling"
import * as CW from "@aws-sdk/client-cloudwatch"
import * as ELB from "@aws-sdk/client-elastic-load-balancing"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { afterAll, beforeAll, inject } from "vitest"
import { AwsClientConfig } from "../../src/layers/live/AwsClientConfig.js"
import { Alarms } from "../../src/services/Alarms.js"
import * as LiveAws from "../../src/layers/live/LiveAws.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { CloudFormation, type StackActionInput } from "../../src/services/CloudFormation.js"
import { LaunchTemplates } from "../../src/services/LaunchTemplates.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { RetryPolicy } from "../../src/services/Retry.js"
import { motoRegion, resetMoto } from "../support/moto.js"
import {
  type BaseWorld,
  createBaseWorld,
  createGroup,
  createMixedGroup,
  destroyClients,
  sdkClients,
  stackTemplate
} from "../support/motoWorld.js"

const motoUrl = inject("motoUrl")
const sdk = sdkClients(motoUrl)
let world: BaseWorld

beforeAll(async () => {
  await resetMoto(motoUrl)
  world = await createBaseWorld(sdk)
})

afterAll(() => destroyClients(sdk))

const live = LiveAws.layerWithoutDependencies.pipe(
  Layer.provide(Layer.succeed(AwsClientConfig, { region: motoRegion, endpoint: motoUrl })),
  // Moto answers at once: short retries keep a failing test from waiting out the production schedule.
  Layer.provide(Layer.succeed(RetryPolicy, { schedule: Schedule.intersect(Schedule.spaced("20 millis"), Schedule.recurs(2)) }))
)

const group = (name: string) =>
  Effect.flatMap(AutoScaling, (as) => as.describeGroups([name])).pipe(
    Effect.flatMap((groups) => Effect.fromNullable(groups[0])),
    Effect.orDie
  )

const setup = <A>(f: () => Promise<A>) => Effect.promise(f)

const action = (stackName: string, clientRequestToken: string): StackActionInput => ({
  stackName,
  parameters: [],
  capabilities: [],
  clientRequestToken
})

layer(live, { excludeTestServices: true })("live layers against moto", (it) => {
  it.effect("describes a group with its launch template, instances, load balancers and tags", () =>
    Effect.gen(function*() {
      yield* setup(() => createGroup(sdk, world, { name: "describe-me", tags: { team: "blue" } }))
      const g = yield* group("describe-me")
      expect(g).toMatchObject({
        name: "describe-me",
        minSize: 1,
        maxSize: 6,
        desiredCapacity: 2,
        launchTemplate: { id: world.launchTemplateId, name: "web", version: "$Latest" },
        loadBalancerNames: [world.loadBalancerName],
        targetGroupArns: [world.targetGroupArn],
        suspendedProcesses: [],
        tags: { team: "blue" },
        healthCheckType: "EC2"
      })
      expect(g.instances).toHaveLength(2)
      for (const instance of g.instances) {
        expect(instance).toMatchObject({
          lifecycleState: "InService",
          healthStatus: "Healthy",
          protectedFromScaleIn: false,
          weightedCapacity: 1,
          launchTemplate: { id: world.launchTemplateId }
        })
        expect(world.availabilityZones).toContain(instance.availabilityZone)
      }
    }))

  it.effect("finds the launch template of a mixed-instances group", () =>
    Effect.gen(function*() {
      yield* setup(() => createMixedGroup(sdk, world, "mixed"))
      const g = yield* group("mixed")
      expect(g.launchTemplate).toEqual({ id: world.launchTemplateId, name: "web", version: "$Default" })
      // Moto launches desired / weight instances but reports no WeightedCapacity on them: we fall back to 1.
      expect(g.instances.map((i) => i.weightedCapacity)).toEqual([1, 1])
    }))

  it.effect("describes more groups than one call takes, and leaves unknown names out", () =>
    Effect.gen(function*() {
      const names = Array.from({ length: 105 }, (_, i) => `bulk-${String(i).padStart(3, "0")}`)
      yield* setup(() =>
        Promise.all(
          names.map((name) => createGroup(sdk, world, { name, minSize: 0, desiredCapacity: 0, behindLoadBalancers: false }))
        )
      )
      const groups = yield* Effect.flatMap(AutoScaling, (as) => as.describeGroups([...names, "no-such-group", names[0]!]))
      expect(groups.map((g) => g.name).sort()).toEqual(names)
      expect(yield* Effect.flatMap(AutoScaling, (as) => as.describeGroups([]))).toEqual([])
    }))

  it.effect("suspends and resumes processes", () =>
    Effect.gen(function*() {
      yield* setup(() => createGroup(sdk, world, { name: "processes", behindLoadBalancers: false }))
      const as = yield* AutoScaling
      yield* as.suspendProcesses("processes", ["AZRebalance", "ReplaceUnhealthy"])
      expect([...(yield* group("processes")).suspendedProcesses].sort()).toEqual(["AZRebalance", "ReplaceUnhealthy"])
      yield* as.resumeProcesses("processes", ["AZRebalance"])
      expect((yield* group("processes")).suspendedProcesses).toEqual(["ReplaceUnhealthy"])
    }))

  it.effect("scales out, and the new instances show up in the classic ELB and the target group", () =>
    Effect.gen(function*() {
      yield* setup(() => createGroup(sdk, world, { name: "scale-out", minSize: 1, desiredCapacity: 1 }))
      const as = yield* AutoScaling
      const lb = yield* LoadBalancing
      yield* as.updateSizes("scale-out", { maxSize: 5, desiredCapacity: 3 })
      const g = yield* group("scale-out")
      expect(g).toMatchObject({ minSize: 1, maxSize: 5, desiredCapacity: 3 })
      expect(g.instances).toHaveLength(3)
      const ids = g.instances.map((i) => i.instanceId).sort()

      // Moto registers scaled-out instances at once and calls them healthy straight away.
      const classic = yield* lb.classicHealth(world.loadBalancerName, ids)
      expect(classic.map((h) => h.instanceId).sort()).toEqual(ids)
      expect(classic.every((h) => h.state === "InService" && h.reason === undefined)).toBe(true)
      const targets = (yield* lb.targetHealth(world.targetGroupArn)).filter((h) => ids.includes(h.instanceId))
      expect(targets.map((h) => h.instanceId).sort()).toEqual(ids)
      expect(targets.every((h) => h.state === "healthy")).toBe(true)

      expect(yield* lb.classicHealth(world.loadBalancerName, [])).toEqual([])
    }))

  it.effect("terminates an instance with decrement, and the classic ELB drops it", () =>
    Effect.gen(function*() {
      yield* setup(() => createGroup(sdk, world, { name: "shrink", minSize: 1, desiredCapacity: 3 }))
      const as = yield* AutoScaling
      const lb = yield* LoadBalancing
      const victim = (yield* group("shrink")).instances[0]!.instanceId
      yield* as.terminateInstance(victim, true)
      const g = yield* group("shrink")
      expect(g.desiredCapacity).toBe(2)
      expect(g.instances.map((i) => i.instanceId)).not.toContain(victim)
      expect((yield* lb.classicHealth(world.loadBalancerName)).map((h) => h.instanceId)).not.toContain(victim)
      // Moto leaves the instance in the target group and still calls it healthy; AWS would drain it.
      const targets = yield* lb.targetHealth(world.targetGroupArn)
      expect(targets.filter((h) => h.instanceId === victim)).toEqual([{ instanceId: victim, state: "healthy" }])
    }))

  it.effect("sets tags without propagating them, and deletes them", () =>
    Effect.gen(function*() {
      yield* setup(() => createGroup(sdk, world, { name: "tagged", behindLoadBalancers: false, tags: { keep: "me" } }))
      const as = yield* AutoScaling
      yield* as.setTags("tagged", { "ha-updater:phase": "scaling-out", "ha-updater:desired": "2" })
      expect((yield* group("tagged")).tags).toEqual({
        keep: "me",
        "ha-updater:phase": "scaling-out",
        "ha-updater:desired": "2"
      })
      const raw = yield* setup(() =>
        sdk.autoScaling.send(new AS.DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["ha-updater:phase"] }] }))
      )
      expect(raw.Tags?.map((t) => t.PropagateAtLaunch)).toEqual([false])
      yield* as.deleteTags("tagged", ["ha-updater:phase", "ha-updater:desired"])
      expect((yield* group("tagged")).tags).toEqual({ keep: "me" })
    }))

  it.effect("reports moto's missing DescribeInstanceRefreshes as a transient failure after our retries", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flatMap(AutoScaling, (as) => as.instanceRefreshInProgress("processes")).pipe(
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "TransientAwsError", operation: "DescribeInstanceRefreshes" })
    }))

  it.effect("classic health of instances it does not know is an error of the call, not an empty answer", () =>
    Effect.gen(function*() {
      yield* setup(() =>
        sdk.elb.send(
          new ELB.CreateLoadBalancerCommand({
            LoadBalancerName: "empty-clb",
            Listeners: [{ Protocol: "HTTP", LoadBalancerPort: 80, InstancePort: 8080 }],
            AvailabilityZones: [...world.availabilityZones]
          })
        )
      )
      const lb = yield* LoadBalancing
      expect(yield* lb.classicHealth("empty-clb")).toEqual([])
      const error = yield* lb.classicHealth("no-such-clb").pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "AwsCallFailed", operation: "DescribeInstanceHealth" })
    }))

  it.effect("resolves $Latest and $Default of a launch template", () =>
    Effect.gen(function*() {
      const versions = yield* Effect.flatMap(LaunchTemplates, (lt) => lt.versions(world.launchTemplateId))
      expect(versions).toEqual({ latest: "2", default: "1" })
      const error = yield* Effect.flatMap(LaunchTemplates, (lt) => lt.versions("lt-0000000000000000")).pipe(Effect.flip)
      expect(error.operation).toBe("DescribeLaunchTemplates")
    }))

  it.effect("says None for a stack that does not exist", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flatMap(CloudFormation, (cfn) => cfn.describeStack("no-such-stack"))).toEqual(Option.none())
    }))

  it.effect("validates a template, and calls a malformed one TemplateInvalid", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      // Moto runs cfn-lint but returns no parameter declarations.
      const validated = yield* cfn.validateTemplate({ _tag: "Body", body: stackTemplate(world.imageId) })
      expect(validated.capabilities).toEqual([])
      const malformed = yield* cfn.validateTemplate({ _tag: "Body", body: "{ \"Resources\": " }).pipe(Effect.flip)
      expect(malformed._tag).toBe("TemplateInvalid")
      const unknownType = yield* cfn.validateTemplate({
        _tag: "Body",
        body: JSON.stringify({ Resources: { X: { Type: "AWS::Nope::Thing" } } })
      }).pipe(Effect.flip)
      expect(unknownType).toMatchObject({ _tag: "TemplateInvalid" })
    }))

  it.effect("creates, reads, updates and lists a stack, with its events", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      const body = stackTemplate(world.imageId)
      const stackId = yield* cfn.createStack({
        ...action("app", "create-1"),
        parameters: [{ key: "InstanceType", value: "t3.micro" }],
        template: { _tag: "Body", body }
      })
      expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:\d+:stack\/app\//)

      const stack = yield* cfn.describeStack("app").pipe(Effect.flatten, Effect.orDie)
      expect(stack).toMatchObject({
        stackId,
        stackName: "app",
        status: "CREATE_COMPLETE",
        parameters: [{ key: "InstanceType", value: "t3.micro" }],
        capabilities: []
      })

      const resources = yield* cfn.listResources("app")
      expect(resources.map((r) => [r.logicalId, r.resourceType, r.status])).toEqual(
        expect.arrayContaining([
          ["Template", "AWS::EC2::LaunchTemplate", "CREATE_COMPLETE"],
          ["Group", "AWS::AutoScaling::AutoScalingGroup", "CREATE_COMPLETE"]
        ])
      )
      const groupName = resources.find((r) => r.logicalId === "Group")!.physicalId
      expect((yield* group(groupName)).instances).toHaveLength(2)

      expect(JSON.parse(yield* cfn.getTemplate("app"))).toEqual(JSON.parse(body))

      const unchanged = yield* cfn.updateStack({
        ...action("app", "update-noop"),
        parameters: [{ key: "InstanceType", usePreviousValue: true }],
        template: Option.none()
      })
      expect(unchanged).toEqual({ _tag: "NoUpdates" })

      const started = yield* cfn.updateStack({
        ...action("app", "update-1"),
        parameters: [{ key: "InstanceType", value: "t3.small" }],
        template: Option.some({ _tag: "Body", body })
      })
      expect(started).toEqual({ _tag: "Started", stackId })
      expect(yield* cfn.describeStack("app").pipe(Effect.map(Option.map((s) => s.status)))).toEqual(
        Option.some("UPDATE_COMPLETE")
      )

      const events = yield* cfn.stackEvents("app", (e) => e.logicalId === "app" && e.status === "UPDATE_IN_PROGRESS")
      expect(events[0]).toMatchObject({ stackName: "app", logicalId: "app", status: "UPDATE_COMPLETE" })
      expect(events.map((e) => e.status)).toEqual(
        expect.arrayContaining(["UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_IN_PROGRESS"])
      )
      const timestamps = events.map((e) => e.timestamp)
      expect(timestamps).toEqual([...timestamps].sort((a, b) => b - a))
      // Moto does not echo ClientRequestToken on events; AWS does.
      expect(events.every((e) => e.clientRequestToken === undefined)).toBe(true)
    }))

  it.effect("creates, describes and deletes a change set", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      yield* cfn.createStack({ ...action("changes", "create-changes"), template: { _tag: "Body", body: stackTemplate(world.imageId) } })
      const changeSetId = yield* cfn.createChangeSet({
        ...action("changes", "cs-token"),
        changeSetName: "add-topic",
        changeSetType: "UPDATE",
        template: Option.some({
          _tag: "Body",
          body: stackTemplate(world.imageId, { Topic: { Type: "AWS::SNS::Topic" } })
        })
      })
      expect(changeSetId).toMatch(/changeSet\/add-topic\//)

      const description = yield* cfn.describeChangeSet("changes", "add-topic")
      expect(description).toMatchObject({ changeSetId, status: "CREATE_COMPLETE" })
      expect(description.changes).toEqual([
        { action: "Add", logicalId: "Topic", resourceType: "AWS::SNS::Topic", scope: [] }
      ])

      yield* cfn.deleteChangeSet("changes", "add-topic")
      const gone = yield* cfn.describeChangeSet("changes", "add-topic").pipe(Effect.flip)
      expect(gone.operation).toBe("DescribeChangeSet")
    }))

  it.effect("reads an alarm's state and reason as SetAlarmState left them, and leaves an unknown name out", () =>
    Effect.gen(function*() {
      const reason = "Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (10.0)."
      yield* setup(async () => {
        await sdk.cloudWatch.send(
          new CW.PutMetricAlarmCommand({
            AlarmName: "web-5xx",
            Namespace: "AWS/ApplicationELB",
            MetricName: "HTTPCode_Target_5XX_Count",
            Statistic: "Sum",
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 10,
            ComparisonOperator: "GreaterThanThreshold"
          })
        )
        await sdk.cloudWatch.send(new CW.SetAlarmStateCommand({ AlarmName: "web-5xx", StateValue: "ALARM", StateReason: reason }))
      })
      const alarms = yield* Effect.flatMap(Alarms, (a) => a.describe(["web-5xx", "no-such-alarm"]))
      expect(alarms).toEqual([{ name: "web-5xx", state: "ALARM", reason }])
      expect(yield* Effect.flatMap(Alarms, (a) => a.describe(["no-such-alarm"]))).toEqual([])
    }))
})
