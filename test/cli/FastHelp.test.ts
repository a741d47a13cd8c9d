import * as Command from "@effect/cli/Command"
import { describe, expect, it } from "@effect/vitest"
import { execFile, execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import { root } from "../../src/cli/Root.js"

// The bins' fast path prints what the build cached; these tests hold it to what the full CLI writes now.
const manifest = JSON.parse(readFileSync("dist/help/manifest.json", "utf8")) as Record<string, { plain: string; ansi: string }>
const childEnv = (env: Record<string, string>) => {
  const base = { ...process.env }
  delete base["NO_COLOR"]
  delete base["AWS_HA_UPDATER_HELP_STYLE"]
  return { ...base, ...env }
}
const run = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const [bin, ...args] = argv
  return execFileSync(process.execPath, [`dist/bin/${bin}.js`, ...args], { env: childEnv(env) }).toString()
}
// Without blocking the test's own process, for the many runs of the full CLI.
const runAsync = (argv: ReadonlyArray<string>, env: Record<string, string>) => {
  const [bin, ...args] = argv
  return Effect.async<string, Error>((resume) => {
    execFile(process.execPath, [`dist/bin/${bin}.js`, ...args], { env: childEnv(env) }, (error, stdout) =>
      resume(error === null ? Effect.succeed(stdout) : Effect.fail(error)))
  })
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

  it.effect("prints exactly what the full CLI prints, plain and coloured", () =>
    Effect.gen(function*() {
      const cases = new Map<string, { argv: ReadonlyArray<string>; style: "plain" | "ansi" }>()
      for (const [invocation, files] of Object.entries(manifest)) {
        for (const style of ["plain", "ansi"] as const) {
          if (!cases.has(files[style])) cases.set(files[style], { argv: invocation.split(" "), style })
        }
      }
      expect(cases.size).toBe(25)
      yield* Effect.forEach(cases, ([file, { argv, style }]) =>
        Effect.gen(function*() {
          const cached = yield* runAsync(argv, { AWS_HA_UPDATER_HELP_STYLE: style })
          expect(cached, file).toBe(readFileSync(`dist/help/${file}`, "utf8"))
          expect(cached, file).toBe(yield* runAsync(argv, { AWS_HA_UPDATER_HELP_STYLE: style, AWS_HA_UPDATER_NO_HELP_CACHE: "1" }))
          if (argv.at(-1) !== "--version") expect(cached.includes("\u001b["), file).toBe(style === "ansi")
        }), { concurrency: 2 })
    }), 180_000)

  it("chooses the plain text for a pipe, and under NO_COLOR", () => {
    const plain = readFileSync(`dist/help/${manifest["update-asgs --help"]!.plain}`, "utf8")
    expect(run(["update-asgs", "--help"])).toBe(plain)
    expect(run(["update-asgs", "-h"], { NO_COLOR: "1" })).toBe(plain)
  })

  it("leaves every other invocation to the full CLI", () => {
    expect(() => run(["update-asgs", "--no-such-option", "--help"])).toThrow()
  })
})
