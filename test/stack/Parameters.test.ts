import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { parseAssignments } from "../../src/template/Assignments.js"
import { checkParameters, parameterInputs, parameterViolation, specsOfTemplate, specsOfValidated } from "../../src/template/Parameters.js"
import { decodeTemplate } from "../../src/template/Template.js"
import * as Either from "effect/Either"

const template = (parameters: Record<string, unknown>) =>
  Either.getOrThrow(decodeTemplate(JSON.stringify({ Parameters: parameters, Resources: { Q: { Type: "AWS::SQS::Queue" } } })))

// Read in each test (not when the file loads), so that a change to the reading is seen by the tests that use it.
const specs = () => specsOfTemplate(template({
  Env: { Type: "String", AllowedValues: ["dev", "prod"], Default: "dev" },
  Name: { Type: "String", AllowedPattern: "[a-z][a-z0-9-]*", MinLength: 3, MaxLength: 12 },
  Size: { Type: "Number", MinValue: 1, MaxValue: 10, Default: 2 },
  Secret: { Type: "String", NoEcho: true, MinLength: 8, Default: "changeme-please" },
  Zones: { Type: "CommaDelimitedList", AllowedValues: ["a", "b", "c"], Default: "a" },
  Bucket: { Type: "String", AllowedPattern: "[a-z]+", ConstraintDescription: "lower-case letters only", Default: "x" }
}))

const given = (pairs: Record<string, string>) => new Map(Object.entries(pairs))
const message = <E extends { readonly message: string }>(e: Effect.Effect<unknown, E>) => Effect.map(Effect.flip(e), (x) => x.message)

describe("KEY=VALUE parameters", () => {
  it.effect("split on the first '=' so values may contain '='", () =>
    Effect.gen(function*() {
      const parsed = yield* parseAssignments(["Query=a=b==c", "Empty="])
      expect([...parsed.entries()]).toEqual([["Query", "a=b==c"], ["Empty", ""]])
    }))

  it.effect("a repeated key is refused, naming it", () =>
    Effect.gen(function*() {
      expect(yield* message(parseAssignments(["Env=dev", "Env=prod"]))).toBe("parameter Env is given twice: give it once")
    }))

  it.effect("an argument without '=' or without a key is refused", () =>
    Effect.gen(function*() {
      expect(yield* message(parseAssignments(["Envdev"]))).toContain(`"Envdev" is not KEY=VALUE`)
      expect(yield* message(parseAssignments(["=dev"]))).toContain("has no key")
      expect(yield* message(parseAssignments(["my-key=1"]))).toContain("letters and digits only")
    }))
})

describe("local parameter checks", () => {
  it.effect("accept values that hold every constraint", () =>
    Effect.gen(function*() {
      yield* checkParameters(specs(), given({ Env: "prod", Name: "web-1", Size: "10", Zones: "a, c", Secret: "s3cret-long" }), new Set())
    }))

  it.effect("refuse a key the template does not declare, listing the declared ones", () =>
    Effect.gen(function*() {
      const m = yield* message(checkParameters(specs(), given({ Name: "web", Colour: "red" }), new Set()))
      expect(m).toBe("the template has no parameter Colour (its parameters: Env, Name, Size, Secret, Zones, Bucket)")
    }))

  it.effect("refuse a parameter without Default that has no value, unless the stack has a previous one", () =>
    Effect.gen(function*() {
      expect(yield* message(checkParameters(specs(), given({}), new Set()))).toBe("parameter Name must have a value: give it as KEY=VALUE")
      yield* checkParameters(specs(), given({}), new Set(["Name"]))
    }))

  it.effect("AllowedPattern must match the whole value", () =>
    Effect.gen(function*() {
      expect(yield* message(checkParameters(specs(), given({ Name: "Web-1" }), new Set())))
        .toBe(`parameter Name: "Web-1" does not match its AllowedPattern [a-z][a-z0-9-]*`)
      expect(yield* message(checkParameters(specs(), given({ Name: "web-1!" }), new Set()))).toContain("AllowedPattern")
    }))

  it.effect("show the template's ConstraintDescription with the broken constraint", () =>
    Effect.gen(function*() {
      expect(yield* message(checkParameters(specs(), given({ Name: "web", Bucket: "B" }), new Set())))
        .toBe(`parameter Bucket: "B" does not match its AllowedPattern [a-z]+ — lower-case letters only`)
    }))

  it.effect("a key or a value read from a parameter file names the file; one given as KEY=VALUE does not", () =>
    Effect.gen(function*() {
      const origins = new Map([["Colour", "/etc/shop/params.yaml"], ["Name", "/etc/shop/params.yaml"]])
      expect(yield* message(checkParameters(specs(), given({ Name: "web", Colour: "red", Shade: "dark" }), new Set(), origins)))
        .toBe("the template has no parameter Colour (from /etc/shop/params.yaml), Shade (its parameters: Env, Name, Size, Secret, Zones, Bucket)")
      expect(yield* message(checkParameters(specs(), given({ Name: "Web" }), new Set(), origins)))
        .toBe(`parameter Name (from /etc/shop/params.yaml): "Web" does not match its AllowedPattern [a-z][a-z0-9-]*`)
      expect(yield* message(checkParameters(specs(), given({ Name: "web", Size: "11" }), new Set(), origins)))
        .toBe(`parameter Size: "11" is above its MaxValue 10`)
    }))

  it.effect("AllowedValues, lengths and numeric bounds, list items one by one", () =>
    Effect.gen(function*() {
      const check = (pairs: Record<string, string>) => message(checkParameters(specs(), given({ Name: "web", ...pairs }), new Set()))
      expect(yield* check({ Env: "staging" })).toBe(`parameter Env: "staging" is not one of its AllowedValues (dev, prod)`)
      expect(yield* check({ Name: "ab" })).toBe(`parameter Name: "ab" is shorter than its MinLength 3`)
      expect(yield* check({ Name: "abcdefghijklm" })).toBe(`parameter Name: "abcdefghijklm" is longer than its MaxLength 12`)
      expect(yield* check({ Size: "0" })).toBe(`parameter Size: "0" is below its MinValue 1`)
      expect(yield* check({ Size: "11" })).toBe(`parameter Size: "11" is above its MaxValue 10`)
      expect(yield* check({ Size: "two" })).toBe(`parameter Size: "two" is not a number`)
      expect(yield* check({ Zones: "a,d" })).toBe(`parameter Zones: "d" is not one of its AllowedValues (a, b, c)`)
    }))

  it.effect("never echo a NoEcho value in a message", () =>
    Effect.gen(function*() {
      const m = yield* message(checkParameters(specs(), given({ Name: "web", Secret: "short" }), new Set()))
      expect(m).toBe("parameter Secret: (NoEcho value) is shorter than its MinLength 8")
      expect(m).not.toContain("short\"")
    }))
})

