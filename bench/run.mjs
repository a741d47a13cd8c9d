// `npm run bench`: CLI cold start, the fake world on a virtual clock, one rollout against moto_server. Prints tables
// and writes bench/results.json (commit it with each significant change). `node bench/run.mjs cold fake moto` runs
// only the sections named, and then writes nothing. Needs the build (`npm ci` runs it; else `npm run build`).
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { arch, cpus, loadavg, platform, tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { checkTargets, printColdStart, printFakeWorld, printMoto, printTargets } from "./report.mjs"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
process.chdir(ROOT)

const SECTIONS = ["cold", "fake", "moto"]
const asked = process.argv.slice(2)
for (const s of asked) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(", ")}`)
const wanted = asked.length === 0 ? SECTIONS : asked

const CLI = "dist/bin/aws-ha-updater.js"
const COLD_RUNS = 15
// BENCH_OUT: another place for the bundles, inside this checkout (worktrees that share node_modules share its cache).
const OUT = process.env.BENCH_OUT ?? "node_modules/.cache/aws-ha-updater-bench"
const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits
const note = (line) => process.stderr.write(`bench: ${line}\n`)

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm ci runs it) first`)

// The TypeScript parts are bundled for node here, our code only: tsx is not a dependency, esbuild is.
await build({
  entryPoints: { scenario: "bench/Scenario.ts", moto: "bench/Moto.ts" },
  outdir: OUT,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "esm",
  logLevel: "warning"
})

/** Wall time of one child process, spawned and awaited on its own. */
const wallMs = (args, env = process.env) => {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return ms
}

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length / 2
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2
  return { medianMs: round(median, 1), minMs: round(sorted[0], 1), maxMs: round(sorted.at(-1), 1) }
}

/** Every module the process resolves (ESM hook) or requires (NODE_DEBUG=module), and those of the AWS SDK. */
const modulesLoaded = (args) => {
  const dir = mkdtempSync(join(tmpdir(), "aws-ha-updater-bench-"))
  const log = join(dir, "modules.log")
  writeFileSync(log, "")
  const r = spawnSync(process.execPath, ["--import", "./bench/module-log.mjs", ...args], {
    env: { ...process.env, BENCH_MODULE_LOG: log, NODE_DEBUG: "module" },
    encoding: "utf8"
  })
  const urls = [...new Set(readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("file:")))]
  rmSync(dir, { recursive: true, force: true })
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  const sdk = /@aws-sdk\/|@smithy\//
  const required = r.stderr.split("\n").filter((l) => l.startsWith("MODULE") && sdk.test(l))
  return { modules: urls.length, sdkModules: urls.filter((u) => sdk.test(u)).length + required.length }
}

const coldStart = () => {
  note(`cold start: ${COLD_RUNS} runs each, one after the other`)
  const series = (args) => {
    wallMs(args) // one unmeasured run: the files in the page cache, as for any later start
    return stats(Array.from({ length: COLD_RUNS }, () => wallMs(args)))
  }
  const help = modulesLoaded([CLI, "--help"])
  const version = modulesLoaded([CLI, "--version"])
  // The detector must see the SDK when it is loaded, or its zero proves nothing.
  const control = modulesLoaded(["--input-type=module", "-e", "await import('@aws-sdk/client-auto-scaling')"])
  if (help.modules === 0 || control.sdkModules === 0) throw new Error("the module log recorded nothing: cannot tell which modules load")
  return {
    runs: COLD_RUNS,
    help: series([CLI, "--help"]),
    version: series([CLI, "--version"]),
    nodeE0: series(["-e", "0"]),
    modulesLoaded: { help: help.modules, version: version.modules },
    sdkModulesLoaded: { help: help.sdkModules, version: version.sdkModules, controlImportingTheSdk: control.sdkModules }
  }
}

const SCENARIOS = [1, 10, 100].flatMap((groups) =>
  [10, 100].flatMap((instances) => [1, "all"].map((parallel) => ({ groups, instances, parallel })))
)

/** One group of 100 in waves of 10%, 25% and 100%, each wave baked 30 s, one alarm watched. */
const STRATEGIES = ["10%", "25%", "100%"].map((surge) => ({ groups: 1, instances: 100, parallel: 1, surge, bake: 30 }))

const fakeWorld = () => {
  const scenarios = [...SCENARIOS, ...STRATEGIES].map(({ groups, instances, parallel, surge, bake }) => {
    note(`fake world: ${groups} group(s) × ${instances} instances, parallel ${parallel}${surge === undefined ? "" : `, --max-surge ${surge} --bake ${bake} --alarm`}`)
    // Its own process, so that CPU time and peak RSS are this scenario's alone.
    const extra = surge === undefined ? [] : [surge, String(bake)]
    const r = spawnSync(process.execPath, [`${OUT}/scenario.mjs`, String(groups), String(instances), String(parallel), ...extra], {
      encoding: "utf8",
      timeout: 600_000
    })
    if (r.status !== 0) throw new Error(`scenario ${groups}×${instances} parallel ${parallel} failed: ${r.stderr}`)
    return JSON.parse(r.stdout)
  })
  return {
    settings: { launchSeconds: 60, healthSeconds: 30, drainSeconds: 10, pollIntervalSeconds: 5, describeBatch: 50 },
    scenarios
  }
}

const motoRun = (instances) => {
  note(`moto: one group of ${instances} instances behind a classic ELB, rolled by the built CLI`)
  const r = spawnSync(process.execPath, [`${OUT}/moto.mjs`, String(instances)], {
    encoding: "utf8",
    timeout: 900_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }
  })
  if (r.status !== 0) throw new Error(`the moto run failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

// 4 instances: the whole run's calls; 100: how long the commit takes to terminate 100 old instances, ten at a time.
const moto = () => ({ ...motoRun(4), large: motoRun(100) })

// Other processes' load shows in every number: it is recorded with them.
const environment = {
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  loadAverage1mAtStart: round(loadavg()[0], 2)
}
const results = {
  environment,
  ...(wanted.includes("cold") ? { coldStart: coldStart() } : {}),
  ...(wanted.includes("fake") ? { fakeWorld: fakeWorld() } : {}),
  ...(wanted.includes("moto") ? { moto: moto() } : {})
}
const targets = checkTargets(results)

process.stdout.write(`\nnode ${environment.node} on ${environment.cpus} × ${environment.cpuModel}; load average (1 min) at start ${environment.loadAverage1mAtStart}\n\n`)
if (results.coldStart !== undefined) printColdStart(results.coldStart, CLI)
if (results.fakeWorld !== undefined) printFakeWorld(results.fakeWorld)
if (results.moto !== undefined) printMoto(results.moto)
printTargets(targets)

if (asked.length === 0) {
  writeFileSync("bench/results.json", `${JSON.stringify({ ...results, targets }, null, 2)}\n`)
  process.stdout.write("\nwrote bench/results.json\n")
}
