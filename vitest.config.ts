import { defineConfig } from "vitest/config"

/** `vitest run` runs both projects; `--project unit` or `--project e2e` picks one. */
export default defineConfig({
  test: {
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "**/node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 60_000
        }
      },
      "./vitest.e2e.config.ts"
    ]
  }
})
