import { describe, expect, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { makeLiveView, Terminal, type TerminalFacts } from "../../src/cli/LiveView.js"
import { makeRenderer, textLine } from "../../src/cli/Render.js"
import { ExitStatus, runReported } from "../../src/cli/Run.js"
import type { RolloutEvent, RolloutEventInput } from "../../src/program/Events.js"
import { emit } from "../../src/program/Emit.js"
import { captureConsole } from "../support/CaptureConsole.js"

/**
 * A terminal of `rows` × `columns`: prints characters (wrapping at the right edge), and applies \r, \n, ESC[nA
 * (never above the screen's top: what scrolled off is out of reach), ESC[2K, ESC[J; SGR colours are ignored.
 */
class Screen {
  private lines: Array<string> = [""]
  private row = 0
  private col = 0
  constructor(readonly columns: number, readonly rows: number) {}

  /** The most lines the screen ever held: once scrolled off, a line stays off even when lines below are cleared. */
  private highWater = 1
  private top(): number {
    return Math.max(0, this.highWater - this.rows)
  }
  private put(ch: string): void {
    if (this.col >= this.columns) this.newline()
    const line = (this.lines[this.row] ?? "").padEnd(this.col)
    this.lines[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1)
    this.col++
  }
  private newline(): void {
    this.row++
    this.col = 0
    if (this.row >= this.lines.length) this.lines.push("")
    this.highWater = Math.max(this.highWater, this.lines.length)
  }

  write(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i] ?? ""
      if (ch === "\u001b" && chunk[i + 1] === "[") {
        let j = i + 2
        while (j < chunk.length && !/[@-~]/.test(chunk[j] ?? "")) j++
        const params = chunk.slice(i + 2, j)
        const final = chunk[j]
        if (final === "A") this.row = Math.max(this.top(), this.row - Number(params || "1"))
        else if (final === "K" && params === "2") this.lines[this.row] = ""
        else if (final === "J" && (params === "" || params === "0")) {
          this.lines[this.row] = (this.lines[this.row] ?? "").slice(0, this.col)
          this.lines.length = this.row + 1
        } else if (final !== "m") throw new Error(`unexpected escape sequence ESC[${params}${final ?? ""}`)
        i = j
      } else if (ch === "\r") this.col = 0
      else if (ch === "\n") this.newline()
      else this.put(ch)
    }
  }

  /** Every line ever printed that is still there, scrollback included, without trailing blanks. */
  text(): ReadonlyArray<string> {
    const lines = this.lines.map((l) => l.trimEnd())
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop()
    return lines
  }
}

const tty = (overrides: Partial<TerminalFacts> = {}): TerminalFacts => ({
  isTTY: true,
  color: false,
  columns: 120,
  rows: 40,
  ...overrides
})

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0)
const at = (seconds: number) => T0 + seconds * 1000

const step = (s: number, group: string, name: Extract<RolloutEvent, { type: "step" }>["step"], message: string): RolloutEvent => ({
  type: "step",
  at: at(s),
  group,
  step: name,
  message
})

const progress = (
  s: number,
  group: string,
  p: { readonly oldCount: number; readonly newCount: number; readonly healthy: number; readonly needed: number; readonly timeLeft: number }
): RolloutEvent => ({ type: "progress", at: at(s), group, ...p })

const succeeded = (s: number, name: string): RolloutEvent => ({
  type: "group-result",
  at: at(s),
  name,
  status: "succeeded",
  launched: ["i-new1", "i-new2"],
  terminated: ["i-old1", "i-old2"],
  leftSuspended: []
})

/** A live view on a fresh screen; `writes` keeps every chunk as written. */
const terminal = (facts: TerminalFacts) => {
  const screen = new Screen(facts.columns, facts.rows)
  const writes: Array<string> = []
  const lastProgress = new Map<string, string>()
  const view = makeLiveView(facts, (chunk) => {
    writes.push(chunk)
    screen.write(chunk)
  }, (e) => textLine(e, lastProgress))
  return { screen, writes, view, play: (events: ReadonlyArray<RolloutEvent>) => events.forEach(view.render) }
}

const twoGroupsWaiting: ReadonlyArray<RolloutEvent> = [
  step(0, "web", "inspect", "2 of 2 running instances outdated; replacing 2 (capacity units)"),
  step(0, "api", "inspect", "3 of 3 running instances outdated; replacing 3 (capacity units)"),
  step(1, "web", "suspend", "suspending AZRebalance"),
  step(1, "web", "scale-out", "min 2→4, max 4→6, desired 2→4"),
  step(1, "web", "wait", "waiting up to 10m for 2 new healthy"),
  progress(1, "web", { oldCount: 2, newCount: 2, healthy: 0, needed: 2, timeLeft: 600_000 }),
  step(2, "api", "scale-out", "min 3→6, max 6→9, desired 3→6"),
  progress(6, "web", { oldCount: 2, newCount: 2, healthy: 1, needed: 2, timeLeft: 595_000 }),
  progress(11, "web", { oldCount: 2, newCount: 2, healthy: 1, needed: 2, timeLeft: 590_000 })
]

