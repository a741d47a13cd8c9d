#!/usr/bin/env node
import { answeredFromCache } from "../cli/FastHelp.js"

if (!answeredFromCache("update-asgs", process.argv.slice(2), import.meta.url)) {
  const [{ updateAsgs }, { runCli }] = await Promise.all([import("../cli/UpdateAsgs.js"), import("../cli/Main.js")])
  runCli(updateAsgs, "update-asgs", process.argv)
}
