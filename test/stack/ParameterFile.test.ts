import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadParameterFile, ParameterFileContents } from "../../src/program/stack/ParameterFile.js"

const dir = mkdtempSync(join(tmpdir(), "parameter-file-"))
const file = (name: string, content: unknown) => {
  const path = join(dir, name)
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content))
  return path
}

/** The file's contents as plain arrays, or the one line that refuses it. */
const load = (name: string, content: unknown) =>
  loadParameterFile(file(name, content)).pipe(
    Effect.map((f) => ({ values: [...f.values], kept: [...f.kept], tags: [...f.tags] })),
    Effect.catchTag("InvalidInput", (e) => Effect.succeed(e.message)),
    Effect.provide(NodeContext.layer)
  )

describe("the parameter file Schema", () => {
  it("decodes each of the three shapes to the same contents, numbers and booleans as text", () => {
    const decode = Schema.decodeUnknownSync(ParameterFileContents)
    const plain = (c: Schema.Schema.Type<typeof ParameterFileContents>) => ({ values: [...c.values], kept: [...c.kept], tags: [...c.tags] })
    expect(plain(decode([{ ParameterKey: "A", ParameterValue: 1 }, { ParameterKey: "B", UsePreviousValue: true }, { ParameterKey: "C", ParameterValue: "x", UsePreviousValue: false }])))
      .toEqual({ values: [["A", "1"], ["C", "x"]], kept: ["B"], tags: [] })
    expect(plain(decode({ Parameters: { A: true }, Tags: { team: "red" }, StackPolicy: { Statement: [] } })))
      .toEqual({ values: [["A", "true"]], kept: [], tags: [["team", "red"]] })
    expect(plain(decode({ A: "x", B: 2.5 }))).toEqual({ values: [["A", "x"], ["B", "2.5"]], kept: [], tags: [] })
    expect(plain(decode({}))).toEqual({ values: [], kept: [], tags: [] })
  })

  it("encodes contents as the AWS CLI's list, which decodes back to them", () => {
    const contents = { values: new Map([["A", "1"]]), kept: new Set(["B"]), tags: new Map() }
    const encoded = Schema.encodeSync(ParameterFileContents)(contents)
    expect(encoded).toEqual([{ ParameterKey: "A", ParameterValue: "1" }, { ParameterKey: "B", UsePreviousValue: true }])
    expect(Schema.decodeUnknownSync(ParameterFileContents)(encoded)).toEqual(contents)
  })
})

describe("--parameters FILE refuses a malformed file in one line that names the file and what is wrong", () => {
  const cases: ReadonlyArray<readonly [string, string, unknown, string]> = [
    ["a number", "number.json", 42, "expected a list of {ParameterKey, ParameterValue}, a map of parameters, or {Parameters, Tags}"],
    ["null", "null.yaml", "~\n", "expected a list of {ParameterKey, ParameterValue}, a map of parameters, or {Parameters, Tags}"],
    ["a list of scalars", "scalars.json", [1], "[0]: expected {ParameterKey, ParameterValue} or {ParameterKey, UsePreviousValue: true}"],
    ["a list entry without a value", "novalue.json", [{ ParameterKey: "A" }], "[0]: parameter A has no ParameterValue (or UsePreviousValue: true to keep its value)"],
    [
      "a list entry with a value and UsePreviousValue",
      "both.json",
      [{ ParameterKey: "A", ParameterValue: "1", UsePreviousValue: true }],
      "[0]: give ParameterValue or UsePreviousValue: true, not both"
    ],
    [
      "a list entry with a key the AWS CLI does not take",
      "extra.json",
      [{ ParameterKey: "A", ParameterValue: "1", Value: "2" }],
      `[0].Value: is unexpected, expected: "ParameterKey" | "ParameterValue" | "UsePreviousValue"`
    ],
    [
      "a list entry whose UsePreviousValue is no boolean",
      "yes.json",
      [{ ParameterKey: "A", UsePreviousValue: "yes" }],
      `[0].UsePreviousValue: Expected boolean, actual "yes"`
    ],
    [
      "a list entry whose name is no parameter name",
      "listname.json",
      [{ ParameterKey: "my-key", ParameterValue: "1" }],
      `[0].ParameterKey: "my-key" is not a parameter name: CloudFormation parameter names are letters and digits only`
    ],
    [
      "a key given twice in the list",
      "twice.json",
      [{ ParameterKey: "A", ParameterValue: "1" }, { ParameterKey: "A", UsePreviousValue: true }],
      "parameter A is given twice"
    ],
    ["a map value that is a list", "listvalue.yaml", "A: [a, b]\n", "A: expected a string, a number or a boolean"],
    ["a map value that is empty", "null-value.yaml", "A:\n", "A: expected a string, a number or a boolean"],
    ["a map key that is no parameter name", "mapname.yaml", "my-key: 1\n", "my-key: not a parameter name: CloudFormation parameter names are letters and digits only"],
    ["a configuration parameter that is a map", "confvalue.json", { Parameters: { A: { B: 1 } } }, "Parameters.A: expected a string, a number or a boolean"],
    [
      "a configuration parameter name that is no parameter name",
      "confname.json",
      { Parameters: { "a.b": 1 }, Tags: {} },
      "Parameters.a.b: not a parameter name: CloudFormation parameter names are letters and digits only"
    ],
    ["configuration Tags that are a list", "conftags.json", { Parameters: {}, Tags: [{ Key: "a", Value: "b" }] }, "Tags: expected a map of tags"],
    ["configuration Parameters that are a list", "confparams.json", { Parameters: [{ ParameterKey: "A" }] }, "Parameters: expected a map of parameters"],
    ["a tag value that is a map", "tagvalue.json", { Tags: { team: { a: 1 } } }, "Tags.team: expected a string, a number or a boolean"],
    [
      "a map holding Parameters beside a parameter",
      "mixed.json",
      { Parameters: { A: "x" }, Env: "prod" },
      "Parameters: expected a string, a number or a boolean"
    ]
  ]
  for (const [name, fileName, content, line] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        expect(yield* load(fileName, content)).toBe(`--parameters ${join(dir, fileName)}: ${line}`)
      }))
  }
})
