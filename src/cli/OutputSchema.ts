import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/** The JSON Schema of one `--output json` line, from the same Schema the lines are encoded with. */
export const outputSchemaDocument = Effect.promise(() => Promise.all([import("effect/JSONSchema"), import("../program/Events.js")])).pipe(
  Effect.map(([JSONSchema, { OutputLine }]) => JSONSchema.make(OutputLine))
)

export const schema = Command.make("schema", {}, () =>
  Effect.flatMap(outputSchemaDocument, (document) => Console.log(JSON.stringify(document, null, 2)))
).pipe(
  Command.withDescription(
    "Print the JSON Schema (draft-07) of one line of --output json: every event, the summary of each command, status's " +
      "line and the error line. Offline; a CI pipeline can validate what it parses against it. Exit code: 0."
  )
)
