import type * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { AlarmState } from "../../services/Alarms.js"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { type InstanceHealth, LoadBalancing } from "../../services/LoadBalancing.js"
import type { LoadBalancerHealth } from "./Assess.js"

/** What one poll round saw: every waiting group, and every CLB and target group any of them is behind. */
export interface Round {
  readonly n: number
  /** The groups the round asked for: one of them missing from `groups` no longer exists. */
  readonly asked: ReadonlySet<string>
  readonly groups: ReadonlyMap<string, AutoScalingGroup>
  readonly health: LoadBalancerHealth
  /** The watched alarms as this round read them (one DescribeAlarms for all); empty when none is watched. */
  readonly alarms: ReadonlyArray<AlarmState>
}

type Published = { readonly _tag: "Round"; readonly round: Round } | { readonly _tag: "Failed"; readonly n: number; readonly error: AwsError }

interface Waiter {
  readonly wants: (p: Published) => boolean
  readonly deferred: Deferred.Deferred<Published>
}

export interface PollHub {
  /** The first round, after round `after`, that covers `group`; joining the hub while this waits. */
  readonly next: (group: string, after: number) => Effect.Effect<Round, AwsError>
  readonly leave: (group: string) => Effect.Effect<void>
}

export interface PollSettings {
  /** The first interval, and the one used again whenever something changed. */
  readonly interval: Duration.DurationInput
  /** Growth per round in which nothing changed. */
  readonly backoff?: number
  /** The longest interval the back-off reaches. Default: twice `interval`. */
  readonly maxInterval?: Duration.DurationInput
  /** Reads the watched alarms, once per round for every group; absent when the run watches none. */
  readonly alarms?: Effect.Effect<ReadonlyArray<AlarmState>, AwsError>
}

const sameHealth = (
  a: Readonly<Record<string, ReadonlyArray<InstanceHealth>>>,
  b: Readonly<Record<string, ReadonlyArray<InstanceHealth>>>
): boolean => {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) {
    const x = a[key]
    const y = b[key]
    if (x === undefined || y === undefined || x.length !== y.length) return false
    for (let k = 0; k < x.length; k++) {
      if (x[k]!.instanceId !== y[k]!.instanceId || x[k]!.state !== y[k]!.state || x[k]!.reason !== y[k]!.reason) return false
    }
  }
  return true
}

/** Whether two rounds saw the same groups (desired capacity; instance ids, states, health) and load balancer health. */
const sameRound = (a: Round, b: Round): boolean => {
  // A group that joined makes the next round a change by itself (`last` is cleared); one that left is missing from b.
  for (const ga of a.groups.values()) {
    const gb = b.groups.get(ga.name)
    if (gb === undefined || ga.desiredCapacity !== gb.desiredCapacity || ga.instances.length !== gb.instances.length) return false
    for (let k = 0; k < ga.instances.length; k++) {
      const x = ga.instances[k]!
      const y = gb.instances[k]!
      if (x.instanceId !== y.instanceId || x.lifecycleState !== y.lifecycleState || x.healthStatus !== y.healthStatus) return false
    }
  }
  return sameHealth(a.health.classic, b.health.classic) && sameHealth(a.health.targetGroups, b.health.targetGroups) &&
    a.alarms.length === b.alarms.length && a.alarms.every((x, k) => x.state === b.alarms[k]!.state)
}

/**
 * One poll round for every group that waits, whatever their number: one DescribeAutoScalingGroups (batched by the
 * service), one DescribeInstanceHealth per CLB, one DescribeTargetHealth per target group and one DescribeAlarms for
 * the watched alarms. Rounds run on a
 * Schedule that starts at `interval` and backs off while nothing changes, and only while some group waits.
 */
