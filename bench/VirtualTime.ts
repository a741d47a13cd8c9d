import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Scheduler from "effect/Scheduler"

interface Sleeper {
  readonly at: number
  readonly wake: () => void
}

/** A Clock that only moves when told to: `advance` jumps to the earliest sleeper and wakes every one due then. */
export class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  private now: number
  private sleepers: Array<Sleeper> = []

  constructor(start: number) {
    this.now = start
  }

  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.round(this.now * 1_000_000))
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const ms = Duration.toMillis(duration)
      if (ms <= 0) return resume(Effect.void)
      const sleeper: Sleeper = { at: this.now + ms, wake: () => resume(Effect.void) }
      this.sleepers.push(sleeper)
      return Effect.sync(() => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper)
      })
    })
  }

  /** Moves to the earliest wake-up and wakes every sleeper due then; false when nobody sleeps. */
  advance(): boolean {
    if (this.sleepers.length === 0) return false
    const at = Math.min(...this.sleepers.map((s) => s.at))
    this.now = Math.max(this.now, at)
    const due = this.sleepers.filter((s) => s.at <= at)
    this.sleepers = this.sleepers.filter((s) => s.at > at)
    for (const s of due) s.wake()
    return true
  }
}

/**
 * Runs `effect` to its end on virtual time: every fiber runs on a scheduler stepped here until nothing is runnable,
 * then the clock jumps to the next wake-up. Exact and deterministic, as long as the effect does no real I/O.
 */
export const runVirtual = <A, E>(effect: Effect.Effect<A, E>, clock: VirtualClock): Exit.Exit<A, E> => {
  const scheduler = new Scheduler.ControlledScheduler()
  const fiber = Effect.runFork(effect.pipe(Effect.withClock(clock), Effect.withScheduler(scheduler)), { scheduler })
  for (;;) {
    while (scheduler.tasks.buckets.length > 0) scheduler.step()
    const exit = fiber.unsafePoll()
    if (exit !== null) return exit
    if (!clock.advance()) throw new Error("virtual time: the program waits on something that is not the clock")
  }
}
