import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { CloudFormation, type StackEvent } from "../../services/CloudFormation.js"
import { emit } from "../Emit.js"
import { StackActionTimedOut } from "./StackErrors.js"
import { listTree } from "./StackTree.js"

export interface StackWaitOptions {
  /** How long the action's first event may take to appear. */
  readonly warmup: Duration.DurationInput
  /** Idle limit: how long we wait for the next event; restarts with every new one. */
  readonly actionTimeout: Duration.DurationInput
  /** Where events carry no token, those this much older than the action's start still count as its own. */
  readonly lenientLookBack: Duration.DurationInput
  /** Time between two DescribeStackEvents rounds. */
  readonly pollInterval: Duration.DurationInput
}

export const defaultWaitOptions: StackWaitOptions = {
  warmup: Duration.seconds(25),
  actionTimeout: Duration.seconds(300),
  lenientLookBack: Duration.seconds(5),
  pollInterval: Duration.seconds(5)
}

/** A CloudFormation action we started, and what tells its events from those of earlier actions. */
export interface StackAction {
  readonly stackName: string
  readonly stackId?: string
  readonly clientRequestToken: string
  /** Clock time just before the call that started it, epoch ms. */
  readonly startedAt: number
  /** Ids of the events the stack had before the action: they never count as its own. */
  readonly earlier: ReadonlySet<string>
}

/**
 * A stack status no action goes on from: every `…_COMPLETE` and `…_FAILED` one (CREATE_COMPLETE … IMPORT_ROLLBACK_FAILED);
 * the `…_IN_PROGRESS` ones, the clean-ups after a complete included, go on.
 */
export const isTerminalStatus = (status: string): boolean => status.endsWith("_COMPLETE") || status.endsWith("_FAILED")

/** The statuses an action that did what it was asked ends in. */
export const isSuccessStatus = (status: string): boolean =>
  status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE" || status === "IMPORT_COMPLETE"

export const STACK_TYPE = "AWS::CloudFormation::Stack"

/** Whether `event` is one of the action's own: by its token, or by its time where the service gave it none. */
export const belongsTo = (action: StackAction, lookBackMs: number) => (event: StackEvent): boolean => {
  if (action.earlier.has(event.eventId)) return false
  const token = event.clientRequestToken
  if (token !== undefined && token !== "") return token === action.clientRequestToken
  return event.timestamp >= action.startedAt - lookBackMs
}

/** The stack's own event announcing a terminal status (a nested stack's events have another logical id). */
export const isFinalEvent = (action: StackAction) => (event: StackEvent): boolean =>
  event.resourceType === STACK_TYPE &&
  (event.logicalId === action.stackName || event.physicalId === action.stackName ||
    (action.stackId !== undefined && event.physicalId === action.stackId)) &&
  isTerminalStatus(event.status)

/** The ids of the stack's latest events (one page) before we act: a stack that does not exist has none. */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
export const eventsBefore = Effect.fn("StackUpdate.eventsBefore")(function*(stackName: string) {
  const events = yield* (yield* CloudFormation).stackEvents(stackName, () => true)
  return new Set(events.map((e) => e.eventId)) as ReadonlySet<string>
})

/** An event of the action, in the stack itself or in one of its nested stacks. */
export interface ActionEvent extends StackEvent {
  /** Logical ids of the nested stack resources down to the stack that logged it; empty for the stack's own. */
  readonly nesting: ReadonlyArray<string>
}

export interface ActionEnd {
  /** The stack's status once the action ended, read from DescribeStacks. */
  readonly status: string
  readonly statusReason?: string
  /** Every event of the action, nested stacks' included, oldest first. */
  readonly events: ReadonlyArray<ActionEvent>
}

/** Spaced by `interval`, with the last value polled as its output, so that `Effect.repeat` returns that value. */
export const polling = <A>(interval: Duration.DurationInput): Schedule.Schedule<A, A> =>
  Schedule.identity<A>().pipe(Schedule.zipLeft(Schedule.spaced(interval)))

class NoEventWithin {
  readonly _tag = "NoEventWithin"
  constructor(readonly phase: "start" | "idle", readonly limit: Duration.Duration) {}
}

/** A nested stack of the action: where its events are read, and whether it has to be read again. */
interface NestedStack {
  readonly ref: string
  readonly nesting: ReadonlyArray<string>
  /** Its last event ended an action of its own: not read again until its parent logs an event about it. */
  readonly idle: boolean
}

/** An event about a nested stack resource inside the stack that logged it (not the stack's own events). */
const aboutNested = (e: StackEvent): boolean => e.resourceType === STACK_TYPE && e.logicalId !== e.stackName

