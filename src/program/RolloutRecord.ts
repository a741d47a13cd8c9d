import type { GroupSizes } from "../services/AutoScaling.js"

/**
 * The rollout record, kept in the group's own tags so that a run that died (kill -9, a lost CI runner) can be
 * recovered by the next one: what the group looked like before, and which instances are the old ones.
 */
export type Phase = "suspending" | "scaling-out" | "waiting" | "terminating-old" | "restoring" | "rolling-back"
export const PHASES: ReadonlyArray<Phase> = ["suspending", "scaling-out", "waiting", "terminating-old", "restoring", "rolling-back"]

export interface RolloutRecord {
  readonly id: string
  readonly stack: string
  readonly phase: Phase
  /** Epoch ms. */
  readonly startedAt: number
  readonly sizes: GroupSizes
  /** Capacity units the new instances must provide. */
  readonly needed: number
  /** Processes this rollout suspends and must resume (those suspended before it started are not among them). */
  readonly ours: ReadonlyArray<string>
  /** Every instance of the group when the rollout started: anything else is new. */
  readonly oldIds: ReadonlyArray<string>
  /** The last sign of life of the run that holds the group; absent on records of runs without a heartbeat. */
  readonly heartbeat?: Stamp
}

/** A moment and the interval its writer promised to renew it at: tag value `ISO-time/seconds`. */
export interface Stamp {
  /** Epoch ms. */
  readonly at: number
  readonly everySeconds: number
}

export const encodeStamp = (s: Stamp): string => `${new Date(s.at).toISOString()}/${s.everySeconds}`

export const decodeStamp = (value: string | undefined): Stamp | undefined => {
  const [iso, every] = (value ?? "").split("/")
  const at = Date.parse(iso ?? "")
  const everySeconds = Number(every)
  return Number.isNaN(at) || !(everySeconds > 0) ? undefined : { at, everySeconds }
}

/** A stamp not renewed for three of its intervals belongs to a run that is gone. */
export const isFresh = (s: Stamp, now: number): boolean => now - s.at < 3 * s.everySeconds * 1000

export const RECORD_PREFIX = "aws-ha-updater:rollout"
const key = (name: string) => `${RECORD_PREFIX}:${name}`
const OLD_PREFIX = key("old-")
export const HEARTBEAT_KEY = key("heartbeat")
/** One tag per run that claims the group: the run id is in the key, so that two claims never overwrite each other. */
export const CLAIM_PREFIX = "aws-ha-updater:claim:"
export const claimKey = (runId: string): string => `${CLAIM_PREFIX}${runId}`

/** The runs claiming the group, by run id, with the stamp each wrote. */
export const claimsOf = (tags: Readonly<Record<string, string>>): Array<{ readonly runId: string; readonly stamp: Stamp | undefined }> =>
  Object.keys(tags)
    .filter((k) => k.startsWith(CLAIM_PREFIX))
    .map((k) => ({ runId: k.slice(CLAIM_PREFIX.length), stamp: decodeStamp(tags[k]) }))
/** AWS caps a tag value at 256 characters and a group at 50 tags. */
export const TAG_VALUE_LIMIT = 256
export const TAGS_PER_GROUP = 50

/** Packs ids into as few comma-joined values of at most 256 characters as possible. */
const pack = (ids: ReadonlyArray<string>): Array<string> => {
  const values: Array<string> = []
  let current = ""
  for (const id of ids) {
    const next = current === "" ? id : `${current},${id}`
    if (next.length > TAG_VALUE_LIMIT) {
      values.push(current)
      current = id
    } else current = next
  }
  if (current !== "") values.push(current)
  return values
}

export const encodeRecord = (r: RolloutRecord): Record<string, string> => {
  const tags: Record<string, string> = {
    [key("id")]: r.id,
    [key("stack")]: r.stack,
    [key("phase")]: r.phase,
    [key("started")]: new Date(r.startedAt).toISOString(),
    [key("sizes")]: `${r.sizes.minSize},${r.sizes.maxSize},${r.sizes.desiredCapacity}`,
    [key("needed")]: String(r.needed),
    [key("ours")]: r.ours.join(","),
    [key("old-count")]: String(r.oldIds.length)
  }
  pack(r.oldIds).forEach((v, i) => (tags[`${OLD_PREFIX}${i}`] = v))
  if (r.heartbeat !== undefined) tags[HEARTBEAT_KEY] = encodeStamp(r.heartbeat)
  return tags
}

export const phaseTags = (phase: Phase): Record<string, string> => ({ [key("phase")]: phase })

/** The processes the rollout must resume, when it adds one (a roll-back suspends Launch). */
export const oursTags = (ours: ReadonlyArray<string>): Record<string, string> => ({ [key("ours")]: ours.join(",") })

