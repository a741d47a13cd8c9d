// `npm run mutate [-- stryker options]`: Stryker over the modules stryker.config.mjs names, then the score of each
// module into bench/mutation.json. `npm run mutate -- --mutate src/template/Parameters.ts` runs one module; the
// scores of the modules it did not run stay as the file had them.
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const report = join(root, "reports/mutation/mutation.json")
const scores = join(root, "bench/mutation.json")

const corePackage = createRequire(import.meta.url).resolve("@stryker-mutator/core/package.json")
const stryker = join(dirname(corePackage), "bin/stryker.js")
// The property test runs its 1,000 schedules in CI; against each mutant a few dozen say enough, in far less time.
// `--tests GLOB,GLOB` runs the mutants against those unit tests only (a lower bound of the score, much faster on a
// loaded machine); the scores it writes say which tests they were measured with.
// `--from-events`: no new run; the scores of a run stopped part-way, read from the results it recorded one by one
// (`--reporters ...,event-recorder`), each module's entry saying how many of its mutants were not tested yet.
const fromEvents = process.argv.includes("--from-events")
const args = process.argv.slice(2).filter((a) => a !== "--from-events")
const testsAt = args.indexOf("--tests")
const tests = testsAt < 0 ? undefined : args[testsAt + 1]
if (testsAt >= 0 && (tests === undefined || tests.startsWith("--"))) {
  console.error("mutate: --tests needs a comma-separated list of test globs")
  process.exit(2)
}
const strykerArgs = testsAt < 0 ? args : [...args.slice(0, testsAt), ...args.slice(testsAt + 2)]
const env = {
  ...process.env,
  FAULT_RUNS: process.env["FAULT_RUNS"] ?? "40",
  MUTATING: "1",
  ...(tests === undefined ? {} : { MUTATE_TESTS: tests })
}
if (!fromEvents) {
  const run = spawnSync(process.execPath, [stryker, "run", ...strykerArgs], { cwd: root, stdio: "inherit", env })
  if (run.status !== 0) process.exit(run.status ?? 1)
}

/** Stryker's own definition: detected (killed, timed out) over valid mutants (those that compiled). */
const DETECTED = new Set(["Killed", "Timeout"])
const UNDETECTED = new Set(["Survived", "NoCoverage"])

/** Every mutant with its status, by file: from the JSON report, or from the recorded events (untested ones "Pending"). */
const readMutants = () => {
  if (!fromEvents) return JSON.parse(readFileSync(report, "utf8")).files
  const dir = join(root, "reports/mutation/events")
  const names = readdirSync(dir).sort()
  const read = (name) => JSON.parse(readFileSync(join(dir, name), "utf8"))
  const plan = names.find((n) => n.endsWith("-onMutationTestingPlanReady.json"))
  if (plan === undefined) {
    console.error(`mutate: no recorded plan in ${dir}: run with --reporters ...,event-recorder first`)
    process.exit(2)
  }
  const byId = new Map(read(plan).mutantPlans.map(({ mutant }) => [mutant.id, { ...mutant, status: mutant.status ?? "Pending" }]))
  for (const n of names.filter((n) => n.endsWith("-onMutantTested.json"))) {
    const m = read(n)
    byId.set(m.id, m)
  }
  const files = {}
  for (const m of byId.values()) {
    const file = m.fileName.startsWith(root) ? m.fileName.slice(root.length + 1) : m.fileName
    ;(files[file] ??= { mutants: [] }).mutants.push(m)
  }
  return files
}
const files = readMutants()
const measured = Object.fromEntries(
  Object.entries(files).map(([file, { mutants }]) => {
    const count = (statuses) => mutants.filter((m) => statuses.has(m.status)).length
    const detected = count(DETECTED)
    const undetected = count(UNDETECTED)
    const survivors = mutants
      .filter((m) => UNDETECTED.has(m.status))
      .map((m) => `${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.status}${m.replacement === undefined ? "" : ` → ${m.replacement.replace(/\s+/g, " ").slice(0, 80)}`}`)
    return [file.replace(/\\/g, "/"), {
      score: detected + undetected === 0 ? null : Math.round((1000 * detected) / (detected + undetected)) / 10,
      killed: count(new Set(["Killed"])),
      timeout: count(new Set(["Timeout"])),
      survived: count(new Set(["Survived"])),
      noCoverage: count(new Set(["NoCoverage"])),
      compileErrors: count(new Set(["CompileError"])),
      ignored: count(new Set(["Ignored"])),
      ...(fromEvents ? { untested: count(new Set(["Pending"])) } : {}),
      survivors
    }]
  })
)

// A run from a snapshot without .git (a copy of HEAD, so that edits meanwhile never reach the sandbox) names its commit.
const commit = process.env["MUTATION_COMMIT"] ?? (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
})()
const at = new Date().toISOString()
const before = existsSync(scores) ? JSON.parse(readFileSync(scores, "utf8")) : { modules: {} }
const modules = { ...before.modules }
for (const [file, m] of Object.entries(measured)) modules[file] = { ...m, tests: tests ?? "all unit tests", commit, at }
const sorted = Object.fromEntries(Object.entries(modules).sort(([a], [b]) => a.localeCompare(b)))
const totals = Object.values(sorted).reduce(
  (t, m) => ({ detected: t.detected + m.killed + m.timeout, valid: t.valid + m.killed + m.timeout + m.survived + m.noCoverage }),
  { detected: 0, valid: 0 }
)
const version = JSON.parse(readFileSync(corePackage, "utf8")).version
writeFileSync(scores, `${JSON.stringify({
  tool: `@stryker-mutator/core ${version}`,
  score: totals.valid === 0 ? null : Math.round((1000 * totals.detected) / totals.valid) / 10,
  modules: sorted
}, null, 2)}\n`)

for (const [file, m] of Object.entries(measured)) console.log(`${file}: ${m.score ?? "-"} % (${m.killed + m.timeout} detected, ${m.survived + m.noCoverage} undetected)`)
console.log(`scores written to ${scores}`)
