import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/** A Console that keeps what the CLI prints: stdout lines in `out`, stderr lines in `err`. */
export const captureConsole = () => {
  const out: Array<string> = []
  const err: Array<string> = []
  const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
  const unsafe = {
    assert: () => {},
    clear: () => {},
    count: () => {},
    countReset: () => {},
    debug: (...a: ReadonlyArray<unknown>) => void err.push(text(a)),
    dir: () => {},
    dirxml: () => {},
    error: (...a: ReadonlyArray<unknown>) => void err.push(text(a)),
    group: () => {},
    groupCollapsed: () => {},
    groupEnd: () => {},
    info: (...a: ReadonlyArray<unknown>) => void out.push(text(a)),
    log: (...a: ReadonlyArray<unknown>) => void out.push(text(a)),
    table: () => {},
    time: () => {},
    timeEnd: () => {},
    timeLog: () => {},
    trace: () => {},
    warn: (...a: ReadonlyArray<unknown>) => void err.push(text(a))
  } as unknown as Console.UnsafeConsole
  const lift = (f: (...a: ReadonlyArray<unknown>) => void) => (...a: ReadonlyArray<unknown>) => Effect.sync(() => f(...a))
  const u = unsafe as unknown as Record<string, (...a: ReadonlyArray<unknown>) => void>
  const console: Console.Console = {
    [Console.TypeId]: Console.TypeId,
    assert: lift(u["assert"]!),
    clear: Effect.void,
    count: lift(u["count"]!),
    countReset: lift(u["countReset"]!),
    debug: lift(u["debug"]!),
    dir: lift(u["dir"]!),
    dirxml: lift(u["dirxml"]!),
    error: lift(u["error"]!),
    group: () => Effect.void,
    groupEnd: Effect.void,
    info: lift(u["info"]!),
    log: lift(u["log"]!),
    table: lift(u["table"]!),
    time: lift(u["time"]!),
    timeEnd: lift(u["timeEnd"]!),
    timeLog: lift(u["timeLog"]!),
    trace: lift(u["trace"]!),
    warn: lift(u["warn"]!),
    unsafe
  }
  return { console, out, err }
}
