// Builds the CLI (bundled, split, fast to start) and the library (our code only, Effect left to the user's copy).
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"

rmSync("dist", { recursive: true, force: true })

const common = { bundle: true, platform: "node", target: "node20", format: "esm", splitting: true, sourcemap: true, minify: true, logLevel: "warning" }

await build({
  ...common,
  entryPoints: ["src/bin/aws-ha-updater.ts", "src/bin/update-asgs.ts", "src/bin/update-stack.ts"],
  outdir: "dist/bin",
  chunkNames: "chunks/[name]-[hash]",
  // The SDK stays a lazily imported dependency: bundling it would only slow the start.
  external: ["@aws-sdk/*", "@smithy/*", "@effect/cluster", "@effect/rpc", "@effect/sql", "@effect/workflow"],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
})
for (const f of readdirSync("dist/bin")) if (f.endsWith(".js")) chmodSync(`dist/bin/${f}`, 0o755)

// --help and --version as @effect/cli renders them, cached for the bins' fast path (src/bin/FastHelp.ts).
export const SUBCOMMANDS = ["update-stack", "update-asgs", "check-template", "status", "recover", "resume", "demo"]
const invocations = [
  ["aws-ha-updater"],
  ...SUBCOMMANDS.map((sub) => ["aws-ha-updater", sub]),
  ["update-asgs"],
  ["update-stack"]
]
mkdirSync("dist/help", { recursive: true })
const manifest = {}
for (const [bin, ...args] of invocations) {
  for (const flag of ["--help", "--version"]) {
    if (flag === "--version" && args.length > 0) continue
    const text = execFileSync(process.execPath, [`dist/bin/${bin}.js`, ...args, flag], {
      env: { ...process.env, AWS_HA_UPDATER_NO_HELP_CACHE: "1" }
    })
    const file = `${[bin, ...args].join("-")}${flag === "--help" ? ".help" : ".version"}.txt`
    writeFileSync(`dist/help/${file}`, text)
    manifest[[bin, ...args, flag].join(" ")] = file
    if (flag === "--help") manifest[[bin, ...args, "-h"].join(" ")] = file
  }
}
writeFileSync("dist/help/manifest.json", JSON.stringify(manifest, null, 2))

await build({
  ...common,
  entryPoints: ["src/index.ts", "src/testing.ts"],
  outdir: "dist/lib",
  chunkNames: "chunks/[name]-[hash]",
  packages: "external"
})

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
