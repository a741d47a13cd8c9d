import type { StateValue } from "@aws-sdk/client-cloudwatch"
import { describe, expect, it } from "@effect/vitest"
import { toAlarmState } from "../../src/layers/live/LiveAlarms.js"
import { toGroup } from "../../src/layers/live/LiveAutoScaling.js"
import { toStackEvent } from "../../src/layers/live/LiveCloudFormation.js"
import { toClassicHealth, toTargetHealth } from "../../src/layers/live/LiveLoadBalancing.js"

/** What moto cannot show: weights on instances, and the SDK shapes of unhealthy answers. */
describe("SDK responses to domain types", () => {
  const instance = (id: string, WeightedCapacity?: string) => ({
    InstanceId: id,
    AvailabilityZone: "eu-west-1a",
    LifecycleState: "InService" as const,
    HealthStatus: "Healthy",
    ProtectedFromScaleIn: true,
    LaunchTemplate: { LaunchTemplateId: "lt-1", LaunchTemplateName: "web", Version: "7" },
    ...(WeightedCapacity !== undefined ? { WeightedCapacity } : {})
  })

  it("reads the template of a mixed-instances group and the weight of each instance", () => {
    const group = toGroup({
      AutoScalingGroupName: "web",
      MinSize: 2,
      MaxSize: 8,
      DesiredCapacity: 4,
      DefaultCooldown: 300,
      AvailabilityZones: ["eu-west-1a"],
      HealthCheckType: "ELB",
      CreatedTime: new Date(0),
      MixedInstancesPolicy: {
        LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: "lt-1", LaunchTemplateName: "web" } }
      },
      Instances: [instance("i-a", "2"), instance("i-b", "1.5"), instance("i-c", "nonsense"), instance("i-d")],
      SuspendedProcesses: [{ ProcessName: "AZRebalance", SuspensionReason: "User suspended" }],
      Tags: [{ Key: "team", Value: "blue" }, { Key: "empty" }],
      Status: "Delete in progress"
    })
    expect(group).toMatchObject({
      launchTemplate: { id: "lt-1", name: "web", version: "$Default" },
      suspendedProcesses: ["AZRebalance"],
      tags: { team: "blue", empty: "" },
      healthCheckType: "ELB",
      status: "Delete in progress",
      loadBalancerNames: [],
      targetGroupArns: []
    })
    expect(group.instances.map((i) => i.weightedCapacity)).toEqual([2, 1.5, 1, 1])
    expect(group.instances[0]).toEqual({
      instanceId: "i-a",
      lifecycleState: "InService",
      healthStatus: "Healthy",
      availabilityZone: "eu-west-1a",
      protectedFromScaleIn: true,
      launchTemplate: { id: "lt-1", name: "web", version: "7" },
      weightedCapacity: 2
    })
  })

  it("keeps a launch configuration and leaves the template out when there is none", () => {
    const group = toGroup({
      AutoScalingGroupName: "old",
      MinSize: 1,
      MaxSize: 2,
      DesiredCapacity: 1,
      DefaultCooldown: 300,
      AvailabilityZones: [],
      HealthCheckType: "EC2",
      CreatedTime: new Date(0),
      LaunchConfigurationName: "old-lc"
    })
    expect(group.launchConfigurationName).toBe("old-lc")
    expect("launchTemplate" in group).toBe(false)
    expect("status" in group).toBe(false)
  })

  it("gives the reason of an unhealthy classic instance, and none for N/A", () => {
    expect(toClassicHealth({ InstanceId: "i-a", State: "InService", ReasonCode: "N/A", Description: "N/A" })).toEqual({
      instanceId: "i-a",
      state: "InService"
    })
    expect(
      toClassicHealth({
        InstanceId: "i-b",
        State: "OutOfService",
        ReasonCode: "Instance",
        Description: "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
      })
    ).toMatchObject({ state: "OutOfService", reason: expect.stringContaining("UnhealthyThreshold") })
  })

  it("gives the reason of a target that is not healthy", () => {
    expect(
      toTargetHealth({
        Target: { Id: "i-a", Port: 80 },
        TargetHealth: { State: "initial", Reason: "Elb.RegistrationInProgress" }
      })
    ).toEqual({ instanceId: "i-a", state: "initial", reason: "Elb.RegistrationInProgress" })
  })

  it("turns a stack event's Date into epoch milliseconds and keeps its token", () => {
    expect(
      toStackEvent({
        StackId: "arn:stack/app/1",
        EventId: "e-1",
        StackName: "app",
        LogicalResourceId: "Group",
        ResourceType: "AWS::AutoScaling::AutoScalingGroup",
        Timestamp: new Date(1_700_000_000_000),
        ResourceStatus: "UPDATE_IN_PROGRESS",
        ClientRequestToken: "tok-1"
      })
    ).toEqual({
      eventId: "e-1",
      stackName: "app",
      timestamp: 1_700_000_000_000,
      logicalId: "Group",
      resourceType: "AWS::AutoScaling::AutoScalingGroup",
      status: "UPDATE_IN_PROGRESS",
      clientRequestToken: "tok-1"
    })
  })

  it("reads an alarm's state and reason, and takes a state it does not know for INSUFFICIENT_DATA, never OK", () => {
    expect(toAlarmState({ AlarmName: "web-5xx", StateValue: "ALARM", StateReason: "Threshold Crossed" })).toEqual({
      name: "web-5xx",
      state: "ALARM",
      reason: "Threshold Crossed"
    })
    expect(toAlarmState({ AlarmName: "composite", StateValue: "OK" })).toEqual({ name: "composite", state: "OK", reason: "" })
    expect(toAlarmState({ AlarmName: "new", StateValue: "MUTED" as StateValue }).state).toBe("INSUFFICIENT_DATA")
    expect(toAlarmState({ AlarmName: "bare" }).state).toBe("INSUFFICIENT_DATA")
  })
})
