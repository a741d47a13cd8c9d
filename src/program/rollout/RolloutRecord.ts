import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { GroupSizes } from "../../services/AutoScaling.js"

/**
 * The rollout record, kept in the group's own tags so that a run that died (kill -9, a lost CI runner) can be
 * recovered by the next one: what the group looked like before, and which instances are the old ones.
 */
export type Phase = "suspending" | "scaling-out" | "waiting" | "baking" | "terminating-old" | "restoring" | "rolling-back"
export const PHASES: ReadonlyArray<Phase> = ["suspending", "scaling-out", "waiting", "baking", "terminating-old", "restoring", "rolling-back"]

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
  /**
   * A rollout in waves: the record covers the current one. `oldIds` then lists every instance present when the wave
   * began (the old ones still to replace and the new ones of earlier waves), and `needed` is the wave's capacity.
   * Absent: one wave replaces every old instance.
   */
  readonly wave?: WaveRecord
}

export interface WaveRecord {
  /** 1-based. */
  readonly number: number
  /** Desired capacity when the wave began, before its raise: what rolling the wave back returns desired to. */
  readonly base: number
  /** The old instances this wave retires once its new ones serve. */
  readonly retire: ReadonlyArray<string>
  /** New instances of the waves already committed: they run the new release and stay. */
  readonly kept: ReadonlyArray<string>
}

/** A moment and the interval its writer promised to renew it at: tag value `ISO-time/seconds`. */
export interface Stamp {
  /** Epoch ms. */
  readonly at: number
  readonly everySeconds: number
}

export const encodeStamp = (s: Stamp): string => Schema.encodeSync(StampText)(s)

export const decodeStamp = (value: string | undefined): Stamp | undefined => field(StampText, value)

/** A stamp not renewed for three of its intervals belongs to a run that is gone. */
export const isFresh = (s: Stamp, now: number): boolean => now - s.at < 3 * s.everySeconds * 1000

export const RECORD_PREFIX = "aws-ha-updater:rollout"
const key = (name: string) => `${RECORD_PREFIX}:${name}`
const OLD_PREFIX = key("old-")
const RETIRE_PREFIX = key("retire-")
const KEPT_PREFIX = key("kept-")
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
    [key("started")]: Schema.encodeSync(IsoTime)(r.startedAt),
    [key("sizes")]: Schema.encodeSync(SizesText)(r.sizes),
    [key("needed")]: String(r.needed),
    [key("ours")]: Schema.encodeSync(IdList)(r.ours),
    [key("old-count")]: String(r.oldIds.length)
  }
  pack(r.oldIds).forEach((v, i) => (tags[`${OLD_PREFIX}${i}`] = v))
  if (r.wave !== undefined) Object.assign(tags, waveTags(r.wave))
  if (r.heartbeat !== undefined) tags[HEARTBEAT_KEY] = encodeStamp(r.heartbeat)
  return tags
}

/** The tags of a wave, written again as each wave begins. */
export const waveTags = (w: WaveRecord): Record<string, string> => {
  const tags: Record<string, string> = {
    [key("wave")]: String(w.number),
    [key("base")]: String(w.base),
    [key("retire-count")]: String(w.retire.length),
    [key("kept-count")]: String(w.kept.length)
  }
  pack(w.retire).forEach((v, i) => (tags[`${RETIRE_PREFIX}${i}`] = v))
  pack(w.kept).forEach((v, i) => (tags[`${KEPT_PREFIX}${i}`] = v))
  return tags
}

const CHUNK = /^(old|retire|kept)-\d+$/

/** Chunks of the lists in `tags` that `next` does not rewrite: left over from a longer list, to be emptied with it. */
export const staleChunks = (tags: Readonly<Record<string, string>>, next: Readonly<Record<string, string>>): Array<string> =>
  Object.keys(tags).filter((k) => k.startsWith(`${RECORD_PREFIX}:`) && CHUNK.test(k.slice(RECORD_PREFIX.length + 1)) && !(k in next))

export const phaseTags = (phase: Phase): Record<string, string> => ({ [key("phase")]: phase })

/** The processes the rollout must resume, when it adds one (a roll-back suspends Launch). */
export const oursTags = (ours: ReadonlyArray<string>): Record<string, string> => ({ [key("ours")]: ours.join(",") })

