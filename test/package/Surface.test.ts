// The public surface of both entries, read from the source with the TypeScript compiler: which names each exports,
// that no internal is among them or named by their signatures, and that every exported function or constant carries
// its type (isolatedDeclarations), so the declarations users get are the ones written here.
import { describe, expect, it } from "@effect/vitest"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { SURFACE } from "./SurfaceList.js"

const repo = fileURLToPath(new URL("../..", import.meta.url))
const ENTRIES = { "aws-ha-updater": "src/index.ts", "aws-ha-updater/testing": "src/testing.ts" } as const
type Entry = keyof typeof ENTRIES

/** Names that are internal wherever they are declared: an entry that exports one under any namespace leaks it. */
const INTERNALS = [
  "PollHub", "Round", "PollSettings", "make", "rollGroup", "keepOthersChange", "processesToSuspend",
  "ClaimSettings", "makeSettings", "acquire", "checkFree", "checkGroup", "overallStatus",
  "resolveRegion", "sharedFilePaths", "fallbackRegion", "RegionInput", "Env",
  "retrying", "bounded", "Looks", "advisoryRetrySchedule", "isRetryable", "isBusy", "isAmbiguous", "makeThrottleGate",
  "executePlan", "newRequestToken", "followAction", "polling", "planStackAction", "locateTemplate",
  "providedPolicy", "policyFor", "layerWithoutDependencies", "makeRunner", "emptyWorld", "settingsOf", "toAwsError", "emit", "step", "stackStep", "RolloutEventInput"
]

/** Known exceptions, each with its reason: a public type naming a helper type users cannot import. */
const UNNAMED_FOR_NOW: Readonly<Record<string, string>> = {}

const config = ts.getParsedCommandLineOfConfigFile(join(repo, "tsconfig.json"), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
  }
})!
const program = ts.createProgram(Object.values(ENTRIES).map((f) => join(repo, f)), config.options)
const checker = program.getTypeChecker()

type Kind = "namespace" | "value" | "type"
interface Exported {
  readonly name: string
  readonly kind: Kind
  readonly symbol: ts.Symbol
}

const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s)
const kindOf = (s: ts.Symbol): Kind =>
  s.flags & ts.SymbolFlags.ValueModule ? "namespace" : s.flags & ts.SymbolFlags.Value ? "value" : "type"

const exportsOf = (module: ts.Symbol): ReadonlyArray<Exported> =>
  checker.getExportsOfModule(module).map((s) => {
    const symbol = resolve(s)
    return { name: s.name, kind: kindOf(symbol), symbol }
  })

const entryModule = (entry: Entry): ts.Symbol => checker.getSymbolAtLocation(program.getSourceFile(join(repo, ENTRIES[entry]))!)!

/** Every name an entry offers, one level into its namespaces: `Namespace.name`, types marked `type`. */
const surfaceOf = (entry: Entry): ReadonlyArray<Exported> =>
  exportsOf(entryModule(entry)).flatMap((ns) =>
    ns.kind === "namespace"
      ? [ns, ...exportsOf(ns.symbol).map((e) => ({ ...e, name: `${ns.name}.${e.name}` }))]
      : [ns]
  )

const listed = (entry: Entry): ReadonlyArray<string> =>
  surfaceOf(entry)
    .filter((e) => e.kind !== "namespace")
    .map((e) => (e.kind === "type" ? `type ${e.name}` : e.name))
    .sort((a, b) => a.replace(/^type /, "").localeCompare(b.replace(/^type /, "")))

const everything = Object.keys(ENTRIES).flatMap((entry) => surfaceOf(entry as Entry))
const publicSymbols = new Set(everything.map((e) => e.symbol))
const fileOf = (node: ts.Node): string => relative(repo, node.getSourceFile().fileName)
const isOurs = (node: ts.Node): boolean => !node.getSourceFile().fileName.includes("/node_modules/")

/** The parts of a declaration its emitted `.d.ts` shows: signatures and types, never bodies. */
const signatureNodes = (decl: ts.Declaration): ReadonlyArray<ts.Node> => {
  if (ts.isVariableDeclaration(decl)) {
    if (decl.type !== undefined) return [decl.type]
    const init = decl.initializer
    return init !== undefined && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))
      ? [...init.parameters, ...(init.type === undefined ? [] : [init.type])]
      : []
  }
  if (ts.isFunctionDeclaration(decl)) return [...decl.parameters, ...(decl.type === undefined ? [] : [decl.type])]
  if (ts.isClassDeclaration(decl)) {
    return [...(decl.heritageClauses ?? []), ...decl.members.filter((m) => !ts.isMethodDeclaration(m) || m.body === undefined)]
  }
  return [decl]
}

