import * as Effect from "effect/Effect"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { CloudFormation } from "../../services/CloudFormation.js"
import type { AwsError, InvalidInput, StackNotFound } from "../../services/Errors.js"
import { DEGRADED_TAGS, readDegraded } from "../rollout/Degraded.js"
import { emit } from "../Emit.js"
import type { ResumedGroup } from "../Events.js"
import { RolloutInProgress } from "../rollout/RolloutErrors.js"
import { decodeRecord } from "../rollout/RolloutRecord.js"
import { stackGroups } from "../stack/StackGroups.js"

export type { ResumedGroup }

export interface ResumeResult {
  readonly stack: string
  readonly groups: ReadonlyArray<ResumedGroup>
}

/**
 * resume: for each group a failed rollout marked degraded, resume exactly the processes the marker lists and remove
 * the marker. A group that still carries a rollout record is refused before anything changes: that is recover's job.
 */
export const resumeStack: (stackName: string, wanted: ReadonlyArray<string>) => Effect.Effect<
  ResumeResult,
  AwsError | StackNotFound | InvalidInput | RolloutInProgress,
  AutoScaling | CloudFormation
> = Effect.fn("Resume.resumeStack")(function*(stackName: string, wanted: ReadonlyArray<string>) {
  const asg = yield* AutoScaling
  const { groups } = yield* stackGroups(stackName, wanted)
  for (const g of groups) {
    const record = g.group === undefined ? { _tag: "None" as const } : decodeRecord(g.group.tags)
    if (record._tag !== "None") {
      return yield* Effect.fail(new RolloutInProgress({
        group: g.name,
        stackName,
        phase: record._tag === "Record" ? record.record.phase : "unknown",
        since: record._tag === "Record" ? new Date(record.record.startedAt).toISOString() : "unknown"
      }))
    }
  }
  const results: Array<ResumedGroup> = []
  for (const { group, name } of groups) {
    const marker = group === undefined ? undefined : readDegraded(group)
    if (group === undefined || marker === undefined) {
      results.push({ name, state: "clean", resumed: [], alreadyRunning: [] })
      continue
    }
    // Only what the marker lists and is still suspended: the user's own suspensions are not ours to lift.
    const toResume = marker.leftSuspended.filter((p) => group.suspendedProcesses.includes(p))
    const alreadyRunning = marker.leftSuspended.filter((p) => !group.suspendedProcesses.includes(p))
    yield* Effect.gen(function*() {
      if (toResume.length > 0) {
        yield* emit({ type: "step", group: name, step: "resume", message: `resuming ${toResume.join(", ")}` })
        yield* asg.resumeProcesses(name, toResume)
      }
      yield* asg.deleteTags(name, DEGRADED_TAGS.filter((k) => group.tags[k] !== undefined))
    }).pipe(Effect.uninterruptible)
    results.push({ name, state: "resumed", resumed: toResume, reason: marker.reason, since: marker.since, alreadyRunning })
  }
  const done: ResumeResult = { stack: stackName, groups: results }
  return done
})
