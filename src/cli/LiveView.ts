import * as Context from "effect/Context"
import type { RolloutEvent, Step } from "../program/Events.js"
import { colorAllowed } from "./Color.js"

/** What the renderer needs to know about where it writes. */
export interface TerminalFacts {
  readonly isTTY: boolean
  /** Colour allowed: a TTY and no NO_COLOR. */
  readonly color: boolean
  /** Read at every redraw, so a resized terminal is honoured from the next event on. */
  readonly columns: number
  readonly rows: number
}

/** Where the view writes, escape sequences included. Off a TTY each chunk is one whole line, newline included. */
export type Sink = (chunk: string) => void

/** The process's stdout as the CLI sees it; tests and library users provide their own. */
export class Terminal extends Context.Reference<Terminal>()("aws-ha-updater/Terminal", {
  defaultValue: (): { readonly facts: TerminalFacts; readonly write: Sink } => {
    const out = process.stdout
    const isTTY = out.isTTY === true
    return {
      facts: {
        isTTY,
        color: colorAllowed(isTTY, process.env),
        get columns() {
          return out.columns ?? 80
        },
        get rows() {
          return out.rows ?? 24
        }
      },
      write: (chunk) => void out.write(chunk)
    }
  }
}) {}

export interface LiveView {
  readonly render: (event: RolloutEvent) => void
  /** Erases the live lines (finished and permanent lines stay), so that what follows starts on a clean line. */
  readonly close: () => void
}

interface GroupLine {
  readonly phase: Step
  readonly message: string
  readonly progress?: {
    readonly oldCount: number
    readonly newCount: number
    readonly healthy: number
    readonly needed: number
    readonly timeLeft: number
  }
}

type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan"

const SGR: Readonly<Record<Style, string>> = { bold: "1", dim: "2", red: "31", green: "32", yellow: "33", cyan: "36" }

interface Segment {
  readonly text: string
  readonly style?: Style
}

const ESC = "\u001b["

/** At most `width` visible characters (never wrapping: a wrapped line would break the cursor arithmetic). */
const paint = (segments: ReadonlyArray<Segment>, width: number, color: boolean): string => {
  let left = Math.max(0, width)
  let out = ""
  for (const s of segments) {
    if (left === 0) break
    const text = s.text.length > left ? `${s.text.slice(0, Math.max(0, left - 1))}…` : s.text
    left -= text.length
    out += color && s.style !== undefined ? `${ESC}${SGR[s.style]}m${text}${ESC}0m` : text
  }
  return out
}

const duration = (ms: number): string => {
  const s = Math.max(0, Math.ceil(ms / 1000))
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

const TROUBLE: ReadonlySet<Step> = new Set(["roll-back", "degraded"])

/** Exactly `width` characters: cut with an ellipsis, or padded. */
const fit = (text: string, width: number): string =>
  text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width)

const groupSegments = (name: string, nameWidth: number, g: GroupLine): ReadonlyArray<Segment> => {
  const head: Array<Segment> = [
    { text: "  " },
    { text: fit(name, nameWidth), style: "bold" },
    { text: "  " },
    { text: g.phase.padEnd(13), style: TROUBLE.has(g.phase) ? "yellow" : "cyan" },
    { text: " " }
  ]
  const p = g.progress
  if (g.phase !== "wait" || p === undefined) return [...head, { text: g.message, style: "dim" }]
  return [
    ...head,
    { text: `old ${p.oldCount}  new ${p.newCount}  ` },
    { text: `healthy ${p.healthy} of ${p.needed}`, style: p.healthy >= p.needed ? "green" : "yellow" },
    { text: `  ${duration(p.timeLeft)} left`, style: "dim" }
  ]
}

const permanentStyle = (event: RolloutEvent): Style | undefined => {
  switch (event.type) {
    case "group-result":
      return event.status === "succeeded" || event.status === "up-to-date" ? "green" : event.status === "interrupted" ? "yellow" : "red"
    case "warning":
      return "yellow"
    case "step":
      return "dim"
    default:
      return undefined
  }
}

/**
 * Renders rollout events on a terminal. On a TTY: one line per group in progress, redrawn in place; finished groups,
 * warnings and stack events printed once above them. Elsewhere: `plainLine` of each event, one line per write.
 */
export const makeLiveView = (
  terminal: TerminalFacts,
  sink: Sink,
  plainLine: (event: RolloutEvent) => string | undefined
): LiveView => {
  if (!terminal.isTTY) {
    return {
      render: (event) => {
        const line = plainLine(event)
        if (line !== undefined) sink(`${line}\n`)
      },
      close: () => {}
    }
  }
  const color = terminal.color
  const groups = new Map<string, GroupLine>()
  let drawn = 0

  const liveLines = (): ReadonlyArray<string> => {
    const width = terminal.columns - 1
    // Lines above the screen's top cannot be reached by the cursor again: keep the region within the screen.
    const room = Math.max(1, terminal.rows - 2)
    const entries = [...groups.entries()]
    const shown = entries.length > room ? entries.slice(0, room - 1) : entries
    const nameWidth = Math.min(40, Math.floor(width / 3), Math.max(0, ...shown.map(([name]) => name.length)))
    const lines = shown.map(([name, g]) => paint(groupSegments(name, nameWidth, g), width, color))
    if (shown.length < entries.length) {
      lines.push(paint([{ text: `  … and ${entries.length - shown.length} more group(s) in progress`, style: "dim" }], width, color))
    }
    return lines
  }

  const erase = (): string => (drawn > 0 ? `${ESC}${drawn}A\r${ESC}J` : "")

  const redraw = (permanent: ReadonlyArray<string>): void => {
    let out = erase()
    for (const line of permanent) out += `${line}\n`
    const lines = liveLines()
    for (const line of lines) out += `${line}\n`
    drawn = lines.length
    sink(out)
  }

  const permanent = (event: RolloutEvent): ReadonlyArray<string> => {
    const line = plainLine(event)
    if (line === undefined) return []
    const style = permanentStyle(event)
    return [color && style !== undefined ? `${ESC}${SGR[style]}m${line}${ESC}0m` : line]
  }

  const render = (event: RolloutEvent): void => {
    switch (event.type) {
      case "step": {
        // A skipped group never gets a live line: the skip is final.
        if (event.step === "skip") {
          groups.delete(event.group)
          return redraw(permanent(event))
        }
        const previous = groups.get(event.group)
        groups.set(event.group, {
          phase: event.step,
          message: event.message,
          ...(previous?.progress === undefined ? {} : { progress: previous.progress })
        })
        return redraw([])
      }
      case "progress": {
        const { at: _at, group, type: _type, ...progress } = event
        groups.set(group, { phase: "wait", message: groups.get(group)?.message ?? "", progress })
        return redraw([])
      }
      case "group-result":
        groups.delete(event.name)
        return redraw(permanent(event))
      default:
        return redraw(permanent(event))
    }
  }

  const close = (): void => {
    if (drawn === 0) return
    sink(erase())
    drawn = 0
  }

  return { render, close }
}