/** Every tag a rollout leaves on the group: its record and the claims on it. */
export const recordKeys = (tags: Readonly<Record<string, string>>): Array<string> =>
  Object.keys(tags).filter((k) => k.startsWith(`${RECORD_PREFIX}:`) || k.startsWith(CLAIM_PREFIX))

export const hasRecord = (tags: Readonly<Record<string, string>>): boolean =>
  Object.keys(tags).some((k) => k.startsWith(`${RECORD_PREFIX}:`))

/** A comma-joined list of ids, empty items dropped. */
const IdList = Schema.transform(Schema.String, Schema.Array(Schema.String), {
  strict: true,
  decode: (s) => s.split(",").filter((x) => x.length > 0),
  encode: (ids) => ids.join(",")
})

/** A whole number written as text; blank is no number. */
const IntText = Schema.transformOrFail(Schema.String, Schema.Int, {
  strict: true,
  decode: (s, _, ast) => {
    const n = s.trim() === "" ? Number.NaN : Number(s)
    return Number.isInteger(n) ? ParseResult.succeed(n) : ParseResult.fail(new ParseResult.Type(ast, s, "not a whole number"))
  },
  encode: (n) => ParseResult.succeed(String(n))
})

/** Epoch ms written as an ISO time. */
const IsoTime = Schema.transformOrFail(Schema.String, Schema.Number, {
  strict: true,
  decode: (s, _, ast) => {
    const at = Date.parse(s)
    return Number.isNaN(at) ? ParseResult.fail(new ParseResult.Type(ast, s, "not an ISO time")) : ParseResult.succeed(at)
  },
  encode: (at) => ParseResult.succeed(new Date(at).toISOString())
})

const SizesStruct = Schema.Struct({ minSize: Schema.Number, maxSize: Schema.Number, desiredCapacity: Schema.Number })

/** `min,max,desired`. */
const SizesText = Schema.transformOrFail(Schema.String, SizesStruct, {
  strict: true,
  decode: (s, _, ast) => {
    const n = s.split(",").map((x) => (x.trim() === "" ? Number.NaN : Number(x)))
    const [minSize, maxSize, desiredCapacity] = n
    return n.length === 3 && minSize !== undefined && maxSize !== undefined && desiredCapacity !== undefined && !n.some(Number.isNaN)
      ? ParseResult.succeed({ minSize, maxSize, desiredCapacity })
      : ParseResult.fail(new ParseResult.Type(ast, s, "not min,max,desired"))
  },
  encode: (z) => ParseResult.succeed(`${z.minSize},${z.maxSize},${z.desiredCapacity}`)
})

const StampStruct = Schema.Struct({ at: Schema.Number, everySeconds: Schema.Number })

/** `ISO-time/seconds`. */
export const StampText = Schema.transformOrFail(Schema.String, StampStruct, {
  strict: true,
  decode: (s, _, ast) => {
    const [iso, every] = s.split("/")
    const at = Date.parse(iso ?? "")
    const everySeconds = Number(every)
    return Number.isNaN(at) || !(everySeconds > 0)
      ? ParseResult.fail(new ParseResult.Type(ast, s, "not ISO-time/seconds"))
      : ParseResult.succeed({ at, everySeconds })
  },
  encode: (st) => ParseResult.succeed(`${new Date(st.at).toISOString()}/${st.everySeconds}`)
})

export const PhaseSchema = Schema.Literal(...PHASES)

const WaveStruct = Schema.Struct({
  number: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
  base: Schema.Int,
  retire: Schema.Array(Schema.String),
  kept: Schema.Array(Schema.String)
})

/** The record as a value: what the tags decode to and are encoded from. */
export const RolloutRecordSchema = Schema.Struct({
  id: Schema.String,
  stack: Schema.String,
  phase: PhaseSchema,
  startedAt: Schema.Number,
  sizes: SizesStruct,
  needed: Schema.Number,
  ours: Schema.Array(Schema.String),
  oldIds: Schema.Array(Schema.String),
  heartbeat: Schema.optionalWith(StampStruct, { exact: true }),
  wave: Schema.optionalWith(WaveStruct, { exact: true })
})

/** One tag, decoded by its own schema: None when it is absent or does not decode. */
const field = <A, I>(schema: Schema.Schema<A, I>, value: string | undefined): A | undefined =>
  value === undefined ? undefined : Option.getOrUndefined(Schema.decodeUnknownOption(schema)(value))

