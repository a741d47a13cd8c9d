import { Ajv } from "ajv"
import { expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { schema } from "../../src/cli/OutputSchema.js"
import { runCommand } from "./RunCommand.js"

/** The JSON Schema as `aws-ha-updater schema` prints it, compiled by a validator that knows nothing of Effect. */
export const printedValidator = Effect.gen(function*() {
  const r = yield* runCommand(schema, "aws-ha-updater", [])
  expect(Exit.isSuccess(r.exit)).toBe(true)
  return new Ajv({ strict: true, allErrors: true }).compile(JSON.parse(r.out.join("\n")))
})

type Validate = Effect.Effect.Success<typeof printedValidator>

/** Every line valid, or the line and ajv's complaint in the failure. */
export const expectValid = (validate: Validate, lines: ReadonlyArray<string>) => {
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) {
    expect({ line, errors: validate(JSON.parse(line)) ? null : validate.errors }).toEqual({ line, errors: null })
    expect(line).not.toContain("did not match the output schema")
  }
  return lines.map((l) => JSON.parse(l) as Record<string, any>)
}

