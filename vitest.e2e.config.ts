import { defineProject } from "vitest/config"
import { motoCredentials } from "./test/support/moto.js"

/** Integration tests against moto_server, started by the globalSetup (or reused from MOTO_URL). */
export default defineProject({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.e2e.test.ts"],
    globalSetup: ["./test/support/moto.ts"],
    env: { ...motoCredentials },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One emulator serves every file, and a file resets it: files must not run side by side. Vitest reads
    // fileParallelism only from the root config, so the project runs its files in a single fork instead.
    fileParallelism: false,
    poolOptions: { forks: { singleFork: true } }
  }
})
