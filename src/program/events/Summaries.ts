import * as Schema from "effect/Schema"
import { DegradedMarker } from "../rollout/Degraded.js"
import { PhaseSchema } from "../rollout/RolloutRecord.js"
import { GroupResult, RunStatus } from "./RolloutEvents.js"

const Strings = Schema.Array(Schema.String)
const Seconds = Schema.optional(Schema.Number)

/** A resource change of a dry-run's change set. */
export const PlannedChange = Schema.Struct({
  action: Schema.String,
  logicalId: Schema.String,
  resourceType: Schema.String,
  replacement: Schema.optional(Schema.String)
})
export type PlannedChange = typeof PlannedChange.Type

export const ParameterChange = Schema.Struct({
  key: Schema.String,
  /** Absent: the parameter is new. */
  from: Schema.optional(Schema.String),
  /** Absent: the parameter goes away. */
  to: Schema.optional(Schema.String)
})
export type ParameterChange = typeof ParameterChange.Type

export const RecoverMode = Schema.Literal("auto", "complete", "rollback")
export type RecoverMode = typeof RecoverMode.Type

/** What recover did with a group, and why in words the user reads. */
export const RecoverDecision = Schema.Struct({
  group: Schema.String,
  action: Schema.Literal("complete", "rollback", "none"),
  why: Schema.String
})
export type RecoverDecision = typeof RecoverDecision.Type

/** A group as the summary lists it: its result, and the commands that resume what a failure left suspended. */
export const SummaryGroup = Schema.Struct({
  ...GroupResult.fields,
  /** Absent when nothing was left suspended. */
  leftSuspended: Schema.optional(Strings),
  /** `aws-ha-updater resume …` for this group. */
  resume: Schema.optional(Schema.String),
  /** The AWS CLI command that resumes the processes and leaves the degraded marker. */
  resumeCommand: Schema.optional(Schema.String)
}).annotations({ identifier: "SummaryGroup" })

/** What a command adds to its summary: update-stack's stack status and dry run, recover's decisions. */
export const SummaryExtra = Schema.Struct({
  command: Schema.optional(Schema.Literal("recover")),
  mode: Schema.optional(RecoverMode),
  decisions: Schema.optional(Schema.Array(RecoverDecision)),
  stackStatus: Schema.optional(Schema.String),
  stackAction: Schema.optional(Schema.String),
  dryRun: Schema.optional(Schema.Boolean),
  changes: Schema.optional(Schema.Array(PlannedChange)),
  parameterChanges: Schema.optional(Schema.Array(ParameterChange))
})
export type SummaryExtra = typeof SummaryExtra.Type

/** The last line of update-stack, update-asgs, recover and demo. */
export const Summary = Schema.Struct({
  type: Schema.Literal("summary"),
  status: RunStatus,
  stack: Schema.String,
  ...SummaryExtra.fields,
  groups: Schema.Array(SummaryGroup),
  /** Groups a failed run did not reach. */
  notAttempted: Schema.optional(Strings),
  /** The one-line failure, when the run ended on one. */
  error: Schema.optional(Schema.String),
  exitCode: Schema.Number
}).annotations({ identifier: "summary", description: "The last line of update-stack, update-asgs, recover and demo." })
export type Summary = typeof Summary.Type

export const ResumedGroup = Schema.Struct({
  name: Schema.String,
  /** "resumed": the marker was there and is gone; "clean": no marker, nothing done. */
  state: Schema.Literal("resumed", "clean"),
  resumed: Strings,
  /** The marker's reason and since, as they were. */
  reason: Schema.optional(Schema.String),
  since: Schema.optional(Schema.String),
  /** Listed by the marker but no longer suspended (someone resumed them already). */
  alreadyRunning: Strings
})
export type ResumedGroup = typeof ResumedGroup.Type

/** The last line of resume. */
export const ResumeSummary = Schema.Struct({
  type: Schema.Literal("summary"),
  command: Schema.Literal("resume"),
  stack: Schema.String,
  groups: Schema.Array(ResumedGroup),
  exitCode: Schema.Number
}).annotations({ identifier: "resume-summary", description: "The last line of resume." })

const named = { name: Schema.String, logicalId: Schema.String }

/** One group as status reports it, by state. */
export const GroupReport = Schema.Union(
  Schema.Struct({
    ...named,
    state: Schema.Literal("in-rollout"),
    phase: Schema.Union(PhaseSchema, Schema.Literal("unknown")),
    /** ISO time; absent when a damaged record lost it. */
    startedAt: Schema.optional(Schema.String),
    ageSeconds: Seconds,
    oldCount: Schema.Number,
    newCount: Schema.Number,
    healthy: Schema.Number,
    needed: Schema.Number,
    /** Seconds since the run last renewed its heartbeat; absent when the record carries none. */
    heartbeatAgeSeconds: Seconds,
    /** The interval the run promised to renew it at. */
    heartbeatEverySeconds: Seconds,
    /** A rollout in waves: the current wave, and the old instances still to replace (this wave's included). */
    wave: Schema.optional(Schema.Struct({ number: Schema.Number, oldLeft: Schema.Number, newRelease: Schema.Number })),
    degraded: Schema.optional(DegradedMarker)
  }),
  /** A run claimed the group and has not written its record (yet, or it died first). */
  Schema.Struct({ ...named, state: Schema.Literal("claimed"), runs: Strings, ageSeconds: Seconds }),
  Schema.Struct({
    ...named,
    state: Schema.Literal("damaged-record"),
    reason: Schema.String,
    phase: Schema.Union(PhaseSchema, Schema.Literal("unknown")),
    usable: Schema.Boolean
  }),
  Schema.Struct({ ...named, state: Schema.Literal("degraded"), ...DegradedMarker.fields }),
  Schema.Struct({ ...named, state: Schema.Literal("clean") }),
  Schema.Struct({ ...named, state: Schema.Literal("missing") })
).annotations({ identifier: "GroupReport" })
export type GroupReport = typeof GroupReport.Type

/** The one line of status. */
export const StatusLine = Schema.Struct({
  type: Schema.Literal("status"),
  stack: Schema.String,
  stackStatus: Schema.String,
  groups: Schema.Array(GroupReport),
  exitCode: Schema.Number
}).annotations({ identifier: "status", description: "The one line of status." })

/** The last line of status or resume when they end on an expected failure. */
export const ErrorLine = Schema.Struct({
  type: Schema.Literal("error"),
  error: Schema.String,
  exitCode: Schema.Number
}).annotations({ identifier: "error", description: "The last line of status or resume when they end on an expected failure." })
