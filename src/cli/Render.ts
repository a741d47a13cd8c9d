import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { type GroupResult, OutputLine, type RolloutEvent, type RunStatus, type SummaryExtra } from "../program/Events.js"
import { makeLiveView, type Sink, Terminal } from "./LiveView.js"

export type OutputMode = "text" | "json"

const encodeLine = Schema.encodeEither(OutputLine)

/**
 * One NDJSON line of `--output json`, exactly as the published schema encodes it. A value the schema refuses is a bug
 * of ours: it becomes a warning line rather than a defect in the middle of a rollout.
 */
export const jsonLine = (line: OutputLine): string =>
  Either.match(encodeLine(line), {
    onRight: (encoded) => JSON.stringify(encoded),
    onLeft: (error) =>
      JSON.stringify({ type: "warning", at: "at" in line ? line.at : 0, message: `a ${line.type} line did not match the output schema: ${error.message}` })
  })

const time = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z")

/** Our command: resumes exactly what the degraded marker lists, then clears the marker. */
export const haResumeCommand = (stack: string, group: string, region: string): string =>
  `aws-ha-updater resume ${stack} --region ${region} --asg ${group}`

/** The exact AWS CLI command that resumes what a failed rollout left suspended (it leaves the marker on the group). */
export const resumeCommand = (group: string, processes: ReadonlyArray<string>, region: string): string =>
  `aws autoscaling resume-processes --region ${region} --auto-scaling-group-name ${group} --scaling-processes ${processes.join(" ")}`

/** A text line per step, and a progress line only when the counts change. */
export const textLine = (event: RolloutEvent, lastProgress: Map<string, string>): string | undefined => {
  switch (event.type) {
    case "step":
      return `${time(event.at)} ${event.group} ${event.step}: ${event.message}`
    case "progress": {
      const key = `${event.newCount}/${event.oldCount}/${event.healthy}`
      if (lastProgress.get(event.group) === key) return undefined
      lastProgress.set(event.group, key)
      return `${time(event.at)} ${event.group} wait: ${event.healthy} of ${event.needed} new healthy (${event.newCount} new, ${event.oldCount} old), ${Math.ceil(event.timeLeft / 1000)} s left`
    }
    case "group-result":
      return `${time(event.at)} ${event.name} ${event.status}${event.reason === undefined ? "" : `: ${event.reason}`}`
    case "warning":
      return `${time(event.at)} ${event.group ?? "-"} warning: ${event.message}`
    case "stack-step":
      return `${time(event.at)} ${event.stack} ${event.step}: ${event.message}`
    case "stack-event":
      // CloudFormation's own time: when the event happened, not when we saw it.
      return `${time(event.timestamp)} ${event.stack} ${event.status} ${event.logicalId} ${event.resourceType}${event.reason === undefined ? "" : `: ${event.reason}`}`
    case "stack-status":
      return `${time(event.at)} ${event.stack} status: ${event.status}${event.reason === undefined ? "" : ` (${event.reason})`}`
    case "stack-change":
      return `${time(event.at)} ${event.stack} change: ${event.action} ${event.logicalId} ${event.resourceType}${event.replacement === undefined ? "" : `, replacement: ${event.replacement}`}`
    case "parameter-change":
      return `${time(event.at)} ${event.stack} parameter: ${event.key} ${event.from ?? "(new)"} -> ${event.to ?? "(removed)"}`
  }
}

/** Renders events as they come and remembers each group's result for the summary (also after an interruption). */
export const makeRenderer = Effect.fn("Cli.makeRenderer")(function*(mode: OutputMode) {
  const results = yield* Ref.make<ReadonlyArray<GroupResult>>([])
  const lastProgress = new Map<string, string>()
  const terminal = yield* Terminal
  const console = yield* Effect.console
  // Plain lines go through Console (one line per write); a TTY gets the live view's raw output.
  const sink: Sink = terminal.facts.isTTY ? terminal.write : (chunk) => console.unsafe.log(chunk.replace(/\n$/, ""))
  const view = makeLiveView(terminal.facts, sink, (event) => textLine(event, lastProgress))
  const emit = (event: RolloutEvent): Effect.Effect<void> =>
    Effect.gen(function*() {
      if (event.type === "group-result") {
        const { at: _at, type: _type, ...result } = event
        yield* Ref.update(results, (rs) => [...rs.filter((r) => r.name !== result.name), result])
      }
      if (mode === "text") return view.render(event)
      yield* Console.log(jsonLine(event))
    })
  return { emit, results: Ref.get(results), close: Effect.sync(view.close) }
})

export interface SummaryInput {
  readonly status: RunStatus
  readonly stack: string
  readonly groups: ReadonlyArray<GroupResult>
  readonly notAttempted?: ReadonlyArray<string>
  readonly exitCode: number
  readonly region: string
  readonly error?: string
  readonly extra?: SummaryExtra
  /** Extra lines of the text summary. */
  readonly notes?: ReadonlyArray<string>
}

export const renderSummary = (mode: OutputMode, s: SummaryInput): Effect.Effect<void> => {
  const withResume = s.groups.map((g) => ({
    ...g,
    ...(g.leftSuspended.length > 0 && g.status !== "succeeded"
      ? { resume: haResumeCommand(s.stack, g.name, s.region), resumeCommand: resumeCommand(g.name, g.leftSuspended, s.region) }
      : {})
  }))
  if (mode === "json") {
    return Console.log(jsonLine({
      type: "summary",
      status: s.status,
      stack: s.stack,
      ...s.extra,
      groups: withResume.map((g) => ({
        ...g,
        leftSuspended: g.leftSuspended.length > 0 ? g.leftSuspended : undefined,
        standby: g.standby !== undefined && g.standby.length > 0 ? g.standby : undefined
      })),
      notAttempted: s.notAttempted !== undefined && s.notAttempted.length > 0 ? s.notAttempted : undefined,
      error: s.error,
      exitCode: s.exitCode
    }))
  }
  const lines = [`Summary: stack ${s.stack}: ${s.status} (exit ${s.exitCode})`]
  if (s.error !== undefined) lines.push(`  ${s.error}`)
  for (const note of s.notes ?? []) lines.push(`  ${note}`)
  if (s.groups.length === 0 && s.error === undefined && s.notes === undefined) lines.push("  no Auto Scaling group to roll")
  for (const g of withResume) {
    lines.push(`  ${g.name}: ${g.status}; launched ${g.launched.length}, terminated ${g.terminated.length}${g.reason === undefined ? "" : `; ${g.reason}`}`)
    if (g.waves !== undefined && g.status !== "succeeded" && g.waves.committed > 0) {
      lines.push(`    ${g.waves.committed} wave(s) committed: ${g.waves.newRelease.length} instance(s) run the new release and stay: ${g.waves.newRelease.join(", ")}`)
    }
    if (g.standby !== undefined && g.standby.length > 0) {
      lines.push(`    in Standby, left as they were (still on their launch spec): ${g.standby.join(", ")}`)
    }
    if ("resumeCommand" in g) {
      lines.push(`    processes left suspended on purpose (${g.leftSuspended.join(", ")}); once the release is fixed, resume them with:`)
      lines.push(`    ${g.resume}`)
      lines.push(`    or, leaving the degraded marker on the group: ${g.resumeCommand}`)
    }
  }
  for (const name of s.notAttempted ?? []) lines.push(`  ${name}: not attempted`)
  return Console.log(lines.join("\n"))
}
