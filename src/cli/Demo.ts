import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Opt from "./CommonOptions.js"

export const demo = Command.make("demo", { output: Opt.output }, (args) =>
  Effect.flatMap(Effect.promise(() => import("./DemoRun.js")), (m) => m.runDemo(args.output))
).pipe(Command.withDescription("Update a simulated stack and roll its groups end to end on a real clock, with no AWS account."))
