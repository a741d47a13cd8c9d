#!/usr/bin/env node
import { answeredFromCache } from "../cli/FastHelp.js"

if (!answeredFromCache("aws-ha-updater", process.argv.slice(2), import.meta.url)) {
  const [{ root, commands }, { runCli }] = await Promise.all([import("../cli/Root.js"), import("../cli/Main.js")])
  runCli(root, "aws-ha-updater", process.argv, commands)
}
