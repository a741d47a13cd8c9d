import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { CloudFormation, type StackEvent } from "../services/CloudFormation.js"
import { emit } from "./Events.js"
import { StackActionTimedOut } from "./StackErrors.js"

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

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  "CREATE_COMPLETE",
  "CREATE_FAILED",
  "ROLLBACK_COMPLETE",
  "ROLLBACK_FAILED",
  "UPDATE_COMPLETE",
  "UPDATE_FAILED",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_FAILED",
  "DELETE_COMPLETE",
  "DELETE_FAILED",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
  "IMPORT_ROLLBACK_FAILED"
])

export const SUCCESS_STATUSES: ReadonlySet<string> = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"])

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
  TERMINAL_STATUSES.has(event.status)

/** The ids of the stack's latest events (one page) before we act: a stack that does not exist has none. */
export const eventsBefore = Effect.fn("StackUpdate.eventsBefore")(function*(stackName: string) {
  const events = yield* (yield* CloudFormation).stackEvents(stackName, () => true)
  return new Set(events.map((e) => e.eventId)) as ReadonlySet<string>
})

export interface ActionEnd {
  /** The stack's status once the action ended, read from DescribeStacks. */
  readonly status: string
  readonly statusReason?: string
  /** Every event of the action, oldest first. */
  readonly events: ReadonlyArray<StackEvent>
}

/** Spaced by `interval`, with the last value polled as its output, so that `Effect.repeat` returns that value. */
export const polling = <A>(interval: Duration.DurationInput): Schedule.Schedule<A, A> =>
  Schedule.identity<A>().pipe(Schedule.zipLeft(Schedule.spaced(interval)))

class NoEventWithin {
  readonly _tag = "NoEventWithin"
  constructor(readonly phase: "start" | "idle", readonly limit: Duration.Duration) {}
}

/**
 * Follows the action: up to `warmup` for its first event, then until the stack reaches a terminal status, each wait
 * for a new event bounded by `actionTimeout`. Every new event is reported once, oldest first.
 */
export const followAction = Effect.fn("StackUpdate.follow")(function*(action: StackAction, options: StackWaitOptions) {
  const cfn = yield* CloudFormation
  const ours = belongsTo(action, Duration.toMillis(Duration.decode(options.lenientLookBack)))
  const final = isFinalEvent(action)
  const seen = yield* Ref.make<ReadonlyArray<StackEvent>>([])

  const round = Effect.gen(function*() {
    const known = new Set((yield* Ref.get(seen)).map((e) => e.eventId))
    // Newest first: the pages can stop at the first event already shown or older than the action.
    const page = yield* cfn.stackEvents(action.stackName, (e) => known.has(e.eventId) || !ours(e))
    const fresh = page.filter((e) => ours(e) && !known.has(e.eventId)).reverse()
    yield* Ref.update(seen, (es) => [...es, ...fresh])
    yield* Effect.forEach(fresh, (e) =>
      emit({
        type: "stack-event",
        stack: action.stackName,
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
      Effect.repeat({ schedule: polling<ReadonlyArray<StackEvent>>(options.pollInterval), until: (fresh) => fresh.length > 0 }),
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
    Effect.map((events) => Either.right<ReadonlyArray<StackEvent>>(events)),
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

/** The reasons of the action's failed events, oldest first, each once. */
export const failureReasons = (events: ReadonlyArray<StackEvent>): ReadonlyArray<string> => {
  const failed = events.filter((e) => e.status.endsWith("_FAILED") && e.reason !== undefined && e.reason !== "")
  // "Resource update cancelled" only echoes the failure that caused it: keep it only when nothing else explains.
  const causes = failed.filter((e) => !/cancell?ed/i.test(e.reason ?? ""))
  return [...new Set((causes.length > 0 ? causes : failed).map((e) => `${e.logicalId}: ${e.reason}`))]
}
