import { defineConfig } from "vitest/config"

/** `vitest run` runs every project; `--project unit`, `--project e2e` or `--project package` picks one. */
export default defineConfig({
  test: {
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: ["./vitest.unit.config.ts", "./vitest.e2e.config.ts", "./vitest.package.config.ts"]
  }
})