export const make = (settings: PollSettings): Effect.Effect<PollHub, never, AutoScaling | LoadBalancing | Scope.Scope> =>
  Effect.gen(function*() {
    const asg = yield* AutoScaling
    const lb = yield* LoadBalancing
    const waiting = yield* Ref.make<ReadonlySet<string>>(new Set())
    // What the latest round published, and who waits for a round to come: checked as each round is published.
    let published: Published | undefined
    const waiters = new Set<Waiter>()
    const publish = (p: Published) =>
      Effect.sync(() => {
        published = p
        for (const w of waiters) {
          if (!w.wants(p)) continue
          waiters.delete(w)
          Deferred.unsafeDone(w.deferred, Exit.succeed(p))
        }
      })
    const base = Duration.decode(settings.interval)
    const cap = settings.maxInterval === undefined ? Duration.times(base, 2) : Duration.decode(settings.maxInterval)
    let delay = base
    /** The last round seen, to tell whether the next one saw a change; undefined: count the next one as changed. */
    let last: Round | undefined
    let n = 0
    /** Whether a round is being taken: the number it will publish under was taken before anyone joining now. */
    let inFlight = false

    const round = Effect.gen(function*() {
      const names = [...(yield* Ref.get(waiting))]
      // Idle: nobody waits, so the next group to join is polled within one `interval`.
      if (names.length === 0) return true
      inFlight = true
      const groups = yield* asg.describeGroups(names)
      const classicNames = [...new Set(groups.flatMap((g) => g.loadBalancerNames))]
      const targetArns = [...new Set(groups.flatMap((g) => g.targetGroupArns))]
      const [classic, targetGroups, alarms] = yield* Effect.all([
        Effect.forEach(classicNames, (name) => Effect.map(lb.classicHealth(name), (h) => [name, h] as const), { concurrency: 8 }),
        Effect.forEach(targetArns, (arn) => Effect.map(lb.targetHealth(arn), (h) => [arn, h] as const), { concurrency: 8 }),
        settings.alarms ?? Effect.succeed([])
      ])
      n += 1
      inFlight = false
      const r: Round = {
        n,
        asked: new Set(names),
        groups: new Map(groups.map((g) => [g.name, g])),
        health: { classic: Object.fromEntries(classic), targetGroups: Object.fromEntries(targetGroups) },
        alarms
      }
      yield* publish({ _tag: "Round", round: r })
      const changed = last === undefined || !sameRound(last, r)
      last = r
      return changed
    }).pipe(
      Effect.catchAll((error: AwsError) =>
        Effect.as(Effect.suspend(() => {
          inFlight = false
          return publish({ _tag: "Failed", n: ++n, error })
        }), true)
      )
    )

    // The next delay: back to `interval` when the round saw a change (or a group joined), longer while nothing moves.
    const schedule = Schedule.identity<boolean>().pipe(
      Schedule.addDelay((changed) => {
        // Scaled as milliseconds: Duration.times by a fraction dies on a sub-millisecond duration before effect 3.22.4.
        const grown = Duration.millis(Duration.toMillis(delay) * (settings.backoff ?? 1.25))
        delay = changed ? base : Duration.min(cap, grown)
        return delay
      })
    )
    // A loop that dies (a defect) takes its waiters, present and to come, with it: none of them waits forever.
    let died: Cause.Cause<never> | undefined
    yield* Effect.forkScoped(Effect.repeat(round, schedule).pipe(
      Effect.onExit((exit) =>
        Effect.sync(() => {
          if (Exit.isSuccess(exit) || Exit.isInterrupted(exit)) return
          died = exit.cause
          for (const w of waiters) Deferred.unsafeDone(w.deferred, Exit.failCause(exit.cause))
          waiters.clear()
        })
      )
    ))

    const next = (group: string, after: number) =>
      Effect.gen(function*() {
        const joined = yield* Ref.modify(waiting, (s) => (s.has(group) ? [false, s] : [true, new Set([...s, group])]))
        if (joined) last = undefined
        // A group joining sees only rounds begun after it joined: an earlier failure was someone else's.
        const floor = joined ? Math.max(after, inFlight ? n + 1 : n) : after
        // A round that asked for the group: AWS listing it or not (a deleted group), it is the group's answer.
        const wants = (p: Published) => (p._tag === "Failed" ? p.n > floor : p.round.n > floor && p.round.asked.has(group))
        // The latest round when it will do, else the first one published from now on that does.
        const p = yield* Effect.flatMap(Deferred.make<Published>(), (deferred) => {
          if (died !== undefined) return Effect.failCause(died)
          if (published !== undefined && wants(published)) return Effect.succeed(published)
          const waiter: Waiter = { wants, deferred }
          waiters.add(waiter)
          return Effect.ensuring(Deferred.await(deferred), Effect.sync(() => waiters.delete(waiter)))
        })
        return p._tag === "Round" ? yield* Effect.succeed(p.round) : yield* Effect.fail(p.error)
      })

    const leave = (group: string) => Ref.update(waiting, (s) => new Set([...s].filter((g) => g !== group)))
    const hub: PollHub = { next, leave }
    return hub
  })