/** Every tag a rollout leaves on the group: its record and the claims on it. */
export const recordKeys = (tags: Readonly<Record<string, string>>): Array<string> =>
  Object.keys(tags).filter((k) => k.startsWith(`${RECORD_PREFIX}:`) || k.startsWith(CLAIM_PREFIX))

export const hasRecord = (tags: Readonly<Record<string, string>>): boolean =>
  Object.keys(tags).some((k) => k.startsWith(`${RECORD_PREFIX}:`))

const list = (s: string | undefined): Array<string> => (s ?? "").split(",").filter((x) => x.length > 0)

/** The record, or a reason why the tags that are there do not make one (a run died while writing it). */
export const decodeRecord = (
  tags: Readonly<Record<string, string>>
): { readonly _tag: "None" } | { readonly _tag: "Record"; readonly record: RolloutRecord } | { readonly _tag: "Damaged"; readonly reason: string } => {
  if (!hasRecord(tags)) return { _tag: "None" }
  const phase = tags[key("phase")] as Phase | undefined
  const sizes = (tags[key("sizes")] ?? "").split(",").map(Number)
  const started = Date.parse(tags[key("started")] ?? "")
  const oldCount = Number(tags[key("old-count")])
  const oldIds = Object.keys(tags)
    .filter((k) => k.startsWith(OLD_PREFIX) && /^\d+$/.test(k.slice(OLD_PREFIX.length)))
    .sort((a, b) => Number(a.slice(OLD_PREFIX.length)) - Number(b.slice(OLD_PREFIX.length)))
    .flatMap((k) => list(tags[k]))
  const [minSize, maxSize, desiredCapacity] = sizes
  if (
    tags[key("id")] === undefined || phase === undefined || !PHASES.includes(phase) || Number.isNaN(started) ||
    sizes.length !== 3 || sizes.some(Number.isNaN) || minSize === undefined || maxSize === undefined ||
    desiredCapacity === undefined || Number.isNaN(oldCount) || oldIds.length !== oldCount
  ) {
    return { _tag: "Damaged", reason: "the rollout record on the group is incomplete" }
  }
  return {
    _tag: "Record",
    record: {
      id: tags[key("id")]!,
      stack: tags[key("stack")] ?? "",
      phase,
      startedAt: started,
      sizes: { minSize, maxSize, desiredCapacity },
      needed: Number(tags[key("needed")] ?? "0"),
      ours: list(tags[key("ours")]),
      oldIds,
      ...(decodeStamp(tags[HEARTBEAT_KEY]) === undefined ? {} : { heartbeat: decodeStamp(tags[HEARTBEAT_KEY])! })
    }
  }
}

/** What a damaged record still says, field by field: `recover` decides whether that is enough to act on. */
export interface SalvagedRecord {
  readonly phase?: Phase
  readonly startedAt?: number
  readonly sizes?: GroupSizes
  readonly needed?: number
  readonly ours?: ReadonlyArray<string>
  /** Present only when the count tag and every chunk agree: a partial list would make old instances look new. */
  readonly oldIds?: ReadonlyArray<string>
}

export const salvageRecord = (tags: Readonly<Record<string, string>>): SalvagedRecord => {
  const phase = tags[key("phase")] as Phase | undefined
  const started = Date.parse(tags[key("started")] ?? "")
  const sizes = (tags[key("sizes")] ?? "").split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s)))
  const needed = Number(tags[key("needed")] ?? "")
  const oldCount = tags[key("old-count")] === undefined ? Number.NaN : Number(tags[key("old-count")])
  const oldIds = Object.keys(tags)
    .filter((k) => k.startsWith(OLD_PREFIX) && /^\d+$/.test(k.slice(OLD_PREFIX.length)))
    .sort((a, b) => Number(a.slice(OLD_PREFIX.length)) - Number(b.slice(OLD_PREFIX.length)))
    .flatMap((k) => list(tags[k]))
  const [minSize, maxSize, desiredCapacity] = sizes
  return {
    ...(phase !== undefined && PHASES.includes(phase) ? { phase } : {}),
    ...(Number.isNaN(started) ? {} : { startedAt: started }),
    ...(sizes.length === 3 && minSize !== undefined && maxSize !== undefined && desiredCapacity !== undefined &&
        !sizes.some(Number.isNaN)
      ? { sizes: { minSize, maxSize, desiredCapacity } }
      : {}),
    ...(tags[key("needed")] === undefined || Number.isNaN(needed) ? {} : { needed }),
    ...(tags[key("ours")] === undefined ? {} : { ours: list(tags[key("ours")]) }),
    ...(Number.isInteger(oldCount) && oldIds.length === oldCount ? { oldIds } : {})
  }
}
