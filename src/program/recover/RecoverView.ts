import * as Duration from "effect/Duration"
import type { AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { assess, capacityOf, isRunning, type LoadBalancerHealth } from "../rollout/Assess.js"
import type { GroupResult, GroupStatus, RecoverDecision, RecoverMode } from "../Events.js"
import { decodeRecord, type Phase, salvageRecord, type WaveRecord } from "../rollout/RolloutRecord.js"

/** What recover works from: a whole record, or what a damaged one still says with safe stand-ins for the rest. */
export interface Recoverable {
  readonly phase: Phase | "unknown"
  readonly startedAt: number | undefined
  readonly sizes: GroupSizes
  readonly needed: number
  readonly ours: ReadonlyArray<string>
  readonly oldIds: ReadonlyArray<string>
  /** Why the record is damaged, when it is. */
  readonly damaged?: string
  /** A rollout in waves: the record covers the current wave, and recover finishes or undoes that wave only. */
  readonly wave?: WaveRecord
}

/** The sizes the group returns to once the record's rollout (or its current wave) is done or undone. */
export const targetSizes = (record: Pick<Recoverable, "sizes" | "wave">): GroupSizes =>
  record.wave === undefined
    ? record.sizes
    : { minSize: record.sizes.minSize, maxSize: Math.max(record.sizes.maxSize, record.wave.base), desiredCapacity: record.wave.base }

export type RecordReading =
  | { readonly _tag: "None" }
  | { readonly _tag: "Readable"; readonly record: Recoverable }
  | { readonly _tag: "Unreadable"; readonly what: string; readonly check: string }

const TAGS_HINT = "then delete the group's aws-ha-updater:rollout:* tags"

/** The group's record as recover can use it; a damaged one is accepted only where nothing has to be guessed. */
export const readRecord = (group: AutoScalingGroup): RecordReading => {
  const decoded = decodeRecord(group.tags)
  if (decoded._tag === "None") return decoded
  if (decoded._tag === "Record") return { _tag: "Readable", record: decoded.record }
  const s = salvageRecord(group.tags)
  if (s.wave === "damaged") {
    return {
      _tag: "Unreadable",
      what: "the current wave (tags aws-ha-updater:rollout:wave, base, retire-* and kept-*) is incomplete",
      check: `check by hand which new instances serve, terminate as many old ones as serve in their place, restore min/max/desired, ${TAGS_HINT}`
    }
  }
  if (s.oldIds === undefined) {
    return {
      _tag: "Unreadable",
      what: "the list of old instance ids (tags aws-ha-updater:rollout:old-count and old-N) is incomplete",
      check: `check by hand which instances run the group's previous launch template or configuration, terminate the others only once those serve, restore min/max/desired, ${TAGS_HINT}`
    }
  }
  // The record goes on before anything else changes: while suspending, the sizes are still the original ones.
  const sizes = s.sizes ?? (s.phase === "suspending"
    ? { minSize: group.minSize, maxSize: group.maxSize, desiredCapacity: group.desiredCapacity }
    : undefined)
  if (sizes === undefined) {
    return {
      _tag: "Unreadable",
      what: "the original sizes (tag aws-ha-updater:rollout:sizes) are unreadable",
      check: `check the group's min, max and desired capacity against what it had before the rollout, ${TAGS_HINT}`
    }
  }
  const oldSet = new Set(s.oldIds)
  return {
    _tag: "Readable",
    record: {
      phase: s.phase ?? "unknown",
      startedAt: s.startedAt,
      sizes,
      needed: s.needed ?? capacityOf(group.instances.filter((i) => oldSet.has(i.instanceId) && isRunning(i))),
      // Resuming a process the user had suspended would be worse than leaving one of ours suspended.
      ours: s.ours ?? [],
      oldIds: s.oldIds,
      ...(s.wave === undefined ? {} : { wave: s.wave }),
      damaged: decoded.reason
    }
  }
}

const LEAVING = /^(Terminating|Terminated|Detach)/

/** Where a rollout stands: the old instances still running, the new ones, and how much new capacity serves. */
export interface RolloutView {
  readonly oldIds: ReadonlyArray<string>
  readonly newIds: ReadonlyArray<string>
  /** Capacity units of the old instances still running: below `needed`, the rollout was committing. */
  readonly oldCapacity: number
  /** Capacity units of new instances healthy in the group and in every one of its load balancers. */
  readonly healthy: number
  readonly needed: number
}

export const rolloutView = (group: AutoScalingGroup, record: Pick<Recoverable, "oldIds" | "needed" | "wave">, health: LoadBalancerHealth): RolloutView => {
  const oldSet = new Set(record.oldIds)
  // In a wave, the old instances that count are those the wave retires; the others stay whatever happens.
  const retiring = record.wave === undefined ? oldSet : new Set(record.wave.retire)
  const staying = group.instances.filter((i) => !LEAVING.test(i.lifecycleState))
  const old = staying.filter((i) => retiring.has(i.instanceId))
  return {
    oldIds: old.map((i) => i.instanceId),
    newIds: staying.filter((i) => !oldSet.has(i.instanceId)).map((i) => i.instanceId),
    oldCapacity: capacityOf(old.filter(isRunning)),
    healthy: assess(group, health, { oldIds: oldSet, seenNew: new Set(), everHealthy: new Set() }).healthyCapacity,
    needed: record.needed
  }
}

/** Terminating the new instances never lowers serving capacity when the old ones are all there or no new one serves. */
export const rollbackIsSafe = (v: RolloutView): boolean => v.oldCapacity >= v.needed || v.healthy === 0

export type { RecoverDecision, RecoverMode }

export interface RecoverOptions {
  readonly mode: RecoverMode
  /** Take over a rollout whose heartbeat is still fresh (its run is known to be dead). Default false. */
  readonly force?: boolean
  /** How long `complete` waits for the new instances before it falls back to a roll-back. */
  readonly healthyTimeout: Duration.DurationInput
  readonly pollInterval: Duration.DurationInput
  /** How long a roll-back waits for AWS to list the instances a scale-out launched. Default 30 s. */
  readonly listingTimeout?: Duration.DurationInput
}

export const defaultRecoverOptions: RecoverOptions = {
  mode: "auto",
  healthyTimeout: Duration.seconds(600),
  pollInterval: Duration.seconds(5)
}

export interface RecoverResult {
  readonly stack: string
  readonly status: GroupStatus
  readonly groups: ReadonlyArray<GroupResult>
  readonly decisions: ReadonlyArray<RecoverDecision>
}

/** The rollout had begun retiring its old instances: undoing it now would leave the group short. */
const wasCommitting = (v: RolloutView, phase: Phase | "unknown"): boolean =>
  (phase === "terminating-old" || phase === "restoring" || phase === "unknown") && v.oldCapacity < v.needed

/** Which way to go, and why in words the user reads: `auto` rolls back only where that cannot lower serving capacity. */
export const decide = (
  mode: RecoverMode,
  v: RolloutView,
  phase: Phase | "unknown"
): { readonly action: "complete" | "rollback"; readonly why: string } => {
  const counts = `${v.healthy} of ${v.needed} new capacity healthy, ${v.oldCapacity} old capacity still running`
  if (mode !== "auto") return { action: mode, why: `--mode ${mode} (${counts})` }
  // The run had judged the release and was taking it out: finishing that is the only safe reading.
  if (phase === "rolling-back") return { action: "rollback", why: `the rollout was rolling back when it stopped (${counts})` }
  if (v.healthy >= v.needed) return { action: "complete", why: `enough new instances are already healthy (${counts})` }
  if (wasCommitting(v, phase)) {
    return {
      action: "complete",
      why: `the rollout was retiring its old instances (phase ${phase}): rolling back would drop serving capacity, so waiting for the new ones (${counts})`
    }
  }
  if (!rollbackIsSafe(v)) {
    return {
      action: "complete",
      why: `old instances are missing and new ones already serve: rolling back would drop serving capacity, so waiting for the rest (${counts})`
    }
  }
  const because = v.oldCapacity >= v.needed ? "the old ones all still run" : "none of the new ones serves yet"
  return { action: "rollback", why: `not enough new instances are healthy now and ${because} (${counts})` }
}
