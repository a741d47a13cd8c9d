import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { isRunning } from "./Assess.js"
import { emit } from "../Emit.js"
import { GroupNotFound, RolloutHeld, RolloutInProgress } from "./RolloutErrors.js"
import { claimKey, claimsOf, decodeRecord, decodeStamp, encodeStamp, hasRecord, HEARTBEAT_KEY, isFresh } from "./RolloutRecord.js"

/**
 * Exactly one run may roll a group at a time. Tags overwrite silently, so they are no lock by themselves; the claim
 * protocol only ever writes tags whose KEY holds the writer's run id, and two distinct keys never overwrite each other.
 *
 * 1. A run writes its claim `aws-ha-updater:claim:<runId>`, then reads the group's tags.
 * 2. Its claim alone (no other claim, no record) → it proceeds, and keeps the claim until its record goes.
 * 3. A record there → someone proceeded: it withdraws (deletes its own claim) and stops.
 * 4. Other claims there → the run with the lexically smallest id re-reads on a Schedule for a bounded time and
 *    proceeds only once every other claim is gone; every other run withdraws at once. A claim that outlives the wait
 *    means someone holds the group: it withdraws and stops too.
 *
 * Why at most one proceeds: take two runs A and B that both proceed while both hold claims, and say A's claim write
 * finished first. B read the tags after its own write, so after A's write and while A's claim stood (A removes it
 * only when it withdraws, in which case it did not proceed, or when it is done, in which case they did not overlap).
 * So B saw A's claim and could proceed only as the smallest id, after a later read no longer showed A's claim —
 * impossible while A holds it. This assumes a tag write is seen by every read that starts after the write returned.
 */
export interface ClaimSettings {
  readonly runId: string
  /** How often a live run renews its record's heartbeat. */
  readonly heartbeatInterval: Duration.Duration
  /** How long the smallest of several claimants waits for the others to withdraw. */
  readonly contendFor: Duration.Duration
  /** Time between two reads while it waits. */
  readonly recheckEvery: Duration.Duration
}

export const DEFAULT_HEARTBEAT_INTERVAL = Duration.seconds(30)

export interface ClaimOptions {
  /** Default 30 s; `recover` and other runs take a record whose heartbeat is 3 intervals old as abandoned. */
  readonly heartbeatInterval?: Duration.DurationInput
  /** Default 5 s. */
  readonly claimWait?: Duration.DurationInput
}

export const makeSettings = (options: ClaimOptions): Effect.Effect<ClaimSettings> =>
  Effect.sync(() => ({
    runId: crypto.randomUUID(),
    heartbeatInterval: Duration.decode(options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL),
    contendFor: Duration.decode(options.claimWait ?? Duration.seconds(5)),
    recheckEvery: Duration.seconds(1)
  }))

const seconds = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))} s`

/**
 * Read-only, from one look at the group: refuses it while another run holds it (a claim, or a record whose heartbeat
 * is fresh), or when an abandoned record waits for `recover`. `self` is the caller's own run id, whose claim is fine.
 */
export const checkFree = (group: AutoScalingGroup, stackName: string, now: number, self?: string): Effect.Effect<void, RolloutHeld | RolloutInProgress> => {
  const claims = claimsOf(group.tags).filter((c) => c.runId !== self).sort((a, b) => (a.runId < b.runId ? -1 : 1))
  const holder = claims[0]?.runId ?? "unknown"
  const decoded = decodeRecord(group.tags)
  if (decoded._tag !== "None") {
    const beat = decodeStamp(group.tags[HEARTBEAT_KEY])
    if (beat !== undefined && isFresh(beat, now)) {
      return Effect.fail(new RolloutHeld({
        group: group.name,
        stackName,
        holder,
        reason: `its rollout record's heartbeat is ${seconds(now - beat.at)} old (renewed every ${beat.everySeconds} s)`
      }))
    }
    return Effect.fail(new RolloutInProgress({
      group: group.name,
      stackName,
      phase: decoded._tag === "Record" ? decoded.record.phase : "unknown",
      since: decoded._tag === "Record" ? new Date(decoded.record.startedAt).toISOString() : "unknown"
    }))
  }
  const first = claims[0]
  if (first === undefined) return Effect.void
  const when = first.stamp === undefined ? "" : ` ${seconds(now - first.stamp.at)} ago`
  return Effect.fail(new RolloutHeld({ group: group.name, stackName, holder, reason: `run ${holder} claimed it${when}` }))
}

type Verdict = { readonly _tag: "Mine" } | { readonly _tag: "Record" } | { readonly _tag: "Wait" } | { readonly _tag: "Yield"; readonly to: string }

const verdict = (tags: Readonly<Record<string, string>>, runId: string): Verdict => {
  if (hasRecord(tags)) return { _tag: "Record" }
  const others = claimsOf(tags).map((c) => c.runId).filter((id) => id !== runId)
  if (others.length === 0) return { _tag: "Mine" }
  const smallest = [...others, runId].sort()[0]!
  return smallest === runId ? { _tag: "Wait" } : { _tag: "Yield", to: smallest }
}

