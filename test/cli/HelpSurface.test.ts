import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Primitive from "@effect/cli/Primitive"
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import { helpStyle } from "../../src/cli/Color.js"
import { usageLines } from "../../src/cli/Help.js"
import { root } from "../../src/cli/Root.js"

// The help as a pipe receives it: from the built bins, stdout and stderr piped (never a TTY).
const run = (argv: ReadonlyArray<string>, env: Record<string, string>) => {
  const [bin, ...args] = argv
  const base = { ...process.env }
  delete base["NO_COLOR"]
  delete base["AWS_HA_UPDATER_HELP_STYLE"]
  delete base["AWS_HA_UPDATER_NO_HELP_CACHE"]
  return Effect.async<{ argv: ReadonlyArray<string>; code: number; stdout: string; stderr: string }>((resume) => {
    execFile(process.execPath, [`dist/bin/${bin}.js`, ...args], { env: { ...base, ...env } }, (error, stdout, stderr) =>
      resume(Effect.succeed({ argv, code: error === null ? 0 : Number(error.code), stdout, stderr })))
  })
}

// Two at a time: the machine has two cores.
const runAll = (argvs: ReadonlyArray<ReadonlyArray<string>>, env: Record<string, string>) =>
  Effect.forEach(argvs, (argv) => run(argv, env), { concurrency: 2 })

const subcommands = [...HashMap.keys(Command.getSubcommands(root))].sort()
const helps: ReadonlyArray<ReadonlyArray<string>> = [
  ["aws-ha-updater"],
  ["aws-ha-updater", "--help"],
  ...subcommands.map((sub) => ["aws-ha-updater", sub, "--help"]),
  ["update-asgs", "--help"],
  ["update-stack", "--help"]
]
const environments: Record<string, Record<string, string>> = {
  "from the cache": {},
  "from the cache under NO_COLOR": { NO_COLOR: "1" },
  "from the real CLI": { AWS_HA_UPDATER_NO_HELP_CACHE: "1" },
  "from the real CLI under NO_COLOR": { AWS_HA_UPDATER_NO_HELP_CACHE: "1", NO_COLOR: "1" }
}

// What @effect/cli says of every option of a primitive type, whatever the option is for.
const genericLines = [
  Primitive.getHelp(Primitive.text),
  Primitive.getHelp(Primitive.integer),
  Primitive.getHelp(Primitive.float),
  Primitive.getHelp(Primitive.boolean(Option.none())),
  Primitive.getHelp(Primitive.date)
].map((span) => HelpDoc.toAnsiText(HelpDoc.p(span)).trim())

const usageOf = (help: string) => help.split("\n").filter((line) => line.startsWith("$ "))