/** How many nested stacks' events are read at once. */
const NESTED_CONCURRENCY = 4

/**
 * Follows the action: up to `warmup` for its first event, then until the stack reaches a terminal status, each wait
 * for a new event bounded by `actionTimeout`. The nested stacks the action touches are followed too, at any depth:
 * those its events name while it runs, and at its end those the stack's resources name. Every new event is reported
 * once, oldest first, a nested stack's with its path (`shop/Web`); the stack's own final event comes last.
 */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
export const followAction = Effect.fn("StackUpdate.follow")(function*(action: StackAction, options: StackWaitOptions) {
  const cfn = yield* CloudFormation
  const lookBackMs = Duration.toMillis(Duration.decode(options.lenientLookBack))
  const ours = belongsTo(action, lookBackMs)
  // A nested stack only ever runs its parent's action, and the stack was idle before ours: time tells its events.
  const oursNested = (e: StackEvent) => e.timestamp >= action.startedAt - lookBackMs
  const final = isFinalEvent(action)
  const seen = yield* Ref.make<ReadonlyArray<ActionEvent>>([])
  const nested = yield* Ref.make<ReadonlyMap<string, NestedStack>>(new Map())

  /** Nested stacks the events name, and those woken by an event of their parent about them. */
  const noteNested = (events: ReadonlyArray<ActionEvent>) =>
    Ref.update(nested, (known) => {
      const next = new Map(known)
      for (const e of events) {
        if (!aboutNested(e) || e.physicalId === undefined || e.physicalId === "") continue
        next.set(e.physicalId, { ref: e.physicalId, nesting: [...e.nesting, e.logicalId], idle: false })
      }
      return next
    })

  const nestedEvents = (n: NestedStack, known: ReadonlySet<string>) =>
    cfn.stackEvents(n.ref, (e) => known.has(e.eventId) || !oursNested(e)).pipe(
      Effect.map((page) => {
        const newest = page[0]
        const idle = newest !== undefined && newest.logicalId === newest.stackName && isTerminalStatus(newest.status)
        return { n: { ...n, idle }, fresh: page.filter((e) => oursNested(e) && !known.has(e.eventId)).reverse().map((e): ActionEvent => ({ ...e, nesting: n.nesting })) }
      }),
      // Nested events only inform: a nested stack that cannot be read now is read again next round.
      Effect.catchAll((e) => Effect.as(emit({ type: "warning", message: `could not read the events of nested stack ${n.nesting.join("/")} (${e.message}); going on` }), { n, fresh: [] }))
    )

  /**
   * The nested stacks' new events: those not idle (all of them when `everything`), then those their events name, at
   * any depth, so that a round reads every nested stack it learns of.
   */
  const nestedRound = (known: ReadonlySet<string>, everything: boolean) =>
    Effect.gen(function*() {
      const read = new Set<string>()
      let fresh: ReadonlyArray<ActionEvent> = []
      // Each pass reads only stacks not read yet, named by the finite events read so far: the loop ends.
      for (;;) {
        const stacks = [...(yield* Ref.get(nested)).values()].filter((n) => !read.has(n.ref) && (everything || !n.idle))
        if (stacks.length === 0) break
        const got = yield* Effect.forEach(stacks, (n) => nestedEvents(n, known), { concurrency: NESTED_CONCURRENCY })
        for (const n of stacks) read.add(n.ref)
        yield* Ref.update(nested, (m) => new Map([...m, ...got.map(({ n }) => [n.ref, n] as const)]))
        const more = got.flatMap((g) => g.fresh)
        yield* noteNested(more)
        fresh = [...fresh, ...more]
      }
      return fresh
    })

  /** At the end: the nested stacks the stack's resources name that no event named (an emulator logs none). */
  const sweep = (known: ReadonlySet<string>) =>
    Effect.gen(function*() {
      const tree = yield* listTree(action.stackName).pipe(
        Effect.catchAll((e) => Effect.as(emit({ type: "warning", message: `could not list the nested stacks of ${action.stackName} (${e.message}); their last events are not shown` }), []))
      )
      const stacks = tree.filter((r) => r.resourceType === STACK_TYPE && r.physicalId !== "")
      yield* Ref.update(nested, (m) => {
        const next = new Map(m)
        for (const r of stacks) {
          if (![...next.values()].some((n) => n.ref === r.physicalId || n.ref.split("/")[1] === r.physicalId || r.physicalId.split("/")[1] === n.ref)) {
            next.set(r.physicalId, { ref: r.physicalId, nesting: [...r.nesting, r.logicalId], idle: false })
          }
        }
        return next
      })
      return yield* nestedRound(known, true)
    })

  const round = Effect.gen(function*() {
    const known = new Set((yield* Ref.get(seen)).map((e) => e.eventId))
    // Newest first: the pages can stop at the first event already shown or older than the action.
    const page = yield* cfn.stackEvents(action.stackName, (e) => known.has(e.eventId) || !ours(e))
    const own = page.filter((e) => ours(e) && !known.has(e.eventId)).reverse().map((e): ActionEvent => ({ ...e, nesting: [] }))
    yield* noteNested(own)
    const inner = yield* nestedRound(known, false)
    const ending = own.some(final)
    const last = ending ? yield* sweep(new Set([...known, ...inner.map((e) => e.eventId)])) : []
    // Oldest first (the sort is stable: events of one instant keep the order read); the stack's own final event last.
    const fresh = [...own, ...inner, ...last].sort((a, b) => Number(final(a)) - Number(final(b)) || a.timestamp - b.timestamp)
    yield* Ref.update(seen, (es) => [...es, ...fresh])
    yield* Effect.forEach(fresh, (e) =>
      emit({
        type: "stack-event",
        stack: [action.stackName, ...e.nesting].join("/"),
        timestamp: e.timestamp,
        status: e.status,
        logicalId: e.logicalId,
        resourceType: e.resourceType,
        ...(e.reason === undefined || e.reason === "" ? {} : { reason: e.reason })
      }), { discard: true })
    return fresh
  })

  const nextEvents = (phase: "start" | "idle", limit: Duration.DurationInput) =>
    round.pipe(
      Effect.repeat({ schedule: polling<ReadonlyArray<ActionEvent>>(options.pollInterval), until: (fresh) => fresh.length > 0 }),
      Effect.timeoutFail({ duration: limit, onTimeout: () => new NoEventWithin(phase, Duration.decode(limit)) })
    )

  const waited = yield* nextEvents("start", options.warmup).pipe(
    Effect.flatMap((first) =>
      first.some(final)
        ? Effect.succeed(first)
        : nextEvents("idle", options.actionTimeout).pipe(Effect.repeat({ until: (fresh) => fresh.some(final) }))
    ),
    Effect.onInterrupt(() =>
      emit({ type: "warning", message: `stopped following stack ${action.stackName}: CloudFormation goes on by itself` })
    ),
    Effect.map((events) => Either.right<ReadonlyArray<ActionEvent>>(events)),
    Effect.catchTag("NoEventWithin", (e) => Effect.succeed(Either.left(e)))
  )
  const stack = yield* cfn.describeStack(action.stackName)
  const status = Option.match(stack, { onNone: () => "", onSome: (s) => s.status })
  if (waited._tag === "Left") {
    return yield* Effect.fail(
      new StackActionTimedOut({
        stackName: action.stackName,
        phase: waited.left.phase,
        seconds: Duration.toSeconds(waited.left.limit),
        status
      })
    )
  }
  const events = yield* Ref.get(seen)
  const last = events.filter(final).at(-1)
  const reason = Option.match(stack, { onNone: () => last?.reason, onSome: (s) => s.statusReason })
  const end: ActionEnd = {
    // A stack gone from DescribeStacks ended as its last event says.
    status: status === "" ? last?.status ?? "" : status,
    ...(reason === undefined ? {} : { statusReason: reason }),
    events
  }
  yield* emit({
    type: "stack-status",
    stack: action.stackName,
    status: end.status,
    ...(end.statusReason === undefined ? {} : { reason: end.statusReason })
  })
  return end
})

/** "Resource update cancelled", "Embedded stack … was not successfully updated": echoes of a failure elsewhere. */
const ECHO = /cancell?ed|^Embedded stack .* was not successfully (?:created|updated|deleted)/i

/**
 * The reasons of the action's failed events, oldest first, each once; a nested stack's with its path (`Web/Group:`).
 * Echoes of a failure are kept only when nothing else explains it.
 */
export const failureReasons = (events: ReadonlyArray<StackEvent & { readonly nesting?: ReadonlyArray<string> }>): ReadonlyArray<string> => {
  const failed = events.filter((e) => e.status.endsWith("_FAILED") && e.reason !== undefined && e.reason !== "")
  const causes = failed.filter((e) => !ECHO.test(e.reason ?? ""))
  return [...new Set((causes.length > 0 ? causes : failed).map((e) => `${[...(e.nesting ?? []), e.logicalId].join("/")}: ${e.reason}`))]
}
