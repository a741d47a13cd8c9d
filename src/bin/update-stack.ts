#!/usr/bin/env node
import { answeredFromCache } from "../cli/FastHelp.js"

if (!answeredFromCache("update-stack", process.argv.slice(2), import.meta.url)) {
  const [{ updateStack }, { runCli }] = await Promise.all([import("../cli/UpdateStack.js"), import("../cli/Main.js")])
  runCli(updateStack, "update-stack", process.argv)
}
