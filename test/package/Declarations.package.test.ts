// The built declarations (dist/types) as a user's compiler reads them: no file reaches into an entry, so a type
// printed in one entry's declarations never names the other entry (`import("../../testing.js").CloudFormation`).
import { describe, expect, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const types = fileURLToPath(new URL("../../dist/types", import.meta.url))
const ENTRIES = ["index.js", "testing.js"]

const declarations = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []
  )

/** The relative module specifiers of a declaration file, resolved against the types folder. */
const references = (file: string): ReadonlyArray<string> =>
  [...readFileSync(file, "utf8").matchAll(/(?:from\s+|import\()"(\.[^"]+)"/g)].map((m) =>
    relative(types, resolve(dirname(file), m[1]!))
  )

describe("the built declarations", () => {
  it("never reference an entry from another file, nor one entry from the other", () => {
    if (!existsSync(join(types, "index.d.ts"))) throw new Error("dist/ is not built: run `npm run build`")
    const intoEntries = declarations(types).flatMap((file) =>
      references(file).filter((target) => ENTRIES.includes(target)).map((target) => `${relative(types, file)} -> ${target}`)
    )
    expect(intoEntries).toEqual([])
  })

  it("give each entry namespaces from the public modules only", () => {
    for (const entry of ["index.d.ts", "testing.d.ts"]) {
      const outside = references(join(types, entry)).filter((target) => !target.startsWith("public/"))
      expect({ entry, outside }).toEqual({ entry, outside: [] })
    }
  })
})
