// The packed package in a fresh user project on another effect 3 patch: one copy of effect, the README's
// "Library use" and "Testing use" snippets type-check with skipLibCheck off, and the testing one passes.
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"

/** The user's effect: a 3.x patch other than the one we build with, inside our peer range. */
const USER_EFFECT = "3.22.3"

const repo = fileURLToPath(new URL("../..", import.meta.url))
const ours = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  readonly devDependencies: Readonly<Record<string, string>>
}

// Not npm's lifecycle variables (npm_config_local_prefix would point the install at this repository), nor vitest's.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) =>
    (!k.startsWith("npm_") || k === "npm_config_cache" || k === "npm_config_registry") && !k.startsWith("VITEST")
  )
)

const run = (cwd: string, command: string, args: ReadonlyArray<string>) =>
  new Promise<{ readonly code: number; readonly output: string }>((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
        output: (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, "")
      }))
  })

const readmeSnippets = (title: string): ReadonlyArray<string> => {
  const readme = readFileSync(join(repo, "README.md"), "utf8")
  const start = readme.indexOf(`\n## ${title}\n`)
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`)
  const end = readme.indexOf("\n## ", start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  return [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
}

/** Every installed copy of a package, as paths under the project. */
const copies = (project: string, name: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const visit = (modules: string): void => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue
      const dirs = entry.startsWith("@")
        ? readdirSync(join(modules, entry)).map((scoped) => join(modules, entry, scoped))
        : [join(modules, entry)]
      for (const dir of dirs) {
        if (relative(modules, dir) === name) found.push(relative(project, dir))
        visit(join(dir, "node_modules"))
      }
    }
  }
  visit(join(project, "node_modules"))
  return found
}

describe("the packed package in a user's project", () => {
  const project = mkdtempSync(join(tmpdir(), "aws-ha-updater-user-"))
  const library = readmeSnippets("Library use")
  const testing = readmeSnippets("Testing use")

  beforeAll(async () => {
    if (!existsSync(join(repo, "dist/types/index.d.ts")) || !existsSync(join(repo, "dist/lib/testing.js"))) {
      throw new Error("dist/ is not built: run `npm run build` (`npm test` builds first)")
    }
    const pack = await run(repo, "npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", project])
    expect(pack.code, pack.output).toBe(0)
    const [{ filename }] = JSON.parse(pack.output.slice(pack.output.indexOf("["))) as [{ readonly filename: string }]

    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "user-project",
        private: true,
        type: "module",
        dependencies: { "aws-ha-updater": `file:./${filename}`, effect: USER_EFFECT },
        // vitest's own declarations need the Node types once skipLibCheck is off.
        devDependencies: Object.fromEntries(
          ["@effect/vitest", "@types/node", "typescript", "vitest"].map((name) => [name, ours.devDependencies[name]])
        )
      })
    )
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true
        },
        include: ["src", "test"]
      })
    )
    mkdirSync(join(project, "src"))
    mkdirSync(join(project, "test"))
    library.forEach((code, i) => writeFileSync(join(project, "src", `library-${i + 1}.ts`), code))
    testing.forEach((code, i) => writeFileSync(join(project, "test", `testing-${i + 1}.test.ts`), code))

    // From the npm cache alone when it holds everything; otherwise from the registry, the cache still serving the rest.
    const flags = ["--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    const offline = await run(project, "npm", ["install", "--offline", ...flags])
    if (offline.code !== 0) {
      rmSync(join(project, "node_modules"), { recursive: true, force: true })
      rmSync(join(project, "package-lock.json"), { force: true })
      const online = await run(project, "npm", ["install", "--prefer-offline", ...flags])
      expect(online.code, online.output).toBe(0)
    }
  }, 300_000)

  afterAll(() => rmSync(project, { recursive: true, force: true }))

  it("takes the user's effect as its own: a single copy, the user's patch, every peer satisfied", async () => {
    expect(USER_EFFECT).not.toBe(ours.devDependencies["effect"])
    expect(copies(project, "effect")).toEqual([join("node_modules", "effect")])
    expect(copies(project, "@effect/platform")).toEqual([join("node_modules", "@effect", "platform")])
    const installed = JSON.parse(readFileSync(join(project, "node_modules/effect/package.json"), "utf8"))
    expect(installed.version).toBe(USER_EFFECT)
    const ls = await run(project, "npm", ["ls", "effect", "@effect/platform", "--all"])
    expect(ls.code, ls.output).toBe(0)
  })

  it("shows in the README's snippets what a user composes: typed causes, Config, a retry policy, a typed fault", () => {
    const all = library.join("\n")
    expect(all).toMatch(/Effect\.catchTags\(/)
    expect(all).toMatch(/Match\.tag\(/)
    expect(all).toMatch(/LiveAws\.layerConfig\(\{\s*region: Config\./)
    expect(all).toMatch(/Retry\.layer\(\{/)
    expect(all).toMatch(/Schedule\.whileInput\(\(e: Errors\.AwsError\)/)
    expect(testing.join("\n")).toMatch(/: FakeWorld\.Operation = "DescribeAutoScalingGroups"[\s\S]*\.failNext\(/)
  })

  it("type-checks the README's snippets with the user's tsc, strict and with skipLibCheck off", async () => {
    expect(library.length).toBeGreaterThan(0)
    expect(testing.length).toBeGreaterThan(0)
    const tsc = await run(project, process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"])
    expect(tsc.code, tsc.output).toBe(0)
  }, 180_000)

  it("runs the README's testing snippet with the user's vitest, and it passes", async () => {
    const vitest = await run(project, process.execPath, ["node_modules/vitest/vitest.mjs", "run"])
    expect(vitest.code, vitest.output).toBe(0)
    expect(vitest.output).toMatch(new RegExp(`Test Files\\s+${testing.length} passed`))
  }, 180_000)
})
