import * as Command from "@effect/cli/Command"
import { demo } from "./Demo.js"
import { updateAsgs } from "./UpdateAsgs.js"

export const root = Command.make("aws-ha-updater").pipe(
  Command.withDescription("Update CloudFormation stacks and roll their Auto Scaling groups without losing capacity."),
  Command.withSubcommands([updateAsgs, demo])
)
