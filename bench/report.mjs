// The bench's tables and its targets (issue 6), from the results that bench/run.mjs gathers.

const out = (line = "") => process.stdout.write(`${line}\n`)

/** Columns right-aligned unless named in `left`. */
const table = (headers, rows, left = new Set([0])) => {
  const cells = [headers, ...rows].map((r) => r.map(String))
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  const line = (r) => r.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd()
  out(line(cells[0]))
  out(widths.map((w) => "-".repeat(w)).join("  "))
  for (const r of cells.slice(1)) out(line(r))
}

const parallelName = (p) => (p === "all" ? "all" : p === 1 ? "1 (seq)" : String(p))

export const printColdStart = (c, cli) => {
  out(`CLI cold start: wall time of ${c.runs} runs, one process after the other (after one unmeasured run)`)
  table(["command", "median ms", "min ms", "max ms"], [
    [`node ${cli} --help`, c.help.medianMs, c.help.minMs, c.help.maxMs],
    [`node ${cli} --version`, c.version.medianMs, c.version.minMs, c.version.maxMs],
    ["node -e 0", c.nodeE0.medianMs, c.nodeE0.minMs, c.nodeE0.maxMs]
  ])
  out(`sdk modules loaded: ${c.sdkModulesLoaded.help} by --help, ${c.sdkModulesLoaded.version} by --version ` +
    `(of ${c.modulesLoaded.help} and ${c.modulesLoaded.version} modules; the same probe sees ${c.sdkModulesLoaded.controlImportingTheSdk} in a process that imports the SDK)`)
  out()
}

export const printFakeWorld = (f) => {
  const s = f.settings
  out(`Fake world on a virtual clock: launch ${s.launchSeconds} s, health ${s.healthSeconds} s, poll ${s.pollIntervalSeconds} s; ` +
    "even groups behind a CLB, odd ones behind a target group; each scenario in its own process")
  const op = (r, name) => r.callsByOperation[name] ?? 0
  table(
    ["groups×inst", "parallel", "sim s", "floor s", "calls", "DescASG", "DescInstHealth", "DescTgtHealth", "Terminate", "rounds", "calls/round", "bound", "cpu s", "rollout cpu s", "rss MB"],
    f.scenarios.map((r) => [
      `${r.groups}×${r.instances}${r.surge === undefined ? "" : ` surge ${r.surge} (${r.waves} waves)`}`,
      parallelName(r.parallel),
      r.simulatedSeconds.toFixed(2),
      r.floorSeconds,
      r.calls,
      op(r, "DescribeAutoScalingGroups"),
      op(r, "DescribeInstanceHealth"),
      op(r, "DescribeTargetHealth"),
      op(r, "TerminateInstanceInAutoScalingGroup"),
      r.pollRounds,
      r.callsPerRoundMax,
      r.callsPerRoundBound,
      r.cpuSeconds.toFixed(2),
      r.rolloutCpuSeconds.toFixed(2),
      r.maxRssMb.toFixed(1)
    ]),
    new Set([0, 1])
  )
  out("sim s: simulated time of the rollout; floor: launch + health + one poll interval, and for a surge waves × (launch +")
  out("health + bake); the surge rows bake each wave 30 s and watch one alarm. calls/round: the most calls of a")
  out("poll round (a run of DescribeAutoScalingGroups then DescribeInstanceHealth/DescribeTargetHealth calls at one simulated")
  out("instant); bound: 1 + the stack's CLBs and target groups (+ 1 DescribeAlarms with an alarm). cpu s and rss MB: the whole scenario process. All calls by")
  out("operation are in bench/results.json.")
  out()
}

