import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { AutoScaling, AutoScalingGroup } from "../../services/AutoScaling.js"
import type { CloudFormation } from "../../services/CloudFormation.js"
import type { AwsError, InvalidInput, StackNotFound } from "../../services/Errors.js"
import { LoadBalancing } from "../../services/LoadBalancing.js"
import { isRunning, type LoadBalancerHealth } from "../rollout/Assess.js"
import { readDegraded } from "../rollout/Degraded.js"
import { readRecord, rolloutView } from "./RecoverView.js"
import { claimsOf, decodeRecord, salvageRecord, type WaveRecord } from "../rollout/RolloutRecord.js"
import { stackGroups } from "../stack/StackGroups.js"
import type { GroupReport } from "../Events.js"

/** One DescribeInstanceHealth per CLB and one DescribeTargetHealth per target group, shared by every group. */
export const readAllHealth = Effect.fn("Status.readAllHealth")(function*(groups: ReadonlyArray<AutoScalingGroup>) {
  const lb = yield* LoadBalancing
  const names = [...new Set(groups.flatMap((g) => g.loadBalancerNames))]
  const arns = [...new Set(groups.flatMap((g) => g.targetGroupArns))]
  const [classic, targetGroups] = yield* Effect.all([
    Effect.forEach(names, (n) => Effect.map(lb.classicHealth(n), (h) => [n, h] as const), { concurrency: "unbounded" }),
    Effect.forEach(arns, (a) => Effect.map(lb.targetHealth(a), (h) => [a, h] as const), { concurrency: "unbounded" })
  ])
  const health: LoadBalancerHealth = { classic: Object.fromEntries(classic), targetGroups: Object.fromEntries(targetGroups) }
  return health
})

export type { GroupReport }

export interface StackStatus {
  readonly stack: string
  readonly stackStatus: string
  readonly groups: ReadonlyArray<GroupReport>
}

const waveReport = (group: AutoScalingGroup, present: ReadonlyArray<string>, wave: WaveRecord) => {
  const running = new Set(group.instances.filter(isRunning).map((i) => i.instanceId))
  const kept = new Set(wave.kept)
  return {
    number: wave.number,
    oldLeft: present.filter((id) => !kept.has(id) && running.has(id)).length,
    newRelease: wave.kept.filter((id) => running.has(id)).length
  }
}

/** Read-only: one DescribeAutoScalingGroups for all groups, one health call per load balancer of a group in rollout. */
export const stackStatus: (stackName: string) => Effect.Effect<
  StackStatus,
  AwsError | StackNotFound | InvalidInput,
  AutoScaling | CloudFormation | LoadBalancing
> = Effect.fn("Status.stackStatus")(function*(stackName: string) {
  const { groups, stack } = yield* stackGroups(stackName, [])
  const inRollout = groups.flatMap((g) => (g.group !== undefined && decodeRecord(g.group.tags)._tag === "Record" ? [g.group] : []))
  const health = yield* readAllHealth(inRollout)
  const now = yield* Clock.currentTimeMillis
  const reports = groups.map((g): GroupReport => {
    const named = { name: g.name, logicalId: g.logicalId }
    if (g.group === undefined) return { ...named, state: "missing" }
    const decoded = decodeRecord(g.group.tags)
    const marker = readDegraded(g.group)
    if (decoded._tag === "Damaged") {
      const reading = readRecord(g.group)
      return {
        ...named,
        state: "damaged-record",
        reason: reading._tag === "Unreadable" ? `${decoded.reason}: ${reading.what}` : decoded.reason,
        phase: salvageRecord(g.group.tags).phase ?? "unknown",
        usable: reading._tag === "Readable"
      }
    }
    if (decoded._tag === "Record") {
      const r = decoded.record
      const v = rolloutView(g.group, r, health)
      return {
        ...named,
        state: "in-rollout",
        phase: r.phase,
        startedAt: new Date(r.startedAt).toISOString(),
        ageSeconds: Math.max(0, Math.round((now - r.startedAt) / 1000)),
        oldCount: v.oldIds.length,
        newCount: v.newIds.length,
        healthy: v.healthy,
        needed: r.needed,
        heartbeatAgeSeconds: r.heartbeat === undefined ? undefined : Math.max(0, Math.round((now - r.heartbeat.at) / 1000)),
        heartbeatEverySeconds: r.heartbeat?.everySeconds,
        ...(r.wave === undefined ? {} : { wave: waveReport(g.group, r.oldIds, r.wave) }),
        ...(marker === undefined ? {} : { degraded: marker })
      }
    }
    const claims = claimsOf(g.group.tags)
    if (claims.length > 0) {
      const latest = Math.max(...claims.map((c) => c.stamp?.at ?? Number.NaN).filter((x) => !Number.isNaN(x)))
      return {
        ...named,
        state: "claimed",
        runs: claims.map((c) => c.runId).sort(),
        ageSeconds: Number.isFinite(latest) ? Math.max(0, Math.round((now - latest) / 1000)) : undefined
      }
    }
    if (marker !== undefined) return { ...named, state: "degraded", ...marker }
    return { ...named, state: "clean" }
  })
  const result: StackStatus = { stack: stackName, stackStatus: stack.status, groups: reports }
  return result
})
