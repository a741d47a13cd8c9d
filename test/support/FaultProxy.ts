/**
 * A small HTTP proxy between the CLI under test and moto_server, on 127.0.0.1 only. It forwards every request, records
 * each call's AWS action (Query protocols: `Action=` in the form body or query string; JSON protocol: the
 * `X-Amz-Target` header) with its time, and can inject faults over the real SDK wire protocol:
 *
 * - `throttle(action, { count } | { untilMs } | { forMs })`: answer HTTP 400 with the service's Throttling error
 *   (Query: `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>…`; EC2: `<Response><Errors><Error>
 *   <Code>RequestLimitExceeded</Code>…`; JSON: `{"__type":"ThrottlingException"}`) without forwarding;
 * - `hold(action)`: keep the next such request open until `release()`; the returned promise resolves when it arrived;
 * - `onAfter(action, fn)`: run `fn` after moto answered that action and *before* the answer goes back to the client,
 *   so the client's next call already sees what `fn` did (e.g. stop the instances a scale-out created).
 *
 * Everything is bounded: upstream calls and hooks time out, a held request is dropped after `holdTimeoutMs`, and
 * `close()` drops held requests and every open connection.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedCall {
  /** The AWS action, e.g. "UpdateAutoScalingGroup"; "(unknown)" when the request names none. */
  readonly action: string
  /** The service from the SigV4 credential scope (autoscaling, ec2, cloudformation, elasticloadbalancing, ...). */
  readonly service: string
  /** Epoch ms when the request arrived. */
  readonly at: number
  /** The request's parameters (Query protocols: the form body), e.g. `DesiredCapacity`. */
  readonly params: Readonly<Record<string, string>>
  /** The SDK's `amz-sdk-request` header, e.g. "attempt=1; max=1": the SDK's own retry count, on the wire. */
  readonly sdkRequest: string | undefined
  /** The SDK's `amz-sdk-invocation-id`: the same for every attempt the SDK itself makes of one call. */
  readonly invocationId: string | undefined
  /** What the proxy did with it. */
  outcome: "forwarded" | "throttled" | "dropped" | "upstream-error"
  /** The HTTP status the client got (0 when it got none). */
  status: number
}

export type ThrottleSpec =
  | { readonly count: number }
  /** Throttle until this epoch-ms moment (Date.now() clock). */
  | { readonly untilMs: number }
  /** Throttle for this many ms from now. */
  | { readonly forMs: number }

export interface AfterContext {
  readonly action: string
  /** The request's form parameters (Query protocols) or an empty set. */
  readonly params: URLSearchParams
  /** The raw request body. */
  readonly requestBody: string
  readonly status: number
  readonly responseBody: string
}

export interface OnAfterOptions {
  /** How many matching calls run the hook (default 1). */
  readonly times?: number
  /** Only calls whose parameters satisfy this run the hook (and count against `times`). */
  readonly when?: (params: URLSearchParams) => boolean
}

export interface FaultProxyOptions {
  /** Bound on one forwarded call (default 30 s). */
  readonly upstreamTimeoutMs?: number
  /** Bound on one hook (default 30 s). */
  readonly hookTimeoutMs?: number
  /** A held request is dropped after this long without release (default 120 s). */
  readonly holdTimeoutMs?: number
}

/** Actions that only read: everything else counts as mutating. */
export const isReadOnlyAction = (action: string): boolean => /^(Describe|List|Get|Validate|Estimate|Head)/.test(action)

/** S3's REST calls name no action: the method and the path-style path (/bucket or /bucket/key) say which it is. */
export const s3Action = (method: string, path: string): string => {
  const onObject = path.replace(/^\/+/, "").includes("/")
  switch (method) {
    case "HEAD":
      return onObject ? "HeadObject" : "HeadBucket"
    case "GET":
      return onObject ? "GetObject" : "ListObjects"
    case "PUT":
      return onObject ? "PutObject" : "CreateBucket"
    case "DELETE":
      return onObject ? "DeleteObject" : "DeleteBucket"
    default:
      return "(unknown)"
  }
}

interface Throttle {
  remaining: number
  until: number
}

interface Held {
  readonly action: string
  readonly proceed: (forward: boolean) => void
}

