import { setLaunchConfiguration } from "./FakeGroups.js"
import { provisionGroup } from "./FakeProvisioning.js"
import { finishTermination, noteLaunchTemplate } from "./FakeScaling.js"
import { stackEvent } from "./FakeStacks.js"
import {
  type GroupChange,
  groupInstances,
  type PendingStackStep,
  type Settings,
  type StackEffect,
  type StackState,
  updateGroup,
  type World
} from "./FakeState.js"

export const STACK_TYPE = "AWS::CloudFormation::Stack"

/** When the earliest pending step of any stack action is due; undefined when no action is in progress. */
export const nextStackStepAt = (w: World): number | undefined => {
  let earliest: number | undefined
  for (const st of w.stacks.values()) {
    const at = st.pending?.[0]?.at
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at
  }
  return earliest
}

const changeGroup = (w: World, name: string, change: GroupChange): void => {
  if (change.launchConfigurationName !== undefined) setLaunchConfiguration(w, name, change.launchConfigurationName)
  const g = w.groups.get(name)
  if (g === undefined) return
  if (change.launchTemplate !== undefined) {
    noteLaunchTemplate(w, change.launchTemplate)
    // A group launches from a launch template or a launch configuration, never both.
    const { launchConfigurationName: _dropped, ...rest } = g
    w.groups.set(name, { ...rest, launchTemplate: change.launchTemplate })
  }
  const sizes = {
    ...(change.minSize !== undefined ? { minSize: change.minSize } : {}),
    ...(change.maxSize !== undefined ? { maxSize: change.maxSize } : {}),
    ...(change.desiredCapacity !== undefined ? { desiredCapacity: change.desiredCapacity } : {})
  }
  if (Object.keys(sizes).length > 0) updateGroup(w, name, sizes)
}

/** Applies an effect; returns the group it touched, whose own processes then react. */
const applyEffect = (w: World, s: Settings, effect: StackEffect): string | undefined => {
  switch (effect._tag) {
    case "CreateGroup":
      provisionGroup(w, s, effect.name, effect.resource, effect.ctx)
      return effect.name
    case "UpdateGroup":
      if (!w.groups.has(effect.name)) return undefined
      changeGroup(w, effect.name, effect.change)
      return effect.name
    case "DeleteGroup": {
      const g = w.groups.get(effect.name)
      if (g === undefined) return undefined
      for (const i of groupInstances(w, g)) finishTermination(w, i)
      w.groups.delete(effect.name)
      return undefined
    }
    case "StartNested": {
      const events = w.stacks.get(effect.stack.stackName)?.events ?? []
      w.stacks.set(effect.stack.stackName, { ...effect.stack, events })
      return undefined
    }
    case "LaunchTemplateVersion": {
      const known = w.launchTemplates.get(effect.launchTemplateId) ?? { latest: 1, default: 1 }
      // CloudFormation makes the version it creates the template's default.
      w.launchTemplates.set(effect.launchTemplateId, { latest: Math.max(known.latest, effect.version), default: effect.version })
      return undefined
    }
  }
}

const applyStep = (w: World, s: Settings, st: StackState, step: PendingStackStep): ReadonlyArray<string> => {
  const event = stackEvent(w, st, step.at, step.event)
  const own = step.event.resourceType === STACK_TYPE && step.event.logicalId === st.stackName
  const { statusReason: _previous, ...withoutReason } = st
  const base: StackState = own
    ? { ...withoutReason, status: step.event.status, ...(step.event.reason !== undefined ? { statusReason: step.event.reason } : {}) }
    : st
  const resource = step.resource
  const resources = base.resources
    .filter((r) => r.logicalId !== step.removeResource)
    .map((r) => (resource !== undefined && r.logicalId === resource.logicalId ? resource : r))
  const added = resource !== undefined && !resources.some((r) => r.logicalId === resource.logicalId)
  w.stacks.set(st.stackName, {
    ...base,
    resources: added && resource !== undefined ? [...resources, resource] : resources,
    ...step.stack,
    events: [...st.events, event],
    pending: (st.pending ?? []).slice(1)
  })
  return (step.effects ?? []).flatMap((e) => {
    const touched = applyEffect(w, s, e)
    return touched === undefined ? [] : [touched]
  })
}

/** Applies the earliest pending step of any stack; returns the groups it touched. */
export const applyNextStackStep = (w: World, s: Settings): ReadonlyArray<string> => {
  let due: StackState | undefined
  for (const st of w.stacks.values()) {
    const at = st.pending?.[0]?.at
    if (at !== undefined && (due === undefined || at < (due.pending?.[0]?.at ?? at))) due = st
  }
  const step = due?.pending?.[0]
  if (due === undefined || step === undefined) return []
  w.now = Math.max(w.now, step.at)
  return applyStep(w, s, due, step)
}
