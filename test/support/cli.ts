/**
 * Runs the built CLI (`node dist/bin/<bin>.js ...args`) as a child process, the way a user would, against an
 * endpoint on localhost (moto, or the fault proxy in front of it). Dummy credentials, region us-east-1, no inherited
 * AWS_PROFILE or shared config files; a hung CLI is killed after a bound and fails the test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { motoCredentials } from "./moto.js"

export type Bin = "aws-ha-updater" | "update-asgs" | "update-stack"

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")
export const binPath = (bin: Bin): string => join(repoRoot, "dist", "bin", `${bin}.js`)

export interface CliOptions {
  /** The AWS endpoint (a loopback URL). */
  readonly endpoint: string
  /** Pass the endpoint as `AWS_ENDPOINT_URL` (default) or as `--endpoint-url`. */
  readonly endpointVia?: "env" | "flag"
  /** Killed with SIGKILL after this long, and the run rejects (default 120 s). */
  readonly timeoutMs?: number
  /** Extra environment variables (after the defaults). */
  readonly env?: Readonly<Record<string, string>>
}

export interface CliResult {
  /** The exit code; null when a signal ended the process. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Each stdout line parsed as JSON when `--output json` was given; empty otherwise. */
  readonly events: ReadonlyArray<Record<string, unknown>>
  /** Stdout lines that were not JSON although `--output json` was given. */
  readonly unparsed: ReadonlyArray<string>
  /** The last event when it is the summary. */
  readonly summary: Record<string, unknown> | undefined
  readonly durationMs: number
}

export interface RunningCli {
  readonly child: ChildProcess
  /** Settles when the process has exited (rejects only when it had to be killed for taking too long). */
  readonly done: Promise<CliResult>
}

/** The environment of the child: nothing of the developer's AWS setup leaks in. */
export const cliEnv = (endpoint: string | undefined, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT", "TZ"]
  const base: NodeJS.ProcessEnv = {}
  for (const k of keep) {
    const v = process.env[k]
    if (v !== undefined) base[k] = v
  }
  return {
    ...base,
    ...motoCredentials,
    // No profile, and shared files that do not exist: only the keys above count.
    AWS_CONFIG_FILE: "/nonexistent/aws-ha-updater-e2e/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-ha-updater-e2e/credentials",
    NO_COLOR: "1",
    ...(endpoint === undefined ? {} : { AWS_ENDPOINT_URL: endpoint }),
    ...extra
  }
}

const parseEvents = (stdout: string) => {
  const events: Array<Record<string, unknown>> = []
  const unparsed: Array<string> = []
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue
    try {
      const value: unknown = JSON.parse(line)
      if (typeof value === "object" && value !== null && !Array.isArray(value)) events.push(value as Record<string, unknown>)
      else unparsed.push(line)
    } catch {
      unparsed.push(line)
    }
  }
  return { events, unparsed }
}

/** Starts the CLI; `done` gives its result. Use this form to signal or kill it midway. */
export const startCli = (bin: Bin, args: ReadonlyArray<string>, options: CliOptions): RunningCli => {
  const file = binPath(bin)
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`)
  const host = new URL(options.endpoint).hostname
  if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) throw new Error(`the e2e CLI only talks to localhost, not ${host}`)
  const via = options.endpointVia ?? "env"
  const argv = via === "flag" ? [...args, "--endpoint-url", options.endpoint] : [...args]
  const started = Date.now()
  const child = spawn(process.execPath, [file, ...argv], {
    cwd: repoRoot,
    env: cliEnv(via === "env" ? options.endpoint : undefined, options.env),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (stdout += s))
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s))
  const timeoutMs = options.timeoutMs ?? 120_000
  const json = argv.some((a, i) => (a === "--output" && argv[i + 1] === "json") || a === "--output=json")

  const done = new Promise<CliResult>((resolvePromise, reject) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.once("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      const durationMs = Date.now() - started
      if (timedOut) {
        reject(new Error(
          `${bin} ${argv.join(" ")} did not finish within ${timeoutMs} ms and was killed\n--- stdout (tail) ---\n${stdout.slice(-3_000)}\n--- stderr (tail) ---\n${stderr.slice(-3_000)}`
        ))
        return
      }
      const { events, unparsed } = json ? parseEvents(stdout) : { events: [], unparsed: [] }
      const last = events.at(-1)
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        events,
        unparsed,
        summary: last !== undefined && last["type"] === "summary" ? last : undefined,
        durationMs
      })
    })
  })
  return { child, done }
}

/** Runs the CLI to its end. */
export const runCli = (bin: Bin, args: ReadonlyArray<string>, options: CliOptions): Promise<CliResult> =>
  startCli(bin, args, options).done

/** Everything a failing assertion should show about a run. */
export const describeRun = (r: CliResult): string =>
  `exit ${r.code}${r.signal === null ? "" : ` (${r.signal})`} after ${r.durationMs} ms\n--- stdout ---\n${r.stdout.slice(-6_000)}\n--- stderr ---\n${r.stderr.slice(-4_000)}`
