import * as Command from "@effect/cli/Command"
import { checkTemplate } from "./CheckTemplate.js"
import { demo } from "./Demo.js"
import { recover } from "./Recover.js"
import { resume } from "./Resume.js"
import { status } from "./Status.js"
import { updateAsgs } from "./UpdateAsgs.js"
import { updateStack } from "./UpdateStack.js"

export const root = Command.make("aws-ha-updater").pipe(
  Command.withDescription("Update CloudFormation stacks and roll their Auto Scaling groups without losing capacity."),
  Command.withSubcommands([updateStack, updateAsgs, checkTemplate, status, recover, resume, demo])
)
