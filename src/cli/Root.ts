import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { checkTemplate } from "./CheckTemplate.js"
import { demo } from "./Demo.js"
import { cliConfig, printHelp } from "./Help.js"
import { VERSION } from "./Main.js"
import { schema } from "./OutputSchema.js"
import { recover } from "./Recover.js"
import { resume } from "./Resume.js"
import { status } from "./Status.js"
import { updateAsgs } from "./UpdateAsgs.js"
import { updateStack } from "./UpdateStack.js"

/** In the order the help lists them. */
export const commands = [updateStack, updateAsgs, checkTemplate, status, recover, resume, schema, demo] as const

// Without a command: the help, as --help writes it.
const showHelp = (): Effect.Effect<void> =>
  Effect.suspend(() =>
    printHelp({ name: "aws-ha-updater", version: VERSION, commands }, Command.getUsage(root), Command.getHelp(root, cliConfig))
  )

export const root = Command.make("aws-ha-updater", {}, showHelp).pipe(
  Command.withDescription("Update CloudFormation stacks and roll their Auto Scaling groups without losing capacity."),
  Command.withSubcommands(commands)
)
