import { defineProject } from "vitest/config"

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
    pool: "forks"
  }
})
