import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as AnsiDoc from "@effect/printer-ansi/AnsiDoc"
import * as Arr from "effect/Array"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { helpStyle, type HelpStyle } from "./Color.js"

/**
 * `--help` and @effect/cli's usage errors as we write them: from the HelpDoc and Usage @effect/cli builds, in colour
 * only where Color.ts allows it, without the primitives' generic lines, and with usage lines as man pages write them.
 */

export type AnyCommand = Command.Command<any, any, any, any>

export interface HelpApp {
  readonly name: string
  readonly version: string
  /** A command's subcommands in the order its help lists them. */
  readonly commands?: ReadonlyArray<AnyCommand>
}

/** The configuration @effect/cli parses with when none is provided, as Command.run does. */
export const cliConfig = CliConfig.defaultConfig

// One name per option in a usage line: the aliases are listed under OPTIONS.
const usageConfig = CliConfig.make({ showAllNames: false })

/**
 * Optional options in brackets, repeatable ones followed by `...` outside them (`[--asg NAME]...`), choices as
 * `text|json`. @effect/cli nests an optional repeated option the other way round (`[--asg NAME...]`).
 */
export const manUsage = (usage: Usage.Usage): Usage.Usage => {
  switch (usage._tag) {
    case "Optional": {
      const inner = manUsage(usage.usage)
      if (inner._tag === "Optional") return inner
      if (inner._tag === "Repeated") {
        return Usage.repeated(inner.usage._tag === "Optional" ? inner.usage : Usage.optional(inner.usage))
      }
      return Usage.optional(inner)
    }
    case "Repeated":
      return Usage.repeated(manUsage(usage.usage))
    case "Concat":
      return Usage.concat(manUsage(usage.left), manUsage(usage.right))
    case "Alternation":
      return Usage.alternation(manUsage(usage.left), manUsage(usage.right))
    case "Named":
      // A choice's accepted values arrive joined as "text | json".
      return Usage.named(usage.names, Option.map(usage.acceptedValues, (values) => values.split(" | ").join("|")))
    default:
      return usage
  }
}

export const usageLines = (usage: Usage.Usage): Array<Span.Span> => Usage.enumerate(manUsage(usage), usageConfig)

/** A help document's headers, paragraphs and lists in reading order. */
const blocksOf = (doc: HelpDoc.HelpDoc): Array<HelpDoc.HelpDoc> =>
  HelpDoc.isSequence(doc) ? [...blocksOf(doc.left), ...blocksOf(doc.right)] : HelpDoc.isEmpty(doc) ? [] : [doc]

const isTitled = (block: HelpDoc.HelpDoc, title: string) =>
  HelpDoc.isHeader(block) && Span.isText(block.value) && block.value.value === title

/** The blocks of a section, from its header to the next one: [start, end). */
const sectionBounds = (blocks: ReadonlyArray<HelpDoc.HelpDoc>, title: string): readonly [number, number] | undefined => {
  const start = blocks.findIndex((block) => isTitled(block, title))
  if (start < 0) return undefined
  const next = blocks.findIndex((block, i) => i > start && HelpDoc.isHeader(block))
  return [start + 1, next < 0 ? blocks.length : next]
}

/** @effect/cli opens each option's and argument's entry with its primitive's generic line ("An integer."). */
const withoutTypeLine = (entry: HelpDoc.HelpDoc): HelpDoc.HelpDoc =>
  HelpDoc.isParagraph(entry)
    ? HelpDoc.empty
    : HelpDoc.isSequence(entry)
    ? HelpDoc.sequence(withoutTypeLine(entry.left), entry.right)
    : entry

const withoutTypeLines = (block: HelpDoc.HelpDoc): HelpDoc.HelpDoc =>
  HelpDoc.isDescriptionList(block)
    ? HelpDoc.descriptionList(Arr.map(block.definitions, ([term, entry]) => [term, withoutTypeLine(entry)] as [Span.Span, HelpDoc.HelpDoc]))
    : block

/** Each subcommand's usage line, with its description under it (@effect/cli pads them into one line each). */
const commandList = (commands: ReadonlyArray<AnyCommand>): Array<HelpDoc.HelpDoc> => {
  const definitions = commands.map((command): [Span.Span, HelpDoc.HelpDoc] => {
    const blocks = blocksOf(Command.getHelp(command, cliConfig))
    const bounds = sectionBounds(blocks, "DESCRIPTION")
    return [
      Span.spans(Arr.intersperse(usageLines(Command.getUsage(command)), Span.text(" | "))),
      HelpDoc.blocks(bounds === undefined ? [] : blocks.slice(...bounds))
    ]
  })
  return Arr.isNonEmptyReadonlyArray(definitions) ? [HelpDoc.descriptionList(definitions)] : []
}

const leadingName = (usage: Usage.Usage): string | undefined =>
  usage._tag === "Named" ? usage.names[0] : usage._tag === "Concat" ? leadingName(usage.left) : undefined

/**
 * The usage line as it is typed: a subcommand's help reached through the app (`aws-ha-updater status --help`) names
 * the app first, and the app's own help says that a command follows.
 */
const invocation = (app: HelpApp, usage: Usage.Usage, listsCommands: boolean): Usage.Usage => {
  const named = leadingName(usage) === app.name ? usage : Usage.concat(Usage.named([app.name], Option.none()), usage)
  return listsCommands ? Usage.concat(named, Usage.named(["<command>"], Option.none())) : named
}

/** The whole `--help` of a command, as @effect/cli lays it out: banner, version, usage, then the command's own help. */
export const helpDocument = (app: HelpApp, usage: Usage.Usage, doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  const blocks = blocksOf(doc).map(withoutTypeLines)
  const commands = sectionBounds(blocks, "COMMANDS")
  if (commands !== undefined && app.commands !== undefined && app.commands.length > 0) blocks.splice(commands[0], commands[1] - commands[0], ...commandList(app.commands))
  return HelpDoc.blocks([
    HelpDoc.h1(Span.code(app.name)),
    HelpDoc.p(`${app.name} ${app.version}`),
    HelpDoc.h1("USAGE"),
    ...usageLines(invocation(app, usage, commands !== undefined)).map((line) => HelpDoc.p(Span.concat(Span.text("$ "), line))),
    ...blocks
  ])
}

export const render = (doc: HelpDoc.HelpDoc, style: HelpStyle): string => {
  const ansi = HelpDoc.toAnsiDoc(doc)
  return AnsiDoc.render(style === "ansi" ? ansi : AnsiDoc.unAnnotate(ansi), { style: "pretty" })
}

export const printHelp = (app: HelpApp, usage: Usage.Usage, doc: HelpDoc.HelpDoc): Effect.Effect<void> =>
  Effect.suspend(() => Console.log(render(helpDocument(app, usage, doc), helpStyle(process.stdout.isTTY, process.env))))

/** What @effect/cli found wrong with an invocation, on stderr. */
export const printUsageError = (doc: HelpDoc.HelpDoc): Effect.Effect<void> =>
  Effect.suspend(() => Console.error(render(doc, helpStyle(process.stderr.isTTY, process.env))))
