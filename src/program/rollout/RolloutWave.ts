import type { AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { capacityOf, idsOf, isRunning } from "./Assess.js"
import { pickRetirees, runningCapacityOf, type WavePlan, waveSize, waveSizes } from "./Waves.js"

/** At most this many waves follow the last replacing one to even out the zones. */
export const MAX_BALANCING_WAVES = 3

/** One wave: what was there when it began, the old instances it retires, and the sizes of its scale-out. */
export interface Wave {
  /** 1-based. */
  readonly number: number
  /** Every instance present when the wave began: anything else is the wave's (and goes if it rolls back). */
  readonly present: ReadonlySet<string>
  /** The sizes when the wave began. */
  readonly from: GroupSizes
  readonly retire: ReadonlyArray<string>
  /** Capacity units the wave launches, and then retires. */
  readonly size: number
  readonly raised: GroupSizes
  /** No old instance is left to replace after it: a balancing wave follows only if the zones are still apart. */
  readonly last: boolean
  /** It moves an instance out of the fullest zone rather than replacing an old one. */
  readonly balance?: boolean
}

/** What planning a wave needs from the rollout. */
export interface WaveBasis {
  /** The old instances this rollout replaces. */
  readonly toReplace: ReadonlySet<string>
  /** Replaced in more than one wave. */
  readonly waved: boolean
  readonly waves: WavePlan
  /** How far max stood above desired before the rollout: a wave's raise keeps it. */
  readonly headroom: number
  /** Every zone the group had instances in when the rollout began. */
  readonly zonesSeen: ReadonlySet<string>
  /** Balancing waves planned so far: planning one counts it. */
  readonly progress: { balancing: number }
}

/**
 * Wave `number`, planned from the group `g` as it is now, with `present` the instances there before it: the old
 * instances it retires (or, once none is left, one instance of the fullest zone) and the sizes it raises the group to.
 */
export const waveOf = (basis: WaveBasis, number: number, g: AutoScalingGroup, present: ReadonlyArray<string>): Wave => {
  const left = new Set(idsOf(g.instances.filter((i) => basis.toReplace.has(i.instanceId) && isRunning(i))))
  // Every old instance is gone: this wave only moves one instance out of the fullest zone.
  const balance = left.size === 0
  if (balance) basis.progress.balancing += 1
  const retire = balance
    ? idsOf(pickRetirees(g, new Set(idsOf(g.instances)), 1))
    : basis.waved ? idsOf(pickRetirees(g, left, waveSize(basis.waves, number, runningCapacityOf(g, left)))) : [...left]
  const size = runningCapacityOf(g, new Set(retire))
  const from: GroupSizes = { minSize: g.minSize, maxSize: g.maxSize, desiredCapacity: g.desiredCapacity }
  return {
    number,
    present: new Set(present),
    from,
    retire,
    size,
    raised: waveSizes(from, capacityOf(g.instances.filter(isRunning)), size, basis.headroom),
    // A balancing wave too: whether another follows is decided once it has launched, by where AWS put the launch.
    last: retire.length >= left.size,
    balance
  }
}
