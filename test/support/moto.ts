/**
 * Vitest globalSetup for the e2e project: gives the tests a moto_server (the AWS emulator) at `inject("motoUrl")`.
 * MOTO_URL reuses a running server; otherwise one is started on a free loopback port and stopped at teardown.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { createServer } from "node:net"
import { delimiter, join } from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    motoUrl: string
  }
}

/** Region and dummy credentials the emulator is used with; moto accepts any keys. */
export const motoRegion = "us-east-1"
export const motoCredentials = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_SESSION_TOKEN: "testing",
  AWS_REGION: motoRegion,
  AWS_DEFAULT_REGION: motoRegion,
  // Never ask the instance metadata endpoint for credentials, and keep the SDK's Node 20 notice out of test output.
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
} as const

const startTimeoutMs = 30_000

/** Forgets every resource of every service, so that each test file starts from an empty account. */
export const resetMoto = async (url: string): Promise<void> => {
  const response = await fetch(new URL("/moto-api/reset", url), { method: "POST" })
  if (!response.ok) throw new Error(`moto reset at ${url} answered HTTP ${response.status}`)
}

const findOnPath = (command: string): string | undefined => {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      continue
    }
  }
  return undefined
}

/** Binds port 0 on loopback and gives the port back: the kernel's choice is free at that moment. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not find a free port"))))
    })
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const answers = async (url: string): Promise<boolean> => {
  try {
    const response = await fetch(new URL("/moto-api/", url), { signal: AbortSignal.timeout(2_000) })
    await response.arrayBuffer()
    return response.ok
  } catch {
    return false
  }
}

const waitUntilReady = async (url: string, died: () => boolean, output: () => string): Promise<void> => {
  const deadline = Date.now() + startTimeoutMs
  while (Date.now() < deadline) {
    if (died()) throw new Error(`moto_server stopped before answering:\n${output()}`)
    if (await answers(url)) return
    await sleep(200)
  }
  throw new Error(`moto at ${url} did not answer GET /moto-api/ within ${startTimeoutMs / 1000} s:\n${output()}`)
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

const stop = async (child: ChildProcess): Promise<void> => {
  if (hasExited(child) || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.kill("SIGTERM")
  const gone = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])
  if (!gone) {
    child.kill("SIGKILL")
    await exited
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env["MOTO_URL"]
  if (external !== undefined && external !== "") {
    await waitUntilReady(external, () => false, () => "(MOTO_URL was given; no server was started)")
    project.provide("motoUrl", external)
    return undefined
  }

  const executable = findOnPath("moto_server")
  if (executable === undefined) {
    throw new Error(
      "moto_server is not on PATH: the e2e tests need the AWS emulator. Install it with " +
        "`pip install 'moto[server]'`, or point MOTO_URL at a running server."
    )
  }

  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // Loopback only: the emulator must never be reachable from outside this machine.
  const child = spawn(executable, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...motoCredentials }
  })
  let stderr = ""
  let failed = false
  child.once("error", (error) => {
    failed = true
    stderr += `\n${error.message}`
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    // Only the tail matters for a start-up failure; moto logs every request here.
    stderr = (stderr + chunk.toString()).slice(-4_000)
  })

  try {
    await waitUntilReady(url, () => failed || hasExited(child), () => stderr)
  } catch (error) {
    await stop(child)
    throw error
  }
  project.provide("motoUrl", url)
  return () => stop(child)
}
