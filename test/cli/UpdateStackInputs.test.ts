import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { addShop, mutating, SHOP, shopState, shopTemplate, templateFile, updateStackCli } from "../support/Stacks.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const json = (name: string, content: unknown) => () => templateFile(name, JSON.stringify(content))

describe("update-stack decodes its arguments, flags and parameter file before any call: exit 2 and the one line", () => {
  const cases: ReadonlyArray<readonly [string, () => ReadonlyArray<string>, string]> = [
    ["an argument without '='", () => [SHOP, "AmiId"], `"AmiId" is not KEY=VALUE: parameters are given as Name=value`],
    ["an argument without a key", () => [SHOP, "=ami-2"], `"=ami-2" has no key before "=": parameters are given as Name=value`],
    ["a key that is no parameter name", () => [SHOP, "ami-id=ami-2"], `"ami-id" is not a parameter name: CloudFormation parameter names are letters and digits only`],
    ["a key given twice", () => [SHOP, "AmiId=ami-2", "Env=dev", "AmiId=ami-3"], "parameter AmiId is given twice: give it once"],
    ["an empty value, sent as the empty string and held to the constraints", () => [SHOP, "Env="], `parameter Env: "" is not one of its AllowedValues (dev, prod)`],
    ["a tag without '='", () => [SHOP, "--tags", "team"], `--tags "team" is not KEY=VALUE`],
    ["a parameter file that is a number", () => [SHOP, "--parameters", json("n.json", 7)()], "n.json: expected a list of {ParameterKey, ParameterValue}, a map of parameters, or {Parameters, Tags}"],
    [
      "a parameter file entry with a value and UsePreviousValue",
      () => [SHOP, "--parameters", json("both.json", [{ ParameterKey: "AmiId", ParameterValue: "ami-2", UsePreviousValue: true }])()],
      "both.json: [0]: give ParameterValue or UsePreviousValue: true, not both"
    ],
    ["a template configuration with Tags as a list", () => [SHOP, "--parameters", json("tags.json", { Tags: [] })()], "tags.json: Tags: expected a map of tags"],
    ["--parallel 0", () => [SHOP, "--parallel", "0"], `--parallel must be a positive whole number or "all", got "0"`],
    ["--parallel some", () => [SHOP, "--parallel", "some"], `--parallel must be a positive whole number or "all", got "some"`],
    ["--lenient-look-back -1", () => [SHOP, "--lenient-look-back", "-1"], "--lenient-look-back must be zero or a positive number of seconds, got -1"],
    ["--warmup-seconds 0", () => [SHOP, "--warmup-seconds", "0"], "--warmup-seconds must be a positive number of seconds, got 0"],
    ["--max-surge 0%", () => [SHOP, "--max-surge", "0%"], `--max-surge must be a positive whole number of capacity units or a percentage from 1% to 100%, got "0%"`]
  ]
  for (const [name, args, line] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        yield* addShop
        const r = yield* updateStackCli(args())
        expect(r.code).toBe(2)
        expect(r.err).toHaveLength(1)
        // A file is named by its whole path, in a temporary directory.
        expect(r.err.map((l) => l.replace(/--parameters \/\S*\//, "--parameters DIR/"))).toEqual([
          args().includes("--parameters") ? `error: --parameters DIR/${line}` : `error: ${line}`
        ])
        expect(yield* mutating).toEqual([])
      }).pipe(Effect.provide(world)))
  }
})

describe("update-stack takes what decodes", () => {
  it.effect("KEY= gives the parameter the empty string, never its previous value", () =>
    Effect.gen(function*() {
      yield* addShop
      const template = templateFile("note.yaml", shopTemplate.replace("Parameters:\n", "Parameters:\n  Note:\n    Type: String\n    Default: none\n"))
      expect((yield* updateStackCli([SHOP, "--template", template, "--no-asgs", "Note=first"])).code).toBe(0)
      const r = yield* updateStackCli([SHOP, "--template", template, "--no-asgs", "Note=", "--parallel", "all", "--lenient-look-back", "0"])
      expect(r.code).toBe(0)
      expect((yield* shopState).stack.parameters).toEqual({ AmiId: "ami-1", DbPassword: "hunter2", Env: "prod", Note: "" })
    }).pipe(Effect.provide(world)))
})
