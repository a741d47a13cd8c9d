#!/usr/bin/env node
import { updateStack } from "../cli/UpdateStack.js"
import { runCli } from "../cli/Main.js"

runCli(updateStack, "update-stack", process.argv)
