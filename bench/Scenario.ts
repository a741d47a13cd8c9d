/**
 * One fake-world scenario, run in its own process by bench/run.mjs so that CPU time and peak RSS are its own:
 * `node scenario.mjs GROUPS INSTANCES PARALLEL` prints one JSON object.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FakeAws from "../src/layers/fake/FakeAws.js"
import { type CallRecord, FakeWorld } from "../src/layers/fake/FakeWorld.js"
import { rollStack, type StackRolloutOptions } from "../src/program/stack/StackRollout.js"
import { type Amount, parseAmount, planWaves, waveCount } from "../src/program/rollout/Waves.js"
import { runVirtual, VirtualClock } from "./VirtualTime.js"

const LAUNCH_S = 60
const HEALTH_S = 30
const POLL_S = 5
/** DescribeAutoScalingGroups' page: the most groups one call describes. */
const DESCRIBE_BATCH = 50
const STACK = "bench"
/** What a poll round reads after the groups: every CLB's and target group's health, and the watched alarms. */
const HEALTH_OPERATIONS: ReadonlySet<string> = new Set(["DescribeInstanceHealth", "DescribeTargetHealth", "DescribeAlarms"])
/** The alarm a strategy scenario watches: it stays OK, so every round reads it and none rolls back. */
const ALARM = "bench-5xx"

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits

type Parallel = NonNullable<StackRolloutOptions["parallel"]>

