// Builds the CLI (bundled, split, fast to start) and the library (our code only, Effect left to the user's copy).
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { chmodSync, readdirSync, rmSync } from "node:fs"

rmSync("dist", { recursive: true, force: true })

const common = { bundle: true, platform: "node", target: "node20", format: "esm", splitting: true, sourcemap: true, minify: true, logLevel: "warning" }

await build({
  ...common,
  entryPoints: readdirSync("src/bin").filter((f) => f.endsWith(".ts")).map((f) => `src/bin/${f}`),
  outdir: "dist/bin",
  chunkNames: "chunks/[name]-[hash]",
  // The SDK stays a lazily imported dependency: bundling it would only slow the start.
  external: ["@aws-sdk/*", "@smithy/*", "@effect/cluster", "@effect/rpc", "@effect/sql", "@effect/workflow"],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
})
for (const f of readdirSync("dist/bin")) if (f.endsWith(".js")) chmodSync(`dist/bin/${f}`, 0o755)

await build({
  ...common,
  entryPoints: ["src/index.ts", "src/testing.ts"],
  outdir: "dist/lib",
  chunkNames: "chunks/[name]-[hash]",
  packages: "external"
})

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
