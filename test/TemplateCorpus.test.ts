import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { templateProblems } from "../src/template/TemplateCheck.js"

const folder = (name: string) => join("test", "templates", name)
const files = (name: string) => readdirSync(folder(name)).sort()
const read = (name: string, file: string) => readFileSync(join(folder(name), file), "utf8")

/** Each broken template with the one problem update-stack and check-template report for it. */
const BROKEN: Readonly<Record<string, string>> = {
  "bad-indentation.yaml": "Template format error: YAML not well-formed: All mapping items must start at the same column at line 6, column 1",
  "foreach-without-extensions.yaml": "Template format error: [/Resources/Fn::ForEach::Buckets] Every Resources object must contain a Type member.",
  "globals-without-sam.yaml": "Template format error: Invalid template property or properties [Globals]",
  "misspelt-section.yaml": "Template format error: Invalid template property or properties [Output]",
  "no-resources.yaml": "Template format error: At least one Resources member must be defined.",
  "parameter-type-typo.yaml": "Template format error: Unrecognized parameter type: Strnig",
  "parameters-list.yaml": "Template format error: Parameters must be an object",
  "resource-without-type.yaml": "Template format error: [/Resources/LogsPolicy] Every Resources object must contain a Type member.",
  "unclosed-object.json": "Template format error: JSON not well-formed: Flow map must end with a } at line 6, column 1",
  "unknown-tag.yaml": "Template format error: YAML not well-formed: Unresolved tag: !Concat at line 10, column 18"
}

describe("the template corpus", () => {
  it("has a dozen or so valid templates and an expectation for every broken one", () => {
    expect(files("valid").length).toBeGreaterThanOrEqual(10)
    expect(files("broken")).toEqual(Object.keys(BROKEN).sort())
  })

  for (const file of files("valid")) {
    it(`accepts valid/${file}`, () => {
      expect(templateProblems(read("valid", file))).toEqual([])
    })
  }

  for (const file of files("broken")) {
    it(`refuses broken/${file} with one line`, () => {
      expect(templateProblems(read("broken", file))).toEqual([BROKEN[file]])
    })
  }
})
