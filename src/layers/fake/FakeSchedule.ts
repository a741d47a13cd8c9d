import { checkGroupHealth } from "./FakeHealth.js"
import { applyNextStackStep, nextStackStepAt } from "./FakeStackTimeline.js"
import { beginTermination, deregister, finishTermination, isSuspended, reconcileGroup } from "./FakeScaling.js"
import { type InstanceState, scheduleAt, type ScheduledEvent, type Settings, takeNext, updateInstance, type World } from "./FakeState.js"

/** More transitions than this at one call means delays of zero feeding each other forever. */
const RUNAWAY = 100_000

const goInService = (w: World, instanceId: string, s: Settings): void => {
  const i = w.instances.get(instanceId)
  const g = i === undefined ? undefined : w.groups.get(i.group)
  if (i === undefined || g === undefined || i.lifecycleState !== "Pending") return
  // AddToLoadBalancer suspended: AWS never registers the instances launched meanwhile, even after a resume.
  if (isSuspended(g, "AddToLoadBalancer")) {
    updateInstance(w, instanceId, { lifecycleState: "InService" })
    return
  }
  updateInstance(w, instanceId, {
    lifecycleState: "InService",
    registeredAt: w.now,
    registeredIn: { classic: g.loadBalancerNames, target: g.targetGroupArns }
  })
  for (const name of g.loadBalancerNames) w.classicLoadBalancers.set(name, [...(w.classicLoadBalancers.get(name) ?? []), instanceId])
  for (const arn of g.targetGroupArns) w.targetGroups.set(arn, [...(w.targetGroups.get(arn) ?? []), instanceId])
  scheduleAt(w, w.now + s.healthDelay, "HealthCheck", instanceId)
}

/** Out of its load balancers for good: registration starts afresh when it leaves Standby. */
const enterStandby = (w: World, i: InstanceState): void => {
  deregister(w, i)
  const { registeredAt: _at, registeredIn: _in, ...rest } = i
  w.instances.set(i.instanceId, { ...rest, lifecycleState: "Standby" })
}

const apply = (w: World, event: ScheduledEvent, s: Settings): void => {
  const i = w.instances.get(event.instanceId)
  if (i === undefined) return
  switch (event.kind) {
    case "InService":
      return goInService(w, event.instanceId, s)
    case "ExternalTermination":
      return beginTermination(w, i, s)
    case "Terminated":
      return i.lifecycleState === "Terminating" ? finishTermination(w, i) : undefined
    case "Standby":
      if (i.lifecycleState !== "EnteringStandby") return
      return enterStandby(w, i)
    case "Warmed":
      return i.lifecycleState === "Warmed:Pending" ? void updateInstance(w, i.instanceId, { lifecycleState: "Warmed:Stopped" }) : undefined
    case "HealthCheck":
      // Nothing changes by itself: the group's health check right after the event looks at the instance.
      return
  }
}

/**
 * The group's own processes after anything happened to it: its health checks look at its instances (health changes
 * with time alone), and it reconciles when it changed since it last did (unchanged, it would change nothing: see
 * `settle`). A health check event changes no group: after one, only the health checks run.
 */
export const settleGroup = (w: World, name: string, s: Settings): void => {
  checkGroupHealth(w, name, s)
  // Whatever reconciling changes marks the group again, so it reacts once more at the next settle, as before.
  if (w.changes.dirty.delete(name)) reconcileGroup(w, name, s)
}

/** Processes every transition due up to `to`, in time order, each followed by its group's reaction. */
export const advance = (w: World, to: number, s: Settings): void => {
  for (let n = 0; ; n++) {
    const next = w.schedule[0]
    const stackAt = nextStackStepAt(w)
    const stackDue = stackAt !== undefined && stackAt <= to
    if ((next === undefined || next.at > to) && !stackDue) break
    if (n > RUNAWAY) throw new Error("fake world: runaway transitions (zero delays with a never-healthy release?)")
    // A stack action's step first when it is due no later than the next instance transition.
    if (stackDue && (next === undefined || stackAt <= next.at)) {
      for (const group of applyNextStackStep(w, s)) settleGroup(w, group, s)
      continue
    }
    if (next === undefined) break
    takeNext(w)
    w.now = Math.max(w.now, next.at)
    apply(w, next, s)
    const group = w.instances.get(next.instanceId)?.group
    if (group !== undefined) settleGroup(w, group, s)
  }
  w.now = Math.max(w.now, to)
}

/**
 * After a call changed the world: every group reacts, then transitions due now happen. A group unchanged since it
 * last reacted would do nothing (its health only changes at scheduled events), so it is skipped.
 */
export const settle = (w: World, s: Settings): void => {
  for (const name of w.groups.keys()) if (w.changes.dirty.has(name)) settleGroup(w, name, s)
  advance(w, w.now, s)
}

/** After a change that no journal sees (a never-healthy release): every group reacts. */
export const settleAll = (w: World, s: Settings): void => {
  for (const name of w.groups.keys()) w.changes.dirty.add(name)
  settle(w, s)
}