describe("LiveView on a TTY", () => {
  it("shows one line per group, redrawn in place with the latest phase, counts and time left", () => {
    const t = terminal(tty())
    t.play(twoGroupsWaiting)
    const screen = t.screen.text()
    expect(screen).toHaveLength(2)
    expect(screen[0]).toMatch(/^ {2}web {2}wait +old 2 {2}new 2 {2}healthy 1 of 2 {2}9m 50s left$/)
    expect(screen[1]).toMatch(/^ {2}api {2}scale-out +min 3→6, max 6→9, desired 3→6$/)
    // Redrawn, not appended: far more was written than the screen shows.
    expect(t.writes.length).toBe(twoGroupsWaiting.length)
  })

  it("prints a finished group and a warning once, above the groups still in progress", () => {
    const t = terminal(tty())
    t.play([
      ...twoGroupsWaiting,
      progress(91, "web", { oldCount: 2, newCount: 2, healthy: 2, needed: 2, timeLeft: 510_000 }),
      step(91, "web", "terminate-old", "terminating 2 old instance(s): i-old1, i-old2"),
      succeeded(92, "web"),
      { type: "warning", at: at(93), group: "api", message: "could not check for an Instance Refresh; going on" },
      step(94, "api", "wait", "waiting up to 10m for 3 new healthy")
    ])
    expect(t.screen.text()).toEqual([
      "2025-01-01T12:01:32Z web succeeded",
      "2025-01-01T12:01:33Z api warning: could not check for an Instance Refresh; going on",
      "  api  wait          waiting up to 10m for 3 new healthy"
    ])
  })

  it("close erases the live lines, so that what follows comes right after the permanent ones", () => {
    const t = terminal(tty())
    t.play([...twoGroupsWaiting, succeeded(92, "web")])
    t.view.close()
    t.screen.write("Summary: stack shop: succeeded (exit 0)\n")
    expect(t.screen.text()).toEqual(["2025-01-01T12:01:32Z web succeeded", "Summary: stack shop: succeeded (exit 0)"])
  })

  it("cuts every live line to the terminal's width, so that none wraps and the redraw stays aligned", () => {
    const t = terminal(tty({ columns: 32 }))
    t.play([
      step(0, "a-group-with-a-rather-long-name", "inspect", "many words that a narrow terminal cannot hold"),
      step(0, "web", "scale-out", "min 2→4, max 4→6, desired 2→4"),
      progress(5, "a-group-with-a-rather-long-name", { oldCount: 10, newCount: 10, healthy: 3, needed: 10, timeLeft: 55_000 }),
      progress(10, "a-group-with-a-rather-long-name", { oldCount: 10, newCount: 10, healthy: 4, needed: 10, timeLeft: 50_000 })
    ])
    const screen = t.screen.text()
    expect(screen).toHaveLength(2)
    for (const line of screen) expect(line.length).toBeLessThanOrEqual(31)
    expect(screen[0]).toMatch(/^ {2}a-group-w… {2}wait {10}ol…$/)
    expect(screen[1]).toMatch(/^ {2}web {9}scale-out {5}mi…$/)
  })

  it("with more groups than the screen has rows, keeps the live lines on screen and counts the rest", () => {
    const t = terminal(tty({ rows: 6 }))
    const names = Array.from({ length: 10 }, (_, i) => `g${i}`)
    t.play(names.map((n) => step(0, n, "wait", `waiting for ${n}`)))
    t.play(names.map((n, i) => progress(5, n, { oldCount: 2, newCount: 2, healthy: i % 3, needed: 2, timeLeft: 60_000 })))
    t.play([succeeded(6, "g1")])
    const screen = t.screen.text()
    expect(screen).toEqual([
      "2025-01-01T12:00:06Z g1 succeeded",
      expect.stringMatching(/^ {2}g0 {2}wait +old 2 {2}new 2 {2}healthy 0 of 2 {2}1m 00s left$/),
      expect.stringMatching(/^ {2}g2 {2}wait +old 2 {2}new 2 {2}healthy 2 of 2/),
      expect.stringMatching(/^ {2}g3 {2}wait /),
      "  … and 6 more group(s) in progress"
    ])
  })

  it("colours only when told to", () => {
    const plain = terminal(tty({ color: false }))
    plain.play([...twoGroupsWaiting, succeeded(92, "web")])
    expect(plain.writes.join("")).not.toMatch(/\u001b\[[0-9;]*m/)
    const coloured = terminal(tty({ color: true }))
    coloured.play([...twoGroupsWaiting, succeeded(92, "web")])
    expect(coloured.writes.join("")).toContain("\u001b[32m2025-01-01T12:01:32Z web succeeded\u001b[0m")
    // Colour changes nothing of what the screen shows.
    expect(coloured.screen.text()).toEqual(plain.screen.text())
  })
})

describe("LiveView elsewhere", () => {
  it("writes today's timestamped lines, one per write, without escape sequences, a progress line only on change", () => {
    const t = terminal(tty({ isTTY: false, color: true }))
    t.play(twoGroupsWaiting)
    expect(t.writes.every((w) => w.endsWith("\n") && w.indexOf("\n") === w.length - 1)).toBe(true)
    expect(t.writes.join("")).not.toContain("\u001b")
    expect(t.screen.text()).toEqual([
      "2025-01-01T12:00:00Z web inspect: 2 of 2 running instances outdated; replacing 2 (capacity units)",
      "2025-01-01T12:00:00Z api inspect: 3 of 3 running instances outdated; replacing 3 (capacity units)",
      "2025-01-01T12:00:01Z web suspend: suspending AZRebalance",
      "2025-01-01T12:00:01Z web scale-out: min 2→4, max 4→6, desired 2→4",
      "2025-01-01T12:00:01Z web wait: waiting up to 10m for 2 new healthy",
      "2025-01-01T12:00:01Z web wait: 0 of 2 new healthy (2 new, 2 old), 600 s left",
      "2025-01-01T12:00:02Z api scale-out: min 3→6, max 6→9, desired 3→6",
      "2025-01-01T12:00:06Z web wait: 1 of 2 new healthy (2 new, 2 old), 595 s left"
    ])
  })
})

describe("the CLI's renderer", () => {
  /** A Terminal and a Console that both print on one screen, as stdout and stderr do on a real terminal. */
  const wired = (facts: TerminalFacts) => {
    const screen = new Screen(facts.columns, facts.rows)
    const raw: Array<string> = []
    const capture = captureConsole()
    const print = (...args: ReadonlyArray<unknown>) => Effect.sync(() => screen.write(`${args.map(String).join(" ")}\n`))
    const console: Console.Console = { ...capture.console, log: print, error: print }
    const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.provideService(Terminal, {
          facts,
          write: (chunk) => {
            raw.push(chunk)
            screen.write(chunk)
          }
        }),
        Effect.withConsole(console)
      )
    return { screen, raw, provide }
  }

  const emitAll = (events: ReadonlyArray<RolloutEventInput>) => Effect.forEach(events, emit, { discard: true })

  it.effect("on a TTY, the summary follows the permanent lines and no live line is left behind", () =>
    Effect.gen(function*() {
      const w = wired(tty())
      const code = yield* Ref.make(-1)
      const program = Effect.as(
        emitAll([
          { type: "step", group: "web", step: "wait", message: "waiting up to 10m for 2 new healthy" },
          { type: "progress", group: "web", oldCount: 2, newCount: 2, healthy: 1, needed: 2, timeLeft: 300_000 },
          { type: "step", group: "api", step: "scale-out", message: "min 3→6" },
          {
            type: "group-result",
            name: "web",
            status: "succeeded",
            launched: ["i-1", "i-2"],
            terminated: ["i-3", "i-4"],
            leftSuspended: []
          }
        ]),
        { status: "succeeded" as const, groups: [] }
      )
      yield* w.provide(runReported({ mode: "text", stack: "shop", region: "eu-west-1" }, program)).pipe(
        Effect.provideService(ExitStatus, code)
      )
      const screen = w.screen.text()
      expect(screen[0]).toMatch(/Z web succeeded$/)
      expect(screen[1]).toBe("Summary: stack shop: succeeded (exit 0)")
      expect(screen.some((l) => l.includes("api"))).toBe(false)
      expect(w.raw.length).toBeGreaterThan(0)
      expect(yield* Ref.get(code)).toBe(0)
    }))

  it.effect("--output json stays NDJSON on a TTY: nothing goes through the live view", () =>
    Effect.gen(function*() {
      const w = wired(tty({ color: true }))
      const renderer = yield* w.provide(makeRenderer("json"))
      yield* w.provide(renderer.emit({ type: "step", at: T0, group: "web", step: "wait", message: "waiting" }))
      yield* w.provide(renderer.close)
      expect(w.raw).toEqual([])
      expect(w.screen.text().map((l) => JSON.parse(l))).toEqual([
        { type: "step", at: T0, group: "web", step: "wait", message: "waiting" }
      ])
    }))
})
