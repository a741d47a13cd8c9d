/**
 * One rollout against moto_server with the built CLI: a stack with a classic ELB and a group of 4 instances, rolled by
 * `update-asgs --replace-all --poll-interval 1` through a recording proxy. Prints one JSON object; run by bench/run.mjs.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { createServer } from "node:net"
import { delimiter, join, resolve } from "node:path"
import { FaultProxy } from "../test/support/FaultProxy.js"
import { motoCredentials } from "../test/support/moto.js"
import { createStackDirectly, destroyClients, haStackTemplate, sdkClients, twoImageIds } from "../test/support/motoWorld.js"

const INSTANCES = Number(process.argv[2] ?? "4")
const STACK = "bench-moto"

const onPath = (command: string): string | undefined =>
  (process.env["PATH"] ?? "").split(delimiter).filter((d) => d !== "").map((d) => join(d, command)).find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK)
      return true
    } catch {
      return false
    }
  })

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer()
    server.once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? done(port) : fail(new Error("no free port"))))
    })
  })

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

const waitForMoto = async (url: string, child: ChildProcess): Promise<void> => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`)
    const ok = await fetch(new URL("/moto-api/", url), { signal: AbortSignal.timeout(2_000) }).then(
      async (r) => (await r.arrayBuffer(), r.ok),
      () => false
    )
    if (ok) return
    await sleep(200)
  }
  throw new Error(`moto_server did not answer at ${url} within 30 s`)
}

const stop = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((done) => child.once("exit", () => done()))
  process.kill(child.pid, "SIGTERM")
  if (!(await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]))) {
    process.kill(child.pid, "SIGKILL")
    await exited
  }
}

/** The e2e suite's classic-ELB stack, its group sized for `INSTANCES`. */
const template = (): string => {
  const doc = JSON.parse(haStackTemplate("classic")) as { Resources: { Group: { Properties: Record<string, unknown> } } }
  const props = doc.Resources.Group.Properties
  doc.Resources.Group.Properties = { ...props, MinSize: "1", MaxSize: String(INSTANCES * 2), DesiredCapacity: String(INSTANCES) }
  return JSON.stringify(doc)
}

const runCli = (bin: string, args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      // Dummy credentials, no shared config files: nothing of the user's AWS set-up leaks in.
      env: { PATH: process.env["PATH"] ?? "", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", ...motoCredentials },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })

const main = async (): Promise<Record<string, unknown>> => {
  const executable = onPath("moto_server")
  if (executable === undefined) return { skipped: "moto_server is not on PATH (pip install 'moto[server]')" }
  const bin = resolve("dist/bin/update-asgs.js")
  const port = await freePort()
  const motoUrl = `http://127.0.0.1:${port}`
  // Loopback only; stopped by its pid below, whatever happens.
  const moto = spawn(executable, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore", env: { ...process.env, ...motoCredentials } })
  try {
    await waitForMoto(motoUrl, moto)
    const sdk = sdkClients(motoUrl)
    const [ami] = await twoImageIds(sdk)
    await createStackDirectly(sdk, STACK, template(), { ImageId: ami })
    destroyClients(sdk)
    const proxy = await FaultProxy.start(motoUrl)
    try {
      const started = process.hrtime.bigint()
      const run = await runCli(bin, [
        STACK, "--replace-all", "--endpoint-url", proxy.url, "--region", motoCredentials.AWS_REGION,
        "--poll-interval", "1", "--healthy-timeout", "120", "--output", "json"
      ])
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
      if (run.code !== 0) throw new Error(`update-asgs exited ${run.code}:\n${run.stdout}\n${run.stderr}`)
      const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
        status?: string
        groups?: ReadonlyArray<{ launched?: ReadonlyArray<string>; terminated?: ReadonlyArray<string> }>
      }
      const counts = proxy.counts()
      // The commit: from its first terminate request to the restore of the sizes, as the run's own events time it.
      const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type?: string; step?: string; at?: number })
      const at = (step: string) => events.find((e) => e.type === "step" && e.step === step)?.at
      const terminateAt = at("terminate-old")
      const restoreAt = at("restore")
      const terminates = proxy.calls.filter((c) => c.action === "TerminateInstanceInAutoScalingGroup").map((c) => c.at)
      return {
        instances: INSTANCES,
        commitSeconds: terminateAt === undefined || restoreAt === undefined ? null : Math.round(restoreAt - terminateAt) / 1000,
        terminateRequestsSeconds: terminates.length === 0 ? null : Math.round(Math.max(...terminates) - Math.min(...terminates)) / 1000,
        status: summary.status ?? "unknown",
        launched: summary.groups?.[0]?.launched?.length ?? 0,
        terminated: summary.groups?.[0]?.terminated?.length ?? 0,
        wallSeconds: Math.round(wallSeconds * 100) / 100,
        calls: proxy.calls.length,
        mutatingCalls: proxy.mutatingCalls().length,
        callsByOperation: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
      }
    } finally {
      await proxy.close()
    }
  } finally {
    await stop(moto)
  }
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`moto bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exitCode = 1
  }
)