interface Hook {
  readonly fn: (ctx: AfterContext) => unknown
  remaining: number
  readonly when: ((params: URLSearchParams) => boolean) | undefined
}

interface Waiter {
  readonly action: string
  readonly arrived: () => void
}

const MAX_BODY_BYTES = 5 * 1024 * 1024

const xmlEscape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The throttling answer in the shape the SDK v3 parses for the request's protocol. */
export const throttlingResponse = (
  protocol: "query" | "ec2" | "json",
  requestId: string
): { readonly contentType: string; readonly body: string } => {
  switch (protocol) {
    case "json":
      return {
        contentType: "application/x-amz-json-1.1",
        body: JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" })
      }
    case "ec2":
      return {
        contentType: "text/xml",
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>${xmlEscape(requestId)}</RequestID></Response>`
      }
    case "query":
      return {
        contentType: "text/xml",
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>${xmlEscape(requestId)}</RequestId></ErrorResponse>`
      }
  }
}

const withTimeout = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error("request body too large for the fault proxy"))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const serviceOf = (req: http.IncomingMessage): string => {
  const auth = req.headers["authorization"]
  const match = typeof auth === "string" ? /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth) : null
  return match?.[1] ?? "(unknown)"
}

export class FaultProxy {
  private readonly recorded: Array<RecordedCall> = []
  private readonly throttles = new Map<string, Throttle>()
  private readonly holdRequests = new Map<string, number>()
  private readonly held: Array<Held> = []
  private readonly waiters: Array<Waiter> = []
  private readonly hooks = new Map<string, Array<Hook>>()
  private readonly failures: Array<string> = []
  private readonly pending = new Set<Promise<unknown>>()
  private closed = false
  private requestCounter = 0

  private constructor(
    private readonly server: http.Server,
    private readonly target: URL,
    readonly url: string,
    private readonly options: Required<FaultProxyOptions>
  ) {}

