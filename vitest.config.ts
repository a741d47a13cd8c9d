import { defineConfig } from "vitest/config"

/** `vitest run` runs both projects; `--project unit` or `--project e2e` picks one. */
export default defineConfig({
  test: {
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: ["./vitest.unit.config.ts", "./vitest.e2e.config.ts"]
  }
})
