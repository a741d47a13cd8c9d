import * as Schema from "effect/Schema"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"

/** Tags a failed rollout leaves on the group, so the next run and `resume` know what it left behind. */
export const DEGRADED_TAG = "aws-ha-updater:degraded"
export const DEGRADED_SINCE_TAG = "aws-ha-updater:degraded-since"
export const LEFT_SUSPENDED_TAG = "aws-ha-updater:left-suspended"
export const DEGRADED_TAGS: ReadonlyArray<string> = [DEGRADED_TAG, DEGRADED_SINCE_TAG, LEFT_SUSPENDED_TAG]

/** AWS caps a tag value at 256 characters. */
const clip = (s: string): string => (s.length <= 256 ? s : s.slice(0, 255) + "…")

export const degradedTags = (
  reason: string,
  since: number,
  leftSuspended: ReadonlyArray<string>
): Record<string, string> => ({
  [DEGRADED_TAG]: clip(reason),
  [DEGRADED_SINCE_TAG]: new Date(since).toISOString(),
  [LEFT_SUSPENDED_TAG]: clip(leftSuspended.join(","))
})

export const DegradedMarker = Schema.Struct({
  reason: Schema.String,
  since: Schema.String,
  leftSuspended: Schema.Array(Schema.String)
})
export type DegradedMarker = typeof DegradedMarker.Type

export const readDegraded = (group: AutoScalingGroup): DegradedMarker | undefined => {
  const reason = group.tags[DEGRADED_TAG]
  if (reason === undefined) return undefined
  const left = group.tags[LEFT_SUSPENDED_TAG] ?? ""
  return {
    reason,
    since: group.tags[DEGRADED_SINCE_TAG] ?? "",
    leftSuspended: left.split(",").filter((p) => p.length > 0)
  }
}
