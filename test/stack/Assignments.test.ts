import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Assignment, Assignments, KeyValue, ParameterName, parseAssignments } from "../../src/template/Assignments.js"
import { issueLine } from "../../src/services/Decode.js"

/** What a decode says is wrong, as the CLI words it. */
const problem = <A, I>(schema: Schema.Schema<A, I>, input: unknown) =>
  Either.match(ParseResult.decodeUnknownEither(schema)(input), { onLeft: (issue) => issueLine(issue, false), onRight: () => "decoded" })

describe("the KEY=VALUE Schemas", () => {
  it("decode a parameter argument into its name and the value after the first '=', and encode it back", () => {
    for (const [text, pair] of [
      ["AmiId=ami-1", { key: "AmiId", value: "ami-1" }],
      ["Query=a=b==c", { key: "Query", value: "a=b==c" }],
      ["Name=", { key: "Name", value: "" }]
    ] as const) {
      expect(Schema.decodeSync(Assignment)(text)).toEqual(pair)
      expect(Schema.encodeSync(Assignment)(pair)).toBe(text)
    }
  })

  it("say in one line what is wrong with a parameter argument", () => {
    expect(problem(Assignment, "Envdev")).toBe(`"Envdev" is not KEY=VALUE: parameters are given as Name=value`)
    expect(problem(Assignment, "=dev")).toBe(`"=dev" has no key before "=": parameters are given as Name=value`)
    expect(problem(Assignment, "my-key=1")).toBe(`"my-key" is not a parameter name: CloudFormation parameter names are letters and digits only`)
    expect(problem(Assignment, "Env dev=1")).toContain("is not a parameter name")
    expect(problem(Assignments, ["Env=dev", "Size=2", "Env=prod"])).toBe("parameter Env is given twice: give it once")
    expect(problem(Assignments, [])).toBe("decoded")
  })

  it("take a parameter name as letters and digits, nothing else", () => {
    expect(Schema.is(ParameterName)("Subnet2Id")).toBe(true)
    for (const bad of ["", "my-key", "a_b", "É", "a b"]) expect(Schema.is(ParameterName)(bad)).toBe(false)
  })

  it("KeyValue (tags) only splits: any key, the empty one too, is left to the tag checks", () => {
    expect(Schema.decodeSync(KeyValue)("=blue")).toEqual({ key: "", value: "blue" })
    expect(Schema.decodeSync(KeyValue)("aws:x=1=2")).toEqual({ key: "aws:x", value: "1=2" })
    expect(Schema.encodeSync(KeyValue)({ key: "team", value: "" })).toBe("team=")
    expect(problem(KeyValue, "team")).toBe(`"team" is not KEY=VALUE`)
  })

  it.effect("parseAssignments keeps the order given and fails with InvalidInput", () =>
    Effect.gen(function*() {
      const given = yield* parseAssignments(["B=2", "A=", "C=x=y"])
      expect([...given]).toEqual([["B", "2"], ["A", ""], ["C", "x=y"]])
      const failure = yield* Effect.flip(parseAssignments(["A=1", "=2"]))
      expect(failure).toMatchObject({ _tag: "InvalidInput", message: `"=2" has no key before "=": parameters are given as Name=value` })
    }))
})
