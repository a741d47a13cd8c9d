import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { ExitCode } from "./ExitCodes.js"
import { ExitStatus } from "./Run.js"

const files = Args.text({ name: "FILE" }).pipe(
  Args.withDescription("a JSON or YAML CloudFormation template"),
  Args.atLeast(1)
)

export const checkTemplate = Command.make("check-template", { files }, (args) =>
  Effect.gen(function*() {
    // Offline: only the template checks are loaded, never an AWS layer or the programs that need one.
    const { checkTemplateFile } = yield* Effect.promise(() => import("../template/TemplateCheck.js"))
    const problems = (yield* Effect.forEach(args.files, checkTemplateFile)).flat()
    for (const line of problems) yield* Console.error(line)
    if (problems.length > 0) yield* Ref.set(yield* ExitStatus, ExitCode.invalid)
  })
).pipe(
  Command.withDescription(
    "Run update-stack's local template checks on each FILE, offline (no AWS account, credentials or network): it parses " +
      "(YAML short tags included) and checks the template's shape and parameter declarations as CloudFormation would, " +
      "leaving to CloudFormation what a declared transform may reshape. Prints one line per problem on stderr, as " +
      "FILE: message, and nothing for a file that passes. Exit codes: 0 every file passes, 2 a file has a problem or cannot be read."
  )
)