describe("parameters sent", () => {
  it("given values as values, the others the stack has as UsePreviousValue, new ones left to their Default", () => {
    expect(parameterInputs(["Env", "Name", "Secret", "Size"], given({ Name: "web" }), new Set(["Env", "Name", "Secret"]))).toEqual([
      { key: "Env", usePreviousValue: true },
      { key: "Name", value: "web" },
      { key: "Secret", usePreviousValue: true }
    ])
  })
})

describe("an empty value", () => {
  it.effect("KEY= is sent as the empty string, never turned into UsePreviousValue", () =>
    Effect.gen(function*() {
      const parsed = yield* parseAssignments(["Name=", "Env=dev"])
      expect(parameterInputs(["Env", "Name", "Secret"], parsed, new Set(["Env", "Name", "Secret"]))).toEqual([
        { key: "Env", value: "dev" },
        { key: "Name", value: "" },
        { key: "Secret", usePreviousValue: true }
      ])
    }))
})

describe("the edges of the local checks", () => {
  const spec = (declaration: Record<string, unknown>) => ({ key: "P", declaration: { Type: "String", ...declaration } as never })

  it("bounds and lengths are inclusive", () => {
    expect(parameterViolation(spec({ Type: "Number", MinValue: 1, MaxValue: 10 }), "1")).toBeUndefined()
    expect(parameterViolation(spec({ Type: "Number", MinValue: 1, MaxValue: 10 }), "10")).toBeUndefined()
    expect(parameterViolation(spec({ MinLength: 3, MaxLength: 12 }), "abc")).toBeUndefined()
    expect(parameterViolation(spec({ MinLength: 3, MaxLength: 12 }), "abcdefghijkl")).toBeUndefined()
  })

  it("a number is finite and not blank, in every item of a List<Number>", () => {
    expect(parameterViolation(spec({ Type: "Number" }), "")).toBe(`"" is not a number`)
    // Blank is not zero, though Number(" ") is.
    expect(parameterViolation(spec({ Type: "Number" }), " ")).toBe(`" " is not a number`)
    expect(parameterViolation(spec({ Type: "Number" }), "Infinity")).toBe(`"Infinity" is not a number`)
    expect(parameterViolation(spec({ Type: "List<Number>" }), "1, 2,x")).toBe(`"x" is not a number`)
    expect(parameterViolation(spec({ Type: "List<Number>" }), "1, 2")).toBeUndefined()
  })

  it("a list's whole value is not held to the pattern or lengths, each item is held to the allowed values", () => {
    expect(parameterViolation(spec({ Type: "CommaDelimitedList", AllowedPattern: "[a-z]+", MaxLength: 2 }), "abc,def")).toBeUndefined()
    expect(parameterViolation(spec({ Type: "List<AWS::EC2::Subnet::Id>", AllowedValues: ["s-1"] }), "s-1,s-2")).toContain(`"s-2"`)
  })

  it("an SSM parameter's value is a name CloudFormation resolves, and a pattern JavaScript cannot compile is left to CloudFormation", () => {
    expect(parameterViolation(spec({ Type: "AWS::SSM::Parameter::Value<String>", AllowedValues: ["x"], MinLength: 50 }), "/ami/latest")).toBeUndefined()
    expect(parameterViolation(spec({ AllowedPattern: "(?<!x)[" }), "anything")).toBeUndefined()
  })

  it.effect("lists every unknown key and every missing value, and says when a template has no parameter", () =>
    Effect.gen(function*() {
      const none = specsOfTemplate(Either.getOrThrow(decodeTemplate(JSON.stringify({ Resources: { Q: { Type: "AWS::SQS::Queue" } } }))))
      expect(none).toEqual([])
      expect(yield* message(checkParameters(none, given({ A: "1", B: "2" }), new Set()))).toBe("the template has no parameter A, B (its parameters: none)")
      const two = [spec({}), { ...spec({}), key: "Q" }]
      expect(yield* message(checkParameters(two, given({}), new Set()))).toBe("parameter P, Q must have a value: give it as KEY=VALUE")
    }))

  it("from ValidateTemplate: names, NoEcho and defaults only", () => {
    // No Default key at all where there is none (not one that is undefined).
    expect(specsOfValidated({ parameters: [{ key: "A", noEcho: true, defaultValue: "x" }, { key: "B", noEcho: false }] } as never)).toStrictEqual([
      { key: "A", declaration: { Type: "String", NoEcho: true, Default: "x" } },
      { key: "B", declaration: { Type: "String", NoEcho: false } }
    ])
  })
})
