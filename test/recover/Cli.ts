import { makeRecover } from "../../src/cli/Recover.js"
import { makeResume } from "../../src/cli/Resume.js"
import { makeStatus } from "../../src/cli/Status.js"
import { makeUpdateAsgs } from "../../src/cli/UpdateAsgs.js"
import { fromContext, runCommand } from "../support/RunCommand.js"

const commands = {
  status: makeStatus(fromContext),
  recover: makeRecover(fromContext),
  resume: makeResume(fromContext),
  "update-asgs": makeUpdateAsgs(fromContext)
} as const

/** Runs `aws-ha-updater NAME ARGS` as the binary would: its exit code and what it printed. */
export const cli = (name: keyof typeof commands, args: ReadonlyArray<string>) =>
  runCommand(commands[name], name, [...args, "--region", "eu-west-1"])
