import { defineProject } from "vitest/config"

/**
 * The packed package installed into a fresh user project (npm pack, npm install, the user's tsc and vitest): slow,
 * so kept out of the unit project that Stryker runs against every mutant.
 */
export default defineProject({
  test: {
    name: "package",
    include: ["test/package/**/*.package.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks"
  }
})
