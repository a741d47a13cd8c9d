#!/usr/bin/env node
import { updateAsgs } from "../cli/UpdateAsgs.js"
import { runCli } from "../cli/Main.js"

runCli(updateAsgs, "update-asgs", process.argv)
