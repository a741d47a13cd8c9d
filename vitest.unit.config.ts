import { BaseSequencer, type TestSpecification } from "vitest/node"
import { defineProject } from "vitest/config"

/**
 * Under Stryker every mutant runs the tests that cover it, one file after another, and stops at the first failure:
 * the quickest files first (vitest's own order is the longest first) find most killers sooner.
 */
class QuickestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    return (await super.sort(files)).reverse()
  }
}

/**
 * The unit tests, on the fake world: a project of `vitest.config.ts`, and alone the suite Stryker mutates against.
 * MUTATE_TESTS (comma-separated globs, set by `npm run mutate -- --tests ...`) narrows it to the tests that matter for
 * the modules mutated: fewer tests can only kill fewer mutants, so such a run's score is a lower bound of the real one.
 */
export default defineProject({
  test: {
    name: "unit",
    include: process.env["MUTATE_TESTS"] === undefined ? ["test/**/*.test.ts"] : process.env["MUTATE_TESTS"].split(","),
    exclude: ["test/e2e/**", "**/*.package.test.ts", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Under Stryker a mutant is switched on at run time, so a test file need not load the modules afresh: one module
    // graph for every file and mutant saves seconds per mutant. A test must then not depend on the command's modules
    // loading slowly: the simulated clock runs on while they load the first time only.
    ...(process.env["MUTATING"] === undefined ? {} : { sequence: { sequencer: QuickestFirst }, isolate: false })
  }
})