const groupName = (g: number) => `bench-g${String(g).padStart(3, "0")}`
const clbOf = (g: number) => `bench-clb-${g}`
const tgOf = (g: number) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/bench-tg-${g}/${g.toString(16).padStart(16, "0")}`

/** `groups` groups of `instances` each, even ones behind a classic ELB, odd ones behind a target group; a release for all. */
const setUp = (groups: number, instances: number) =>
  Effect.gen(function*() {
    const world = yield* FakeWorld
    const resources: Record<string, unknown> = {}
    const existingGroups: Record<string, string> = {}
    for (let g = 0; g < groups; g++) {
      const behindClb = g % 2 === 0
      if (behindClb) yield* world.addClassicLoadBalancer(clbOf(g))
      else yield* world.addTargetGroup(tgOf(g))
      yield* world.addGroup({
        name: groupName(g),
        minSize: instances,
        maxSize: instances * 2,
        desiredCapacity: instances,
        launchTemplate: { id: `lt-0bench${String(g).padStart(12, "0")}`, version: "1" },
        ...(behindClb ? { loadBalancerNames: [clbOf(g)] } : { targetGroupArns: [tgOf(g)] }),
        healthCheckType: "ELB"
      })
      resources[`Group${g}`] = {
        Type: "AWS::AutoScaling::AutoScalingGroup",
        Properties: { MinSize: String(instances), MaxSize: String(instances * 2) }
      }
      existingGroups[`Group${g}`] = groupName(g)
    }
    yield* world.addStack({ name: STACK, templateBody: JSON.stringify({ Resources: resources }), existingGroups })
    for (let g = 0; g < groups; g++) yield* world.setLaunchTemplateVersion(groupName(g), "2")
  })

/**
 * A poll round: a run of consecutive calls at one simulated instant made of DescribeAutoScalingGroups calls followed
 * by DescribeInstanceHealth / DescribeTargetHealth / DescribeAlarms calls. A DescribeAutoScalingGroups followed by
 * anything else (pre-flight, commit, roll-back) is not part of a round.
 */
const pollRounds = (calls: ReadonlyArray<CallRecord>, describesPerRound: number): ReadonlyArray<ReadonlyArray<CallRecord>> => {
  const rounds: Array<ReadonlyArray<CallRecord>> = []
  let i = 0
  while (i < calls.length) {
    const first = calls[i]
    if (first === undefined || first.operation !== "DescribeAutoScalingGroups") {
      i++
      continue
    }
    let j = i
    while (calls[j]?.operation === "DescribeAutoScalingGroups" && calls[j]?.at === first.at) j++
    let k = j
    while (k < calls.length && HEALTH_OPERATIONS.has(calls[k]?.operation ?? "") && calls[k]?.at === first.at) k++
    // A round describes all waiting groups in batches; more DescribeAutoScalingGroups in a row are each group's own
    // look before its rollout (its claim, then the health baseline it reads), not a poll round.
    if (k > j && j - i <= describesPerRound) rounds.push(calls.slice(i, k))
    i = Math.max(k, i + 1)
  }
  return rounds
}

/** A rollout strategy: waves of `surge`, each baked `bakeSeconds`, gated by one alarm. */
interface Strategy {
  readonly surge: Amount
  readonly surgeText: string
  readonly bakeSeconds: number
}

const main = (groups: number, instances: number, parallel: Parallel, strategy: Strategy | undefined) =>
  Effect.gen(function*() {
    const world = yield* FakeWorld
    const cpuAtStart = process.cpuUsage()
    yield* setUp(groups, instances)
    if (strategy !== undefined) yield* world.putAlarm(ALARM, "OK", "quiet")
    const setupCpu = process.cpuUsage(cpuAtStart)
    const clockStart = yield* Effect.clockWith((c) => c.currentTimeMillis)
    const rollCpuStart = process.cpuUsage()
    const result = yield* rollStack(
      STACK,
      {
        groups: [],
        healthyTimeout: Duration.seconds(3600),
        pollInterval: Duration.seconds(POLL_S),
        replaceAll: false,
        parallel,
        ...(strategy === undefined ? {} : { maxSurge: strategy.surge, bake: Duration.seconds(strategy.bakeSeconds), alarms: [ALARM] })
      }
    )
    const rollCpu = process.cpuUsage(rollCpuStart)
    const clockEnd = yield* Effect.clockWith((c) => c.currentTimeMillis)
    const calls = yield* world.calls
    const byOperation: Record<string, number> = {}
    for (const c of calls) byOperation[c.operation] = (byOperation[c.operation] ?? 0) + 1
    const rounds = pollRounds(calls, Math.ceil(groups / DESCRIBE_BATCH))
    const sizes = rounds.map((r) => r.length)
    // One CLB or one target group per group.
    const loadBalancers = groups
    const planned = strategy === undefined ? 1 : waveCount(planWaves(instances, strategy.surge, undefined), instances)
    const waves = result.groups[0]?.waves?.committed ?? 1
    return {
      ...(strategy === undefined ? {} : { surge: strategy.surgeText, bakeSeconds: strategy.bakeSeconds, wavesPlanned: planned, waves }),
      status: result.status,
      groupsSucceeded: result.groups.filter((g) => g.status === "succeeded").length,
      simulatedSeconds: round((clockEnd - clockStart) / 1000, 2),
      // Each wave launches, turns healthy and bakes before the next: the floor of a strategy is that, per wave.
      floorSeconds: strategy === undefined ? LAUNCH_S + HEALTH_S + POLL_S : waves * (LAUNCH_S + HEALTH_S + strategy.bakeSeconds),
      pollIntervalSeconds: POLL_S,
      calls: calls.length,
      callsByOperation: Object.fromEntries(Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b))),
      pollRounds: rounds.length,
      callsPerRoundMax: sizes.length === 0 ? 0 : Math.max(...sizes),
      callsPerRoundMean: sizes.length === 0 ? 0 : round(sizes.reduce((a, b) => a + b, 0) / sizes.length, 2),
      callsPerRoundBound: 1 + loadBalancers + (strategy === undefined ? 0 : 1),
      describeBatchesPerFullRound: Math.ceil(groups / DESCRIBE_BATCH),
      setupCpuSeconds: round((setupCpu.user + setupCpu.system) / 1e6, 2),
      rolloutCpuSeconds: round((rollCpu.user + rollCpu.system) / 1e6, 2)
    }
  }).pipe(Effect.provide(FakeAws.layer({ launchDelay: `${LAUNCH_S} seconds`, healthDelay: `${HEALTH_S} seconds`, drainDelay: "10 seconds" })))

const [groupsArg, instancesArg, parallelArg, surgeArg, bakeArg] = process.argv.slice(2)
const groups = Number(groupsArg)
const instances = Number(instancesArg)
const parallel: Parallel = parallelArg === "all" ? "all" : Number(parallelArg ?? "1")
if (!(groups > 0 && instances > 0 && (parallel === "all" || parallel > 0))) {
  process.stderr.write("usage: scenario GROUPS INSTANCES PARALLEL(n|all)\n")
  process.exit(2)
}
const surge = surgeArg === undefined ? undefined : parseAmount(surgeArg)
if (surgeArg !== undefined && surge === undefined) {
  process.stderr.write("usage: scenario GROUPS INSTANCES PARALLEL(n|all) [SURGE(N|P%) [BAKE_SECONDS]]\n")
  process.exit(2)
}
const strategy = surge === undefined ? undefined : { surge, surgeText: surgeArg!, bakeSeconds: Number(bakeArg ?? "0") }
const exit = runVirtual(main(groups, instances, parallel, strategy), new VirtualClock(Date.UTC(2025, 0, 1)))
if (Exit.isFailure(exit)) {
  process.stderr.write(`scenario failed: ${String(exit.cause)}\n`)
  process.exit(1)
}
const cpu = process.cpuUsage()
process.stdout.write(`${JSON.stringify({
  groups,
  instances,
  parallel,
  ...exit.value,
  cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
  maxRssMb: round(process.resourceUsage().maxRSS / 1024, 1)
})}\n`)