export const printMoto = (m) => {
  if (m.skipped !== undefined) {
    out(`moto: skipped (${m.skipped})`)
    out()
    return
  }
  out(`moto_server: update-asgs --replace-all --poll-interval 1 on one group of ${m.instances} instances behind a classic ELB`)
  out(`  ${m.status}: launched ${m.launched}, terminated ${m.terminated}; wall ${m.wallSeconds} s; ${m.calls} calls (${m.mutatingCalls} mutating)`)
  out(`  ${Object.entries(m.callsByOperation).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  if (m.large !== undefined) {
    const l = m.large
    out(`  ${l.instances} instances: ${l.status}, terminated ${l.terminated}; the commit took ${l.commitSeconds} s (terminate requests over ${l.terminateRequestsSeconds} s, ten at a time); wall ${l.wallSeconds} s`)
  }
  out()
}

/** Each target of the issue with what was measured; absent sections give no row. */
export const checkTargets = (results) => {
  const rows = []
  const c = results.coldStart
  if (c !== undefined) {
    rows.push({ target: "median cold `--help` ≤ 250 ms", measured: `${c.help.medianMs} ms`, met: c.help.medianMs <= 250 })
    const sdk = c.sdkModulesLoaded.help + c.sdkModulesLoaded.version
    rows.push({ target: "`--help` and `--version` load no @aws-sdk module", measured: `${sdk} loaded`, met: sdk === 0 })
  }
  const f = results.fakeWorld
  if (f !== undefined) {
    for (const r of f.scenarios.filter((x) => x.callsPerRoundMax > x.callsPerRoundBound)) {
      rows.push({
        target: `calls per poll round ≤ 1 + CLBs and TGs: ${r.groups}×${r.instances} parallel ${r.parallel}`,
        measured: `${r.callsPerRoundMax} > ${r.callsPerRoundBound} (${r.describeBatchesPerFullRound} DescribeAutoScalingGroups of ${f.settings.describeBatch} names)`,
        met: false
      })
    }
    if (f.scenarios.every((r) => r.callsPerRoundMax <= r.callsPerRoundBound)) {
      rows.push({ target: "calls per poll round ≤ 1 + CLBs and TGs", measured: "in every scenario", met: true })
    } else {
      const rest = f.scenarios.filter((r) => r.callsPerRoundMax <= r.callsPerRoundBound).length
      rows.push({ target: "calls per poll round ≤ 1 + CLBs and TGs: the other scenarios", measured: `${rest} of ${f.scenarios.length}`, met: true })
    }
    const ten = f.scenarios.find((r) => r.groups === 10 && r.instances === 100 && r.parallel === "all")
    if (ten !== undefined) {
      const limit = ten.floorSeconds + ten.pollIntervalSeconds
      rows.push({ target: "10×100 `--parallel all` within floor + one poll interval", measured: `${ten.simulatedSeconds} s (limit ${limit} s)`, met: ten.simulatedSeconds <= limit })
    }
    for (const r of f.scenarios.filter((x) => x.surge !== undefined)) {
      const limit = r.floorSeconds + r.waves * r.pollIntervalSeconds
      rows.push({
        target: `1×100 --max-surge ${r.surge} --bake ${r.bakeSeconds}: within waves × (launch + health + bake) + one poll interval a wave`,
        measured: `${r.simulatedSeconds} s in ${r.waves} waves (limit ${limit} s)`,
        met: r.simulatedSeconds <= limit
      })
    }
    for (const r of f.scenarios.filter((x) => x.groups === 100 && x.instances === 100 && x.surge === undefined)) {
      rows.push({ target: `100×100 parallel ${r.parallel}: ≤ 5 s CPU`, measured: `${r.cpuSeconds} s`, met: r.cpuSeconds <= 5 })
      rows.push({ target: `100×100 parallel ${r.parallel}: ≤ 300 MB RSS`, measured: `${r.maxRssMb} MB`, met: r.maxRssMb <= 300 })
    }
  }
  return rows
}

export const printTargets = (rows) => {
  if (rows.length === 0) return
  out("Targets")
  table(["target", "measured", ""], rows.map((r) => [r.target, r.measured, r.met ? "met" : "MISSED"]), new Set([0, 1, 2]))
}
