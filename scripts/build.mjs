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

// --help and --version as the CLI writes them, cached for the bins' fast path (src/cli/FastHelp.ts): help in both
// styles, plain and coloured, which the bins choose between as the CLI would (src/cli/Color.ts).
export const SUBCOMMANDS = ["update-stack", "update-asgs", "check-template", "status", "recover", "resume", "schema", "demo"]
const invocations = [
  ["aws-ha-updater"],
  ...SUBCOMMANDS.map((sub) => ["aws-ha-updater", sub]),
  ["update-asgs"],
  ["update-stack"]
]
mkdirSync("dist/help", { recursive: true })
const manifest = {}
const cache = (argv, style, file) => {
  const [bin, ...args] = argv
  const text = execFileSync(process.execPath, [`dist/bin/${bin}.js`, ...args], {
    env: { ...process.env, AWS_HA_UPDATER_NO_HELP_CACHE: "1", AWS_HA_UPDATER_HELP_STYLE: style }
  })
  writeFileSync(`dist/help/${file}`, text)
  return file
}
for (const [bin, ...args] of invocations) {
  const name = [bin, ...args].join("-")
  const help = {
    plain: cache([bin, ...args, "--help"], "plain", `${name}.help.txt`),
    ansi: cache([bin, ...args, "--help"], "ansi", `${name}.help.ansi.txt`)
  }
  manifest[[bin, ...args, "--help"].join(" ")] = help
  manifest[[bin, ...args, "-h"].join(" ")] = help
  if (args.length > 0) continue
  const version = cache([bin, "--version"], "plain", `${name}.version.txt`)
  manifest[[bin, "--version"].join(" ")] = { plain: version, ansi: version }
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
