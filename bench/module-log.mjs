// `node --import ./bench/module-log.mjs …` appends the URL of every module the ESM loader resolves (dynamic imports
// included) to the file named by BENCH_MODULE_LOG: how the bench proves that --help loads no AWS SDK module.
import { appendFileSync } from "node:fs"
import { register } from "node:module"
import { isMainThread } from "node:worker_threads"

let log

export const initialize = (data) => {
  log = data.log
}

export const resolve = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context)
  appendFileSync(log, `${resolved.url}\n`)
  return resolved
}

// On the main thread: register this very file as the loader's hooks (they run on their own thread).
if (isMainThread) register(import.meta.url, { data: { log: process.env.BENCH_MODULE_LOG } })
