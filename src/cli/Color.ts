/**
 * When the CLI may write colour: on a terminal, and not under NO_COLOR (any non-empty value). No imports, so that the
 * bins' cold `--help` path can use it without loading Effect.
 */
export const colorAllowed = (isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean =>
  isTTY === true && (env["NO_COLOR"] ?? "") === ""

export type HelpStyle = "ansi" | "plain"

/** Set by the build, which renders both variants of the `--help` cache from a pipe. */
const HELP_STYLE_ENV = "AWS_HA_UPDATER_HELP_STYLE"

/** How `--help` and @effect/cli's usage errors are written to a stream. */
export const helpStyle = (isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): HelpStyle => {
  const forced = env[HELP_STYLE_ENV]
  if (forced === "ansi" || forced === "plain") return forced
  return colorAllowed(isTTY, env) ? "ansi" : "plain"
}
