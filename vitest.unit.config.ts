import { defineProject } from "vitest/config"

/** The unit tests, on the fake world: a project of `vitest.config.ts`, and alone the suite Stryker mutates against. */
export default defineProject({
  test: {
    name: "unit",
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "**/*.package.test.ts", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks"
  }
})