/** Instances running in `before` that `now` no longer runs: another run may have rolled the group meanwhile. */
const goneSince = (before: AutoScalingGroup, now: AutoScalingGroup): ReadonlyArray<string> => {
  const running = (g: AutoScalingGroup) => new Set(g.instances.filter(isRunning).map((i) => i.instanceId))
  const still = running(now)
  return [...running(before)].filter((id) => !still.has(id))
}

/**
 * Claims the group for this run (see the protocol above), or fails with `RolloutHeld` / `RolloutInProgress`, having
 * removed its own claim again: a run that does not proceed leaves nothing behind.
 *
 * `before` is the look the caller planned from. The protocol keeps two runs from overlapping, not the second from
 * following the first: a run that waited its turn, or looked before another run rolled the group from start to end,
 * would act on instances that are gone. So the group must still run every instance `before` ran; otherwise the run
 * withdraws, as another run held the group.
 */
export const acquire = Effect.fn("Claim.acquire")(function*(group: string, stackName: string, claim: ClaimSettings, before?: AutoScalingGroup) {
  const asg = yield* AutoScaling
  const mine = claimKey(claim.runId)
  const everySeconds = Duration.toSeconds(claim.heartbeatInterval)
  const look = Effect.flatMap(asg.describeGroups([group]), (groups) => {
    const g = groups.find((x) => x.name === group)
    return g === undefined ? Effect.fail(new GroupNotFound({ group, stackName })) : Effect.succeed(g)
  })
  yield* asg.setTags(group, { [mine]: encodeStamp({ at: yield* Clock.currentTimeMillis, everySeconds }) })

  const held = (reason: string, holder: string) => Effect.fail(new RolloutHeld({ group, stackName, holder, reason }))
  const decide = (g: AutoScalingGroup): Effect.Effect<"proceed" | "wait", RolloutHeld | RolloutInProgress> => {
    const v = verdict(g.tags, claim.runId)
    switch (v._tag) {
      case "Mine": {
        const gone = before === undefined ? [] : goneSince(before, g)
        return gone.length === 0
          ? Effect.succeed("proceed")
          : held(`its instances changed while this run claimed it (${gone.join(", ")} gone): another run may have rolled it; run again to see what is there now`, "unknown")
      }
      case "Wait":
        return Effect.succeed("wait")
      case "Yield":
        return held(`run ${v.to} claimed it at the same moment`, v.to)
      case "Record":
        return Effect.flatMap(Clock.currentTimeMillis, (now) => checkFree(g, stackName, now, claim.runId)).pipe(
          // A record without a heartbeat, or one abandoned: it still is not ours to take.
          Effect.zipRight(held("another run's rollout record appeared", "unknown"))
        )
    }
  }
  const contend = Effect.flatMap(look, decide).pipe(
    Effect.repeat({ schedule: Schedule.spaced(claim.recheckEvery), while: (d) => d === "wait" }),
    Effect.timeoutFail({
      duration: claim.contendFor,
      onTimeout: () => {
        const secs = Duration.toSeconds(claim.contendFor)
        return new RolloutHeld({ group, stackName, holder: "unknown", reason: `another run's claim was still there after ${secs} s` })
      }
    })
  )
  return yield* contend.pipe(
    Effect.asVoid,
    // Not proceeding, for whatever reason (interruption included): our claim goes.
    Effect.onError(() => Effect.ignore(asg.deleteTags(group, [mine])))
  )
})

/** The tags the rollout record carries for a claimed run: its claim and a first heartbeat. */
export const recordTags = (claim: ClaimSettings, now: number): Record<string, string> => {
  const stamp = encodeStamp({ at: now, everySeconds: Duration.toSeconds(claim.heartbeatInterval) })
  return { [claimKey(claim.runId)]: stamp, [HEARTBEAT_KEY]: stamp }
}

/**
 * Renews the record's heartbeat every interval, in a fiber that ends with the scope (before the record is removed).
 * A write in flight finishes before the fiber ends, so no heartbeat lands after the record is gone.
 */
export const keepAlive = (group: string, claim: ClaimSettings): Effect.Effect<void, never, AutoScaling | Scope.Scope> =>
  Effect.gen(function*() {
    const asg = yield* AutoScaling
    const everySeconds = Duration.toSeconds(claim.heartbeatInterval)
    const beat = Effect.flatMap(Clock.currentTimeMillis, (at) => asg.setTags(group, { [HEARTBEAT_KEY]: encodeStamp({ at, everySeconds }) })).pipe(
      Effect.catchAll((e: AwsError) => emit({ type: "warning", group, message: `could not renew the heartbeat (${e._tag}: ${e.message}); trying again in ${everySeconds} s` })),
      Effect.uninterruptible
    )
    yield* Effect.forkScoped(Effect.schedule(beat, Schedule.spaced(claim.heartbeatInterval)))
  })
