/** check-template: the local checks update-stack runs on a template before any AWS call, one file at a time. */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { decodeTemplate } from "./Template.js"

/** What is wrong with a template's text, as one line per problem; empty when update-stack would send it on. */
export const templateProblems = (body: string): ReadonlyArray<string> =>
  Either.match(decodeTemplate(body), { onLeft: (e) => [e.message], onRight: () => [] })

/** The problems of the template file at `path`, each as `path: message`; a file that cannot be read is one. */
export const checkTemplateFile = (path: string): Effect.Effect<ReadonlyArray<string>, never, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path, "utf8")).pipe(
    Effect.map(templateProblems),
    Effect.catchAll((e) => {
      if (e._tag === "SystemError" && e.reason === "NotFound") return Effect.succeed(["no such file"])
      if (e._tag === "SystemError" && e.reason === "PermissionDenied") return Effect.succeed(["cannot read it: permission denied"])
      return Effect.succeed([`cannot read it (${e._tag === "SystemError" ? e.description ?? e.reason : e.message})`])
    }),
    Effect.map((problems) => problems.map((p) => `${path}: ${p}`))
  )