/**
 * The ids of a packed list: every chunk in index order, which must hold exactly `count` ids. A later wave's shorter
 * list leaves the chunks it no longer needs empty, in the same write.
 */
const chunked = (tags: Readonly<Record<string, string>>, prefix: string, countTag: string | undefined): ReadonlyArray<string> | undefined => {
  const count = field(IntText, countTag)
  const ids = Object.keys(tags)
    .filter((k) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .flatMap((k) => field(IdList, tags[k]) ?? [])
  return count !== undefined && ids.length === count ? ids : undefined
}

/** The wave tags: absent when the rollout runs in one wave, "damaged" when some are there but do not make one. */
const waveOf = (tags: Readonly<Record<string, string>>): WaveRecord | "damaged" | undefined => {
  if (tags[key("wave")] === undefined && tags[key("base")] === undefined && tags[key("retire-count")] === undefined) return undefined
  const wave = {
    number: field(IntText, tags[key("wave")]),
    base: field(IntText, tags[key("base")]),
    retire: chunked(tags, RETIRE_PREFIX, tags[key("retire-count")]),
    kept: chunked(tags, KEPT_PREFIX, tags[key("kept-count")])
  }
  return Option.getOrElse(Schema.decodeUnknownOption(WaveStruct)(wave), () => "damaged" as const)
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
  /** The wave, or "damaged" when its tags are there but do not make one: what a wave retires must not be guessed. */
  readonly wave?: WaveRecord | "damaged"
}

/** Each field of the record that its tags still give, decoded by the same schemas as a whole record. */
const fieldsOf = (tags: Readonly<Record<string, string>>) => {
  const defined = <T extends Record<string, unknown>>(r: T) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> }
  return defined({
    id: tags[key("id")],
    stack: tags[key("stack")],
    phase: field(PhaseSchema, tags[key("phase")]),
    startedAt: field(IsoTime, tags[key("started")]),
    sizes: field(SizesText, tags[key("sizes")]),
    needed: field(Schema.NumberFromString, tags[key("needed")]),
    ours: field(IdList, tags[key("ours")]),
    oldIds: chunked(tags, OLD_PREFIX, tags[key("old-count")]),
    heartbeat: field(StampText, tags[HEARTBEAT_KEY]),
    wave: waveOf(tags)
  })
}

const INCOMPLETE = "the rollout record on the group is incomplete"

/**
 * The group's tags ↔ the record. Decoding fails when the tags that are there do not make a whole record (a run died
 * while writing it); `salvageRecord` then reads what they still say with the same field schemas.
 */
export const RolloutRecordFromTags = Schema.transformOrFail(
  Schema.Record({ key: Schema.String, value: Schema.String }),
  RolloutRecordSchema,
  {
    strict: true,
    decode: (tags, _, ast) => {
      const f = fieldsOf(tags)
      // Optional in the tags: the stack (older records), the capacity needed, the processes, the heartbeat.
      const record = { stack: "", needed: 0, ours: [], ...f, ...(f.wave === undefined ? {} : { wave: f.wave }) }
      return f.wave === "damaged"
        ? ParseResult.fail(new ParseResult.Type(ast, tags, INCOMPLETE))
        : ParseResult.mapError(ParseResult.decodeUnknown(RolloutRecordSchema)(record), () => new ParseResult.Type(ast, tags, INCOMPLETE))
    },
    encode: (r) => ParseResult.succeed(encodeRecord(r))
  }
)

/** The record, or a reason why the tags that are there do not make one (a run died while writing it). */
export const decodeRecord = (
  tags: Readonly<Record<string, string>>
): { readonly _tag: "None" } | { readonly _tag: "Record"; readonly record: RolloutRecord } | { readonly _tag: "Damaged"; readonly reason: string } => {
  if (!hasRecord(tags)) return { _tag: "None" }
  return Either.match(Schema.decodeUnknownEither(RolloutRecordFromTags)(tags), {
    onLeft: () => ({ _tag: "Damaged", reason: INCOMPLETE }),
    onRight: (record) => ({ _tag: "Record", record })
  })
}

export const salvageRecord = (tags: Readonly<Record<string, string>>): SalvagedRecord => {
  const { heartbeat: _heartbeat, id: _id, stack: _stack, ...salvaged } = fieldsOf(tags)
  return salvaged
}