/** The declarations a public declaration names (type references, `typeof`, `extends`), outside node_modules. */
const namedBy = (decl: ts.Declaration): ReadonlyArray<ts.Symbol> => {
  const found: Array<ts.Symbol> = []
  const visit = (node: ts.Node): void => {
    const name = ts.isTypeReferenceNode(node)
      ? node.typeName
      : ts.isExpressionWithTypeArguments(node)
      ? node.expression
      : ts.isTypeQueryNode(node)
      ? node.exprName
      : undefined
    const s = name === undefined ? undefined : checker.getSymbolAtLocation(name)
    if (s !== undefined) {
      const target = resolve(s)
      const at = target.declarations?.[0]
      if (at !== undefined && isOurs(at) && !(target.flags & ts.SymbolFlags.TypeParameter)) found.push(target)
    }
    ts.forEachChild(node, visit)
  }
  signatureNodes(decl).forEach(visit)
  return found
}

/** A name's own declarations; a namespace's are its module, whose names are checked one by one. */
const declarationsOf = (e: Exported): ReadonlyArray<ts.Declaration> =>
  e.kind === "namespace" ? [] : (e.symbol.declarations ?? []).filter(isOurs)

const isolatedDiagnostics = new Map<string, ReadonlyArray<ts.DiagnosticWithLocation>>()
/** What `isolatedDeclarations` would say of the file: every export's type must be written, not inferred. */
const isolated = (file: ts.SourceFile): ReadonlyArray<ts.DiagnosticWithLocation> => {
  const cached = isolatedDiagnostics.get(file.fileName)
  if (cached !== undefined) return cached
  const out = ts.transpileDeclaration(file.text, { fileName: file.fileName, reportDiagnostics: true, compilerOptions: config.options })
  const diagnostics = (out.diagnostics ?? []) as ReadonlyArray<ts.DiagnosticWithLocation>
  isolatedDiagnostics.set(file.fileName, diagnostics)
  return diagnostics
}
// Effect's classes (Context.Tag, Data.TaggedError) extend a call: the class is its own declared type.
const EXTENDS_EXPRESSION = 9021
/**
 * A Schema constant is its own declaration: its types are read from it (`typeof X.Type`), as Effect's modules do,
 * and writing them out would repeat the schema field by field.
 */
const isSchema = (decl: ts.Declaration): boolean => {
  if (!ts.isVariableDeclaration(decl)) return false
  const type = checker.getTypeAtLocation(decl.name)
  return type.getProperty("ast") !== undefined && type.getProperty("Encoded") !== undefined && type.getProperty("annotations") !== undefined
}

describe("the public surface", () => {
  it("exports namespaces only, from both entries", () => {
    for (const entry of Object.keys(ENTRIES) as Array<Entry>) {
      const top = exportsOf(entryModule(entry))
      expect(top.filter((e) => e.kind !== "namespace").map((e) => e.name), entry).toEqual([])
    }
  })

  it("gives a name exported by both entries one meaning", () => {
    const [main, testing] = (Object.keys(ENTRIES) as Array<Entry>).map((entry) => surfaceOf(entry))
    for (const e of main!) {
      const other = testing!.find((t) => t.name === e.name)
      if (other !== undefined) expect({ name: e.name, symbol: other.symbol === e.symbol }).toEqual({ name: e.name, symbol: true })
    }
  })

  it("is the deliberate list: a name added to or dropped from an entry shows here", () => {
    const actual = { "aws-ha-updater": listed("aws-ha-updater"), "aws-ha-updater/testing": listed("aws-ha-updater/testing") }
    // PRINT_SURFACE=1 prints the list as read, to be checked name by name and pasted into SurfaceList.ts.
    if (process.env["PRINT_SURFACE"]) console.log(JSON.stringify(actual, null, 2))
    expect(actual).toEqual(SURFACE)
  })

  it("leaves the internals out", () => {
    const leaked = everything.filter((e) => INTERNALS.includes(e.name.split(".").at(-1)!)).map((e) => e.name)
    expect(leaked).toEqual([])
  })

  it("names in its signatures only types it exports itself", () => {
    const unnamed = everything.flatMap((e) =>
      declarationsOf(e).flatMap((decl) =>
        namedBy(decl)
          .filter((s) => !publicSymbols.has(s) && !(e.name in UNNAMED_FOR_NOW && UNNAMED_FOR_NOW[e.name] === s.name))
          .map((s) => `${e.name} names ${s.name} (${fileOf(s.declarations![0]!)})`)
      )
    )
    expect([...new Set(unnamed)]).toEqual([])
  })

  it("writes the type of every exported function and constant (isolatedDeclarations)", () => {
    const inferred = everything.flatMap((e) =>
      declarationsOf(e).filter((decl) => !isSchema(decl)).flatMap((decl) =>
        isolated(decl.getSourceFile())
          .filter((d) => d.code !== EXTENDS_EXPRESSION && d.start >= decl.getStart() && d.start < decl.getEnd())
          .map((d) => `${e.name} (${fileOf(decl)}): ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`)
      )
    )
    expect(inferred).toEqual([])
  })
})
