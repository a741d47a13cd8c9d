// Mutation testing of the modules where a missed behaviour costs serving capacity: `npm run mutate` (not part of CI).
// Paths are globs so that a module split or renamed in src/program keeps being mutated; the e2e project never runs.

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  // The unit project alone: the e2e one starts moto and runs the built binaries, which Stryker does not mutate.
  vitest: { configFile: "vitest.unit.config.ts", related: false },
  checkers: ["typescript"],
  // The checker decides whether a mutant compiles: the sources alone, without the tests, check several times faster.
  tsconfigFile: "tsconfig.mutate.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    "src/program/rollout/Rollout*.ts",
    "src/program/rollout/Commit*.ts",
    "src/program/rollout/RollBack*.ts",
    "src/program/rollout/Raise.ts",
    "src/program/rollout/WaitHealthy.ts",
    "src/program/rollout/PollHub.ts",
    "src/program/rollout/Assess.ts",
    "src/program/recover/Recover*.ts",
    "src/program/stack/StackWait*.ts",
    "src/template/Parameters.ts",
    "!src/**/*Errors.ts"
  ],
  coverageAnalysis: "perTest",
  // A mutant in code that runs when a module loads needs the whole suite (minutes) each: skipped by default, counted
  // as Ignored. `npm run mutate -- --ignoreStatic false` includes them when there is time.
  ignoreStatic: true,
  // Two cores shared with others: one worker by default; `npm run mutate -- --concurrency 2` when the machine is free.
  concurrency: 1,
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  // Simulated time makes a run CPU-bound: a mutant that loops forever is cut off by Stryker's hit limit or this.
  timeoutMS: 60_000,
  // The initial run of every test with coverage takes minutes on a loaded 2-core machine.
  dryRunTimeoutMinutes: 30,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 85, break: null }
}
