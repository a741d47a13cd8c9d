import * as Command from "@effect/cli/Command"
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as HashMap from "effect/HashMap"
import { root } from "../../src/cli/Root.js"

// The bins' fast path prints what the build cached; these tests hold it to what the full CLI writes now.
const manifest = JSON.parse(readFileSync("dist/help/manifest.json", "utf8")) as Record<string, { plain: string; ansi: string }>
const run = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const [bin, ...args] = argv
  const base = { ...process.env }
  delete base["NO_COLOR"]
  delete base["AWS_HA_UPDATER_HELP_STYLE"]
  return execFileSync(process.execPath, [`dist/bin/${bin}.js`, ...args], { env: { ...base, ...env } }).toString()
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

  it("prints exactly what the full CLI prints, plain and coloured", () => {
    const checked = new Set<string>()
    for (const [invocation, files] of Object.entries(manifest)) {
      for (const style of ["plain", "ansi"] as const) {
        const file = files[style]
        if (checked.has(file)) continue
        checked.add(file)
        const argv = invocation.split(" ")
        const cached = run(argv, { AWS_HA_UPDATER_HELP_STYLE: style })
        expect(cached).toBe(readFileSync(`dist/help/${file}`, "utf8"))
        expect(cached).toBe(run(argv, { AWS_HA_UPDATER_HELP_STYLE: style, AWS_HA_UPDATER_NO_HELP_CACHE: "1" }))
        if (invocation.endsWith("--help")) expect(cached.includes("\u001b["), file).toBe(style === "ansi")
      }
    }
    expect(checked.size).toBe(23)
  }, 90_000)

  it("chooses the plain text for a pipe, and under NO_COLOR", () => {
    const plain = readFileSync(`dist/help/${manifest["update-asgs --help"]!.plain}`, "utf8")
    expect(run(["update-asgs", "--help"])).toBe(plain)
    expect(run(["update-asgs", "-h"], { NO_COLOR: "1" })).toBe(plain)
  })

  it("leaves every other invocation to the full CLI", () => {
    expect(() => run(["update-asgs", "--no-such-option", "--help"])).toThrow()
  })
})
