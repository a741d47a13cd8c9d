import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as Directive from "@effect/cli/CommandDirective"
import * as BuiltIn from "@effect/cli/BuiltInOptions"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import { ExitCode } from "./ExitCodes.js"
import { describeFailure } from "./Failures.js"
import { type AnyCommand, cliConfig, printHelp, printUsageError } from "./Help.js"
import { ExitStatus } from "./Run.js"

export const VERSION = "0.1.0"

/**
 * The invocation parsed first on its own, so that its help and what is wrong with it are written by Help.ts; anything
 * else (a command to run, --version, --completions, --wizard) goes to @effect/cli's runner, which parses it again.
 */
const runParsed = <Name extends string, R, E>(
  command: Command.Command<Name, R, E, any>,
  name: string,
  argv: ReadonlyArray<string>,
  commands: ReadonlyArray<AnyCommand>
) =>
  Descriptor.parse(command.descriptor, [...Command.getNames(command), ...argv.slice(2)], cliConfig).pipe(
    Effect.tapError((error) => printUsageError(error.error)),
    Effect.flatMap((directive) =>
      Directive.isBuiltIn(directive) && BuiltIn.isShowHelp(directive.option)
        ? printHelp({ name, version: VERSION, commands }, directive.option.usage, directive.option.helpDoc)
        : Command.run(command, { name, version: VERSION })(argv)
    )
  )

/**
 * Runs a command as a process: exit codes as documented, and signals handled here rather than by runMain, because
 * a second Ctrl-C must not abandon a roll-back that the first one started. `commands`: its subcommands, for its help.
 */
export const runCli = <Name extends string, R, E>(
  command: Command.Command<Name, R, E, any>,
  name: string,
  argv: ReadonlyArray<string>,
  commands: ReadonlyArray<AnyCommand> = []
): void => {
  // The SDK warns on Node 20 at the first client it builds; our users get one clear output, not that notice.
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"
  const exitStatus = Ref.unsafeMake(0)
  const program = runParsed(command, name, argv, commands).pipe(
    Effect.provideService(ExitStatus, exitStatus),
    Effect.provide(NodeContext.layer)
  ) as Effect.Effect<void, E | ValidationError.ValidationError, never>
  const fiber = Effect.runFork(program)
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1
    if (signals === 1) {
      process.stderr.write(`\n${signal}: stopping; anything started is being rolled back — a second ${signal} will not abandon it\n`)
      fiber.unsafeInterruptAsFork(fiber.id())
    } else {
      process.stderr.write(`${signal} again: still rolling back, please wait (kill -9 would leave the group half-done)\n`)
    }
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  fiber.addObserver((exit) => {
    const { code, line } = processExit(exit, Ref.get(exitStatus).pipe(Effect.runSync))
    if (line !== undefined) process.stderr.write(`${line}\n`)
    process.exit(code)
  })
}

/**
 * The exit code of a command's run, and the line to write first when it failed: the code the handler decided, 130
 * when interrupted, 2 for an invocation Help.ts (or @effect/cli) has already told what is wrong with, else the
 * failure's own line and code.
 */
export const processExit = (exit: Exit.Exit<unknown, unknown>, decided: number): { readonly code: number; readonly line?: string } => {
  if (Exit.isSuccess(exit)) return { code: decided }
  if (Cause.isInterruptedOnly(exit.cause)) return { code: ExitCode.interrupted }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some" && ValidationError.isValidationError(failure.value)) return { code: ExitCode.invalid }
  const described = describeFailure(failure._tag === "Some" ? failure.value : Cause.squash(exit.cause))
  return { code: described.code, line: `error: ${described.line}` }
}
