#!/usr/bin/env node
import { root } from "../cli/Root.js"
import { runCli } from "../cli/Main.js"

runCli(root, "aws-ha-updater", process.argv)
