import type { AsgInstance, AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { capacityOf, isRunning } from "./Assess.js"

/** A size given on the command line: capacity units, or a percentage of the running capacity. */
export type Amount =
  | { readonly _tag: "Units"; readonly units: number }
  | { readonly _tag: "Percent"; readonly percent: number }

export const units = (n: number): Amount => ({ _tag: "Units", units: n })
export const percent = (p: number): Amount => ({ _tag: "Percent", percent: p })

/** `N` (a positive whole number) or `P%` (0 < P ≤ 100); undefined when it is neither. */
export const parseAmount = (text: string): Amount | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  if (m === null) return undefined
  const value = Number(m[1])
  if (m[2] === "%") return value > 0 && value <= 100 ? percent(value) : undefined
  return Number.isInteger(value) && value > 0 ? units(value) : undefined
}

export const formatAmount = (a: Amount): string => (a._tag === "Units" ? String(a.units) : `${a.percent}%`)

/** Capacity units an amount stands for against `capacity`: a percentage is rounded up; never less than 1. */
export const resolveAmount = (a: Amount, capacity: number): number =>
  Math.max(1, a._tag === "Units" ? a.units : Math.ceil((a.percent * capacity) / 100 - 1e-9))

export interface WavePlan {
  /** Capacity units launched beyond the group's capacity at any moment. */
  readonly surge: number
  /** The first wave's size, when a canary goes first. */
  readonly canary?: number
}

export const planWaves = (capacity: number, maxSurge: Amount, canary: Amount | undefined): WavePlan => ({
  surge: resolveAmount(maxSurge, capacity),
  ...(canary === undefined ? {} : { canary: resolveAmount(canary, capacity) })
})

/** The size of wave `number` (1-based) with `left` capacity units still to replace. */
export const waveSize = (plan: WavePlan, number: number, left: number): number =>
  Math.min(left, number === 1 && plan.canary !== undefined ? plan.canary : plan.surge)

/** How many waves replace `capacity` units (each instance one unit): for messages and the benchmark's floor. */
export const waveCount = (plan: WavePlan, capacity: number): number => {
  let left = capacity
  let n = 0
  while (left > 0) {
    n += 1
    left -= waveSize(plan, n, left)
  }
  return n
}

const servesNothing = (i: AsgInstance): boolean => i.lifecycleState !== "InService" || i.healthStatus !== "Healthy"

/**
 * The old instances a wave of `size` units retires: those that serve nothing first, then one at a time from the zone
 * with the most running instances (as AWS balances zones), the id breaking ties. Their capacity stays within `size`,
 * except that a wave always takes at least one instance.
 */
export const pickRetirees = (group: AutoScalingGroup, candidates: ReadonlySet<string>, size: number): ReadonlyArray<AsgInstance> => {
  const running = group.instances.filter(isRunning)
  const perZone = new Map<string, number>()
  for (const i of running) perZone.set(i.availabilityZone, (perZone.get(i.availabilityZone) ?? 0) + 1)
  let pool = running.filter((i) => candidates.has(i.instanceId))
  const picked: Array<AsgInstance> = []
  let left = size
  while (pool.length > 0) {
    const fits = pool.filter((i) => i.weightedCapacity <= left || picked.length === 0)
    if (fits.length === 0) break
    const best = [...fits].sort((a, b) =>
      Number(servesNothing(b)) - Number(servesNothing(a)) ||
      (perZone.get(b.availabilityZone) ?? 0) - (perZone.get(a.availabilityZone) ?? 0) ||
      a.instanceId.localeCompare(b.instanceId)
    )[0]!
    picked.push(best)
    left -= best.weightedCapacity
    perZone.set(best.availabilityZone, (perZone.get(best.availabilityZone) ?? 0) - 1)
    pool = pool.filter((i) => i !== best)
    if (left <= 0) break
  }
  return picked
}

/**
 * The sizes of a wave's scale-out from the group as it is now: desired raised by the wave from the running capacity
 * (which may exceed desired under weights), min held at it so that nothing scales the group in meanwhile, max keeping
 * the headroom the group had for its scaling policies.
 */
export const waveSizes = (now: GroupSizes, runningCapacity: number, wave: number, headroom: number): GroupSizes => {
  const desiredCapacity = Math.max(now.desiredCapacity, runningCapacity) + wave
  return {
    minSize: desiredCapacity,
    maxSize: Math.max(now.maxSize, desiredCapacity + headroom),
    desiredCapacity
  }
}

/** Capacity units of the group's running instances among `ids`. */
export const runningCapacityOf = (group: AutoScalingGroup, ids: ReadonlySet<string>): number =>
  capacityOf(group.instances.filter((i) => isRunning(i) && ids.has(i.instanceId)))

/** How many more running instances the fullest of `zones` has than the emptiest. */
export const zoneSpread = (instances: ReadonlyArray<AsgInstance>, zones: Iterable<string>): number => {
  const counts = new Map([...zones].map((z) => [z, 0]))
  for (const i of instances) if (isRunning(i)) counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1)
  if (counts.size === 0) return 0
  return Math.max(...counts.values()) - Math.min(...counts.values())
}

/** The process that, once resumed, evens zones out by terminating an instance of the fullest one. */
export const REBALANCE_PROCESS = "AZRebalance"
