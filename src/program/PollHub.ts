import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { AutoScalingGroup } from "../services/AutoScaling.js"
import { AutoScaling } from "../services/AutoScaling.js"
import type { AwsError } from "../services/Errors.js"
import { LoadBalancing } from "../services/LoadBalancing.js"
import type { LoadBalancerHealth } from "./Assess.js"

/** What one poll round saw: every waiting group, and every CLB and target group any of them is behind. */
export interface Round {
  readonly n: number
  readonly groups: ReadonlyMap<string, AutoScalingGroup>
  readonly health: LoadBalancerHealth
}

type Published = { readonly _tag: "Round"; readonly round: Round } | { readonly _tag: "Failed"; readonly n: number; readonly error: AwsError }

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
}

const fingerprint = (r: Round): string =>
  JSON.stringify([
    [...r.groups.values()].map((g) => [g.name, g.desiredCapacity, g.instances.map((i) => [i.instanceId, i.lifecycleState, i.healthStatus])]),
    r.health
  ])

/**
 * One poll round for every group that waits, whatever their number: one DescribeAutoScalingGroups (batched by the
 * service), one DescribeInstanceHealth per CLB and one DescribeTargetHealth per target group. Rounds run on a
 * Schedule that starts at `interval` and backs off while nothing changes, and only while some group waits.
 */
export const make = (settings: PollSettings): Effect.Effect<PollHub, never, AutoScaling | LoadBalancing | Scope.Scope> =>
  Effect.gen(function*() {
    const asg = yield* AutoScaling
    const lb = yield* LoadBalancing
    const waiting = yield* Ref.make<ReadonlySet<string>>(new Set())
    const published = yield* SubscriptionRef.make<Published | undefined>(undefined)
    const base = Duration.decode(settings.interval)
    const cap = settings.maxInterval === undefined ? Duration.times(base, 2) : Duration.decode(settings.maxInterval)
    let delay = base
    let last = ""
    let n = 0

    const round = Effect.gen(function*() {
      const names = [...(yield* Ref.get(waiting))]
      // Idle: nobody waits, so the next group to join is polled within one `interval`.
      if (names.length === 0) return true
      const groups = yield* asg.describeGroups(names)
      const classicNames = [...new Set(groups.flatMap((g) => g.loadBalancerNames))]
      const targetArns = [...new Set(groups.flatMap((g) => g.targetGroupArns))]
      const [classic, targetGroups] = yield* Effect.all([
        Effect.forEach(classicNames, (name) => Effect.map(lb.classicHealth(name), (h) => [name, h] as const), { concurrency: 8 }),
        Effect.forEach(targetArns, (arn) => Effect.map(lb.targetHealth(arn), (h) => [arn, h] as const), { concurrency: 8 })
      ])
      n += 1
      const r: Round = {
        n,
        groups: new Map(groups.map((g) => [g.name, g])),
        health: { classic: Object.fromEntries(classic), targetGroups: Object.fromEntries(targetGroups) }
      }
      yield* SubscriptionRef.set(published, { _tag: "Round", round: r })
      const print = fingerprint(r)
      const changed = print !== last
      last = print
      return changed
    }).pipe(
      Effect.catchAll((error: AwsError) =>
        Effect.as(Effect.suspend(() => SubscriptionRef.set(published, { _tag: "Failed", n: ++n, error })), true)
      )
    )

    // The next delay: back to `interval` when the round saw a change (or a group joined), longer while nothing moves.
    const schedule = Schedule.identity<boolean>().pipe(
      Schedule.addDelay((changed) => {
        delay = changed ? base : Duration.min(cap, Duration.times(delay, settings.backoff ?? 1.25))
        return delay
      })
    )
    yield* Effect.forkScoped(Effect.repeat(round, schedule))

    const next = (group: string, after: number) =>
      Effect.gen(function*() {
        const joined = yield* Ref.modify(waiting, (s) => (s.has(group) ? [false, s] : [true, new Set([...s, group])]))
        if (joined) last = ""
        const found = yield* published.changes.pipe(
          Stream.filter((p): p is Published => p !== undefined && (p._tag === "Failed" ? p.n > after : p.round.n > after && p.round.groups.has(group))),
          Stream.runHead
        )
        const p = Option.getOrThrow(found)
        return p._tag === "Round" ? yield* Effect.succeed(p.round) : yield* Effect.fail(p.error)
      })

    const leave = (group: string) => Ref.update(waiting, (s) => new Set([...s].filter((g) => g !== group)))
    const hub: PollHub = { next, leave }
    return hub
  })
