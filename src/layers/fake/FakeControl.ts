import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { decodeTemplate } from "../../template/Template.js"
import { FAKE_OPERATIONS, type Runner } from "./FakeCalls.js"
import {
  createGroup,
  existingGroup,
  pinTarget,
  setLaunchConfiguration,
  setLaunchTemplateVersion,
  setupError
} from "./FakeGroups.js"
import { isServing } from "./FakeHealth.js"
import { isSuspended, zonesOf } from "./FakeScaling.js"
import { addStackToWorld } from "./FakeStacks.js"
import { type InstanceState, scheduleAt, updateGroup, updateInstance, type World } from "./FakeState.js"
import { snapshotOf } from "./FakeViews.js"
import type { FakeWorld } from "./FakeWorld.js"

const delayOf = (after: Duration.DurationInput | undefined): number =>
  after === undefined ? 0 : Duration.toMillis(Duration.decode(after))

const existingInstance = (w: World, id: string): InstanceState =>
  w.instances.get(id) ?? setupError(`no instance ${id}`)

/** The test's and the demo's side of the world. Set-up mistakes die with a message naming them. */
export const makeControl = (runner: Runner): typeof FakeWorld.Service => {
  const { control, read, settings } = runner
  return {
    addGroup: (spec) => control((w) => createGroup(w, spec, settings)),
    addClassicLoadBalancer: (name, spec) =>
      control((w) => {
        w.classicLoadBalancers.set(name, w.classicLoadBalancers.get(name) ?? [])
        if (spec?.zones !== undefined) w.loadBalancerZones.set(name, spec.zones)
      }),
    addTargetGroup: (arn, spec) =>
      control((w) => {
        w.targetGroups.set(arn, w.targetGroups.get(arn) ?? [])
        if (spec?.zones !== undefined) w.loadBalancerZones.set(arn, spec.zones)
      }),
    addStack: (spec) =>
      Effect.flatMap(
        Either.match(decodeTemplate(spec.templateBody), {
          onLeft: (e) => Effect.die(new Error(`fake world: stack ${spec.name}: ${e.message}`)),
          onRight: Effect.succeed
        }),
        (doc) => control((w) => addStackToWorld(w, settings, spec, doc))
      ),
    putObject: (bucket, key, body) =>
      control((w) => {
        const objects = w.buckets.get(bucket) ?? setupError(`no bucket ${bucket}: add it with addBucket first`)
        w.buckets.set(bucket, new Map([...objects, [key, body]]))
      }),
    setLaunchTemplateVersion: (group, version) => control((w) => setLaunchTemplateVersion(w, group, version)),
    setLaunchConfiguration: (group, name) => control((w) => setLaunchConfiguration(w, group, name)),
    markNeverHealthy: (target) => control((w) => void w.neverHealthy.push(pinTarget(w, target))),
    enterStandby: (instanceId, decrement = true) =>
      control((w) => {
        const i = existingInstance(w, instanceId)
        const g = existingGroup(w, i.group)
        if (i.lifecycleState !== "InService") setupError(`enterStandby: ${instanceId} is ${i.lifecycleState}, not InService`)
        if (decrement) {
          if (g.desiredCapacity - i.weight < g.minSize) setupError(`enterStandby: desired of ${g.name} would drop below its min`)
          updateGroup(w, g.name, { desiredCapacity: g.desiredCapacity - i.weight })
        }
        updateInstance(w, instanceId, { lifecycleState: "EnteringStandby" })
        scheduleAt(w, w.now + settings.drainDelay, "Standby", instanceId)
      }),
    exitStandby: (instanceId) =>
      control((w) => {
        const i = existingInstance(w, instanceId)
        const g = existingGroup(w, i.group)
        if (i.lifecycleState !== "Standby") setupError(`exitStandby: ${instanceId} is ${i.lifecycleState}, not Standby`)
        if (g.desiredCapacity + i.weight > g.maxSize) setupError(`exitStandby: desired of ${g.name} would exceed its max`)
        updateGroup(w, g.name, { desiredCapacity: g.desiredCapacity + i.weight })
        updateInstance(w, instanceId, { lifecycleState: "Pending" })
        scheduleAt(w, w.now + settings.launchDelay, "InService", instanceId)
      }),
    zoneShortOfCapacity: (zone, short = true) =>
      control((w) => {
        const all = zonesOf(settings)
        if (!all.includes(zone)) setupError(`zoneShortOfCapacity: no zone ${zone} (the zones are ${all.join(", ")})`)
        if (!short) w.zonesShort.delete(zone)
        else if (all.every((z) => z === zone || w.zonesShort.has(z))) {
          setupError(`zoneShortOfCapacity: ${zone} is the last zone with capacity (launches failing everywhere are not modelled)`)
        } else w.zonesShort.set(zone, true)
        // Capacity back in a zone lets AZRebalance even the groups out: every group looks again.
        for (const name of w.groups.keys()) w.changes.dirty.add(name)
      }),
    protectFromScaleIn: (instanceId, protect = true) =>
      control((w) => {
        existingInstance(w, instanceId)
        updateInstance(w, instanceId, { protectedFromScaleIn: protect })
      }),
    setSizes: (group, sizes) =>
      control((w) => {
        const g = existingGroup(w, group)
        const minSize = sizes.minSize ?? g.minSize
        const maxSize = sizes.maxSize ?? g.maxSize
        const desiredCapacity = sizes.desiredCapacity ?? Math.min(maxSize, Math.max(minSize, g.desiredCapacity))
        if (!(minSize <= desiredCapacity && desiredCapacity <= maxSize)) {
          setupError(`setSizes ${group}: desired ${desiredCapacity} is outside [${minSize}, ${maxSize}]`)
        }
        updateGroup(w, group, { minSize, maxSize, desiredCapacity })
      }),
    firePolicy: (group, change) =>
      control((w) => {
        const g = existingGroup(w, group)
        if (!Number.isInteger(change)) setupError(`firePolicy ${group}: change ${change} is not a whole number`)
        if (isSuspended(g, "AlarmNotification")) return false
        const desiredCapacity = Math.min(g.maxSize, Math.max(g.minSize, g.desiredCapacity + change))
        if (desiredCapacity === g.desiredCapacity) return false
        updateGroup(w, group, { desiredCapacity })
        return true
      }),
    putAlarm: (name, state = "OK", reason = "Unchecked: Initial alarm creation") =>
      control((w) => void w.alarms.set(name, { state, reason })),
    setAlarmState: (name, state, reason) =>
      control((w) => {
        if (!w.alarms.has(name)) setupError(`setAlarmState: no alarm named ${name} (putAlarm it first)`)
        w.alarms.set(name, { state, reason })
      }),
    setDefaultLaunchTemplateVersion: (launchTemplateId, version) =>
      control((w) => {
        const known = w.launchTemplates.get(launchTemplateId) ?? { latest: 1, default: 1 }
        const n = Number(version)
        if (!Number.isInteger(n) || n < 1) setupError(`launch template version ${version} is not a number`)
        w.launchTemplates.set(launchTemplateId, { latest: Math.max(known.latest, n), default: n })
      }),
    makeUnhealthy: (instanceId, after) =>
      control((w) => {
        const i = existingInstance(w, instanceId)
        const from = w.now + delayOf(after)
        updateInstance(w, instanceId, { failingFrom: Math.min(from, i.failingFrom ?? from) })
        scheduleAt(w, from, "HealthCheck", instanceId)
      }),
    terminateInstance: (instanceId, after) =>
      control((w) => {
        existingInstance(w, instanceId)
        scheduleAt(w, w.now + delayOf(after), "ExternalTermination", instanceId)
      }),
    failNext: (operation, count, kind) =>
      control((w) => {
        if (!FAKE_OPERATIONS.has(operation)) setupError(`failNext: ${operation} is not an operation the fake answers`)
        w.faults.set(operation, [...(w.faults.get(operation) ?? []), ...Array.from({ length: count }, () => kind)])
      }),
    failNextStackUpdate: (stackName, logicalId, reason) =>
      control((w) => {
        const st = w.stacks.get(stackName) ?? setupError(`no stack ${stackName}`)
        w.stacks.set(stackName, { ...st, nextUpdateFailure: { logicalId, reason } })
      }),
    delayNextStackAction: (stackName, after) =>
      control((w) => {
        const st = w.stacks.get(stackName) ?? setupError(`no stack ${stackName}`)
        w.stacks.set(stackName, { ...st, nextActionDelay: delayOf(after) })
      }),
    addBucket: (name) =>
      control((w) => {
        w.buckets.set(name, w.buckets.get(name) ?? new Map())
      }),
    bucketObjects: (name) => read((w) => Object.fromEntries(w.buckets.get(name) ?? setupError(`no bucket ${name}`))),
    snapshot: read((w) => snapshotOf(w, settings)),
    calls: read((w) => Chunk.toReadonlyArray(w.calls)),
    healthyCount: (group) =>
      read((w) => {
        const g = existingGroup(w, group)
        return g.instanceIds.filter((id) => {
          const i = w.instances.get(id)
          return i !== undefined && isServing(w, i, settings)
        }).length
      })
  }
}