describe("--help off a terminal", () => {
  for (const [where, env] of Object.entries(environments)) {
    it.effect(`is plain text with only our descriptions and man-page usage, ${where}`, () => Effect.gen(function*() {
      const results = yield* runAll(helps, env)
      for (const { argv, code, stdout, stderr } of results) {
        const what = argv.join(" ")
        expect(code, what).toBe(0)
        expect(stderr, what).toBe("")
        expect(stdout, what).toContain("USAGE")
        expect(stdout, what).not.toContain("\u001b[")
        for (const line of genericLines) expect(stdout, what).not.toContain(line)
        expect(stdout, what).not.toContain("One of the following:")
        const usage = usageOf(stdout)
        expect(usage.length, what).toBeGreaterThan(0)
        // Every option of ours is optional: none is left outside brackets.
        for (const line of usage) expect(line.replace(/\[[^\]]*\]/g, ""), what).not.toMatch(/ --?\w/)
      }
      const updateAsgs = usageOf(results.find((r) => r.argv.join(" ") === "update-asgs --help")!.stdout)
      expect(updateAsgs).toHaveLength(1)
      for (const part of ["[--asg NAME]...", "[--alarm NAME]...", "[--region REGION]", "[--output text|json]", "[--replace-all]", "[--healthy-timeout SECONDS]"]) {
        expect(updateAsgs[0]).toContain(` ${part}`)
      }
      expect(updateAsgs[0]).toMatch(/^\$ update-asgs .* <STACK_NAME>$/)
      const viaApp = usageOf(results.find((r) => r.argv.join(" ") === "aws-ha-updater update-stack --help")!.stdout)
      expect(viaApp[0]).toMatch(/^\$ aws-ha-updater update-stack .*\[--lenient-look-back SECONDS\].* <STACK_NAME> \[<KEY=VALUE>\]\.\.\.$/)
      expect(usageOf(results.find((r) => r.argv.join(" ") === "aws-ha-updater check-template --help")!.stdout))
        .toEqual(["$ aws-ha-updater check-template <FILE>..."])
      expect(usageOf(results.find((r) => r.argv.join(" ") === "aws-ha-updater schema --help")!.stdout)).toEqual(["$ aws-ha-updater schema"])
    }), 120_000)
  }

  it.effect("lists every command of aws-ha-updater under its usage line", () => Effect.gen(function*() {
    const { stdout } = yield* run(["aws-ha-updater", "--help"], {})
    const commands = stdout.slice(stdout.indexOf("\nCOMMANDS\n"))
    for (const sub of subcommands) expect(commands).toMatch(new RegExp(`\\n${sub}( |\\n)`))
    expect(commands).toContain("\nupdate-asgs [--region REGION]")
  }))

  it.effect("is what the README shows for each command", () => Effect.gen(function*() {
    // The README wraps a usage line over several lines; whitespace aside, it is the same line.
    const readme = readFileSync("README.md", "utf8").replace(/\s+/g, " ")
    const documented = [
      ["update-stack", "--help"],
      ["update-asgs", "--help"],
      ["aws-ha-updater", "status", "--help"],
      ["aws-ha-updater", "recover", "--help"],
      ["aws-ha-updater", "resume", "--help"],
      ["aws-ha-updater", "schema", "--help"]
    ]
    for (const { argv, stdout } of yield* runAll(documented, {})) {
      const [line] = usageOf(stdout)
      expect(readme, argv.join(" ")).toContain(line!.slice(2))
    }
  }))

  it.effect("writes what is wrong with an invocation as plain text, exit 2", () => Effect.gen(function*() {
    const wrong = [
      ["update-asgs"],
      ["update-asgs", "shop", "--output", "xml"],
      ["update-asgs", "shop", "--bake", "soon"],
      ["update-asgs", "shop", "extra"],
      ["update-stack", "shop", "--no-such-flag"],
      ["aws-ha-updater", "no-such-command"],
      ["aws-ha-updater", "status"]
    ]
    // Never answered from the cache: the real CLI's parser speaks.
    for (const env of [{}, { NO_COLOR: "1" }]) {
      const results = yield* runAll(wrong, env)
      for (const { argv, code, stdout, stderr } of results) {
        const what = argv.join(" ")
        expect(code, what).toBe(2)
        expect(stderr.trim(), what).not.toBe("")
        expect(stderr + stdout, what).not.toContain("\u001b[")
      }
    }
  }), 120_000)
})

describe("usage lines", () => {
  const line = (options: Options.Options<unknown>) =>
    usageLines(Options.getUsage(options)).map((span) => HelpDoc.toAnsiText(HelpDoc.p(span)).trim())

  it("bracket what may be left out and put the repetition after the brackets", () => {
    const name = Options.text("asg").pipe(Options.withPseudoName("NAME"))
    expect(line(name.pipe(Options.repeated, Options.withDefault([])))).toEqual(["[--asg NAME]..."])
    expect(line(name.pipe(Options.atLeast(1)))).toEqual(["--asg NAME..."])
    expect(line(name.pipe(Options.optional))).toEqual(["[--asg NAME]"])
    expect(line(name)).toEqual(["--asg NAME"])
    expect(line(Options.boolean("force"))).toEqual(["[--force]"])
    expect(line(Options.choice("output", ["text", "json"]).pipe(Options.withDefault("text")))).toEqual(["[--output text|json]"])
    expect(line(name.pipe(Options.withAlias("asg_name"), Options.optional))).toEqual(["[--asg NAME]"])
  })
})

describe("the help's style", () => {
  it("is coloured only on a terminal without NO_COLOR, unless the build asks for one", () => {
    expect(helpStyle(true, {})).toBe("ansi")
    expect(helpStyle(true, { NO_COLOR: "" })).toBe("ansi")
    expect(helpStyle(true, { NO_COLOR: "1" })).toBe("plain")
    expect(helpStyle(true, { NO_COLOR: "false" })).toBe("plain")
    expect(helpStyle(false, {})).toBe("plain")
    expect(helpStyle(undefined, {})).toBe("plain")
    expect(helpStyle(false, { AWS_HA_UPDATER_HELP_STYLE: "ansi" })).toBe("ansi")
    expect(helpStyle(true, { AWS_HA_UPDATER_HELP_STYLE: "plain" })).toBe("plain")
  })
})
