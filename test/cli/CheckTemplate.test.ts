import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { binPath } from "../support/cli.js"

const valid = readdirSync("test/templates/valid").sort().map((f) => join("test/templates/valid", f))

/** The built binary with no AWS environment at all: no AWS_* variables, and a HOME without ~/.aws. */
const checkTemplate = (files: ReadonlyArray<string>, nodeArgs: ReadonlyArray<string> = [], extra: Record<string, string> = {}) => {
  const env = { PATH: process.env["PATH"] ?? "", HOME: mkdtempSync(join(tmpdir(), "check-template-home-")), ...extra }
  const argv = [...nodeArgs, binPath("aws-ha-updater"), "check-template", ...files]
  const r = spawnSync(process.execPath, argv, { env, encoding: "utf8", timeout: 30_000 })
  return { code: r.status, out: r.stdout, err: r.stderr.split("\n").filter((l) => l.length > 0) }
}

describe("aws-ha-updater check-template (the built binary, offline)", () => {
  it("passes every valid template of the corpus silently with exit 0", () => {
    const r = checkTemplate(valid)
    expect(r.err).toEqual([])
    expect(r.out).toBe("")
    expect(r.code).toBe(0)
  })

  it("prints one FILE: message line for the broken file and exits 2, the valid one beside it passing", () => {
    const r = checkTemplate(["test/templates/broken/globals-without-sam.yaml", valid[0]!])
    expect(r.err).toEqual([
      "test/templates/broken/globals-without-sam.yaml: Template format error: Invalid template property or properties [Globals]"
    ])
    expect(r.code).toBe(2)
  })

  it("loads no AWS SDK module", () => {
    const log = join(mkdtempSync(join(tmpdir(), "check-template-modules-")), "modules.log")
    const r = checkTemplate([valid[0]!], ["--import", "./bench/module-log.mjs"], { BENCH_MODULE_LOG: log })
    expect(r.code).toBe(0)
    const modules = readFileSync(log, "utf8").split("\n")
    expect(modules.some((m) => m.includes("TemplateCheck"))).toBe(true)
    expect(modules.filter((m) => /@aws-sdk|@smithy/.test(m))).toEqual([])
  })

  it("reports a file it cannot find as a problem of that file", () => {
    const r = checkTemplate(["test/templates/valid/no-such-template.yaml"])
    expect(r.err).toEqual(["test/templates/valid/no-such-template.yaml: no such file"])
    expect(r.code).toBe(2)
  })
})