  /** Starts a proxy on 127.0.0.1 (a free port) in front of `target` (a loopback URL, e.g. moto's). */
  static async start(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const targetUrl = new URL(target)
    if (!["127.0.0.1", "localhost", "[::1]"].includes(targetUrl.hostname)) {
      throw new Error(`the fault proxy only talks to localhost, not ${targetUrl.hostname}`)
    }
    const server = http.createServer()
    // Keep-alive sockets of a killed client must not keep close() waiting.
    server.keepAliveTimeout = 1_000
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => resolve())
    })
    const { port } = server.address() as AddressInfo
    const proxy = new FaultProxy(server, targetUrl, `http://127.0.0.1:${port}`, {
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 30_000,
      hookTimeoutMs: options.hookTimeoutMs ?? 30_000,
      holdTimeoutMs: options.holdTimeoutMs ?? 120_000
    })
    server.on("request", (req, res) => {
      const handled = proxy.handle(req, res).catch((error: unknown) => {
        proxy.failures.push(`proxy: ${error instanceof Error ? error.message : String(error)}`)
        if (!res.headersSent) {
          res.writeHead(502, { "content-type": "text/plain" })
          res.end("fault proxy error")
        } else res.destroy()
      })
      proxy.pending.add(handled)
      void handled.finally(() => proxy.pending.delete(handled))
    })
    return proxy
  }

  // ---- what happened ----

  /** Every call in arrival order. */
  get calls(): ReadonlyArray<RecordedCall> {
    return this.recorded
  }

  /** Attempts of one action, throttled ones included. */
  count(action: string): number {
    return this.recorded.filter((c) => c.action === action).length
  }

  /** Attempts by action, throttled ones included. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const c of this.recorded) out[c.action] = (out[c.action] ?? 0) + 1
    return out
  }

  /** Calls of actions that change something (anything but Describe*, List*, Get*, Validate*, Estimate*). */
  mutatingCalls(): ReadonlyArray<RecordedCall> {
    return this.recorded.filter((c) => !isReadOnlyAction(c.action))
  }

  /** Hook errors, upstream failures and proxy errors: a test should expect none. */
  get errors(): ReadonlyArray<string> {
    return this.failures
  }

  /** Forgets the recorded calls (faults and hooks stay). */
  clearCalls(): void {
    this.recorded.length = 0
  }

  /** A compact table of calls by action, sorted by service then action. */
  table(): string {
    const rows = new Map<string, { service: string; action: string; calls: number; throttled: number }>()
    for (const c of this.recorded) {
      const key = `${c.service} ${c.action}`
      const row = rows.get(key) ?? { service: c.service, action: c.action, calls: 0, throttled: 0 }
      row.calls += 1
      if (c.outcome === "throttled") row.throttled += 1
      rows.set(key, row)
    }
    const sorted = [...rows.values()].sort((a, b) => a.service.localeCompare(b.service) || a.action.localeCompare(b.action))
    const width = Math.max(6, ...sorted.map((r) => r.service.length + r.action.length + 1))
    const lines = sorted.map((r) =>
      `${`${r.service} ${r.action}`.padEnd(width)} ${String(r.calls).padStart(4)}${r.throttled > 0 ? ` (${r.throttled} throttled)` : ""}${isReadOnlyAction(r.action) ? "" : "  *"}`
    )
    const mutating = this.mutatingCalls().length
    return [...lines, `${"total".padEnd(width)} ${String(this.recorded.length).padStart(4)}  (${mutating} mutating, marked *)`].join("\n")
  }

  // ---- faults ----

  /** Answers the next `count` calls of `action` (or every call until a moment) with a Throttling error. */
  throttle(action: string, spec: ThrottleSpec): void {
    const until = "untilMs" in spec ? spec.untilMs : "forMs" in spec ? Date.now() + spec.forMs : 0
    const remaining = "count" in spec ? spec.count : 0
    this.throttles.set(action, { remaining, until })
  }

  /**
   * Keeps the next call of `action` open until `release()`; resolves when that call arrived (never, if it does not
   * come: race it with a timeout). Calls `hold` n times to hold the next n calls.
   */
  hold(action: string): Promise<void> {
    this.holdRequests.set(action, (this.holdRequests.get(action) ?? 0) + 1)
    return new Promise<void>((resolve) => this.waiters.push({ action, arrived: resolve }))
  }

  /**
   * Lets held calls go on (all, or those of `action`): forwarded to moto by default, or dropped (connection
   * destroyed, nothing forwarded) with `forward: false`. Also cancels holds that no call has reached yet.
   */
  release(action?: string, options: { readonly forward?: boolean } = {}): void {
    const forward = options.forward ?? true
    for (const [a] of this.holdRequests) if (action === undefined || a === action) this.holdRequests.delete(a)
    for (let i = this.held.length - 1; i >= 0; i--) {
      const h = this.held[i]!
      if (action === undefined || h.action === action) {
        this.held.splice(i, 1)
        h.proceed(forward)
      }
    }
  }

  /** Runs `fn` after moto answered `action`, before the answer reaches the client. */
  onAfter(action: string, fn: (ctx: AfterContext) => unknown, options: OnAfterOptions = {}): void {
    const list = this.hooks.get(action) ?? []
    list.push({ fn, remaining: options.times ?? 1, when: options.when })
    this.hooks.set(action, list)
  }

  /** Forgets every fault and hook (recorded calls stay). */
  reset(): void {
    this.throttles.clear()
    this.hooks.clear()
    this.release(undefined, { forward: false })
  }

  /** Drops held calls, closes every connection and stops listening. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.reset()
    this.server.closeAllConnections()
    await withTimeout(new Promise<void>((resolve) => this.server.close(() => resolve())), 5_000, "closing the fault proxy")
    await withTimeout(Promise.allSettled([...this.pending]), 5_000, "pending proxy requests")
  }

  // ---- the proxy ----

  private takeThrottle(action: string): boolean {
    const t = this.throttles.get(action)
    if (t === undefined) return false
    if (t.remaining > 0) {
      t.remaining -= 1
      return true
    }
    if (Date.now() < t.until) return true
    this.throttles.delete(action)
    return false
  }

  private takeHold(action: string): boolean {
    const n = this.holdRequests.get(action) ?? 0
    if (n === 0) return false
    if (n === 1) this.holdRequests.delete(action)
    else this.holdRequests.set(action, n - 1)
    return true
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = Date.now()
    const body = await readBody(req)
    const text = body.toString("utf8")
    const requestUrl = new URL(req.url ?? "/", "http://proxy")
    const target = req.headers["x-amz-target"]
    const isJson = typeof target === "string"
    const params = isJson ? new URLSearchParams() : new URLSearchParams(text)
    const action = isJson
      ? target.split(".").pop() ?? target
      : params.get("Action") ?? requestUrl.searchParams.get("Action") ??
        (serviceOf(req) === "s3" ? s3Action(req.method ?? "", requestUrl.pathname) : "(unknown)")
    const service = serviceOf(req)
    const header = (name: string) => {
      const v = req.headers[name]
      return typeof v === "string" ? v : undefined
    }
    const call: RecordedCall = {
      action,
      service,
      at,
      params: Object.fromEntries(params),
      sdkRequest: header("amz-sdk-request"),
      invocationId: header("amz-sdk-invocation-id"),
      outcome: "forwarded",
      status: 0
    }
    this.recorded.push(call)
    const requestId = `fault-proxy-${++this.requestCounter}`

    if (this.takeThrottle(action)) {
      const protocol = isJson ? "json" : service === "ec2" ? "ec2" : "query"
      const answer = throttlingResponse(protocol, requestId)
      call.outcome = "throttled"
      call.status = 400
      res.writeHead(400, {
        "content-type": answer.contentType,
        "x-amzn-requestid": requestId,
        ...(isJson ? { "x-amzn-query-error": "Throttling;Sender" } : {})
      })
      res.end(answer.body)
      return
    }

    if (this.takeHold(action)) {
      const forward = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          const i = this.held.findIndex((h) => h.proceed === proceed)
          if (i >= 0) this.held.splice(i, 1)
          this.failures.push(`held ${action} was never released; dropped after ${this.options.holdTimeoutMs} ms`)
          resolve(false)
        }, this.options.holdTimeoutMs)
        const proceed = (f: boolean) => {
          clearTimeout(timer)
          resolve(f)
        }
        this.held.push({ action, proceed })
        const w = this.waiters.findIndex((x) => x.action === action)
        if (w >= 0) this.waiters.splice(w, 1)[0]!.arrived()
      })
      if (!forward || this.closed) {
        call.outcome = "dropped"
        res.destroy()
        return
      }
    }

    let upstream: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
    try {
      upstream = await this.forward(req, body)
    } catch (error) {
      call.outcome = "upstream-error"
      call.status = 502
      this.failures.push(`upstream ${action}: ${error instanceof Error ? error.message : String(error)}`)
      res.writeHead(502, { "content-type": "text/plain" })
      res.end("fault proxy: upstream failed")
      return
    }

    const hooks = (this.hooks.get(action) ?? []).filter((h) => h.remaining > 0 && (h.when?.(params) ?? true))
    for (const hook of hooks) {
      hook.remaining -= 1
      try {
        await withTimeout(
          Promise.resolve().then(() =>
            hook.fn({ action, params, requestBody: text, status: upstream.status, responseBody: upstream.body.toString("utf8") })
          ),
          this.options.hookTimeoutMs,
          `the onAfter hook of ${action}`
        )
      } catch (error) {
        this.failures.push(`hook ${action}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }

    call.status = upstream.status
    const headers = { ...upstream.headers }
    // The body is sent whole: no chunked framing from upstream, and a length that matches it.
    delete headers["transfer-encoding"]
    delete headers["connection"]
    delete headers["keep-alive"]
    headers["content-length"] = String(upstream.body.length)
    res.writeHead(upstream.status, headers)
    res.end(upstream.body)
  }

  private forward(
    req: http.IncomingMessage,
    body: Buffer
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers }
      delete headers["connection"]
      delete headers["keep-alive"]
      headers["content-length"] = String(body.length)
      delete headers["transfer-encoding"]
      const upstream = http.request(
        {
          hostname: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: false,
          timeout: this.options.upstreamTimeoutMs
        },
        (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (chunk: Buffer) => chunks.push(chunk))
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) })
          )
          response.on("error", reject)
        }
      )
      upstream.on("timeout", () => upstream.destroy(new Error(`moto did not answer within ${this.options.upstreamTimeoutMs} ms`)))
      upstream.on("error", reject)
      upstream.end(body)
    })
  }
}
