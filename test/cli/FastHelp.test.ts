import * as Command from "@effect/cli/Command"
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as HashMap from "effect/HashMap"
import { root } from "../../src/cli/Root.js"

// The bins' fast path prints what the build cached; these tests hold it to what @effect/cli renders now.
const manifest = JSON.parse(readFileSync("dist/help/manifest.json", "utf8")) as Record<string, string>
const run = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const [bin, ...args] = argv
  return execFileSync(process.execPath, [`dist/bin/${bin}.js`, ...args], { env: { ...process.env, ...env } }).toString()
}

describe("--help and --version from the build's cache", () => {
  it("covers every subcommand", () => {
    const subcommands = [...HashMap.keys(Command.getSubcommands(root))].sort()
    for (const sub of subcommands) {
      expect(manifest[`aws-ha-updater ${sub} --help`]).toBeDefined()
      expect(manifest[`aws-ha-updater ${sub} -h`]).toBeDefined()
    }
    expect(manifest["update-asgs --help"]).toBeDefined()
    expect(manifest["update-stack --version"]).toBeDefined()
  })

  it("prints exactly what the full CLI prints", () => {
    const checked = new Set<string>()
    for (const [invocation, file] of Object.entries(manifest)) {
      if (checked.has(file)) continue
      checked.add(file)
      const argv = invocation.split(" ")
      const cached = run(argv)
      expect(cached).toBe(readFileSync(`dist/help/${file}`, "utf8"))
      expect(cached).toBe(run(argv, { AWS_HA_UPDATER_NO_HELP_CACHE: "1" }))
    }
    expect(checked.size).toBe(13)
  }, 60_000)

  it("leaves every other invocation to the full CLI", () => {
    expect(() => run(["update-asgs", "--no-such-option", "--help"])).toThrow()
  })
})
