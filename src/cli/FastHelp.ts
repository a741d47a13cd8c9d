import { readFileSync } from "node:fs"
import { helpStyle, type HelpStyle } from "./Color.js"

/**
 * `--help` and `--version` answered from the text the CLI itself wrote at build time (dist/help), plain and coloured,
 * chosen as the CLI would choose, so they load neither Effect nor any command: only node:fs. Anything else, or a
 * missing cache, goes to the real CLI.
 */
export const answeredFromCache = (bin: string, args: ReadonlyArray<string>, entryUrl: string): boolean => {
  if (process.env["AWS_HA_UPDATER_NO_HELP_CACHE"] !== undefined) return false
  if (args.length === 0 || args.length > 2) return false
  const last = args[args.length - 1]
  if (last !== "--help" && last !== "-h" && last !== "--version") return false
  try {
    const manifest = JSON.parse(readFileSync(new URL("../help/manifest.json", entryUrl), "utf8")) as Record<string, Record<HelpStyle, string>>
    const file = manifest[[bin, ...args].join(" ")]?.[helpStyle(process.stdout.isTTY, process.env)]
    if (file === undefined) return false
    process.stdout.write(readFileSync(new URL(`../help/${file}`, entryUrl)))
    return true
  } catch {
    return false
  }
}
