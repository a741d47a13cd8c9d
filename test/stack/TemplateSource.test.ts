import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadTemplate, locateTemplate, TEMPLATE_BODY_LIMIT } from "../../src/program/stack/TemplateSource.js"

/** An HttpClient that answers every GET with `status` and `body`, and remembers the URLs asked for. */
const fakeHttp = (status: number, body: string, asked: Array<string>) =>
  HttpClient.make((request) =>
    Effect.sync(() => {
      asked.push(request.url)
      return HttpClientResponse.fromWeb(request, new Response(body, { status }))
    })
  )

const run = <A, E>(effect: Effect.Effect<A, E, any>, http = fakeHttp(200, "", [])) =>
  effect.pipe(Effect.provideService(HttpClient.HttpClient, http), Effect.provide(NodeContext.layer)) as Effect.Effect<A, E>

const dir = mkdtempSync(join(tmpdir(), "template-source-"))
const file = (name: string, body: string) => {
  const path = join(dir, name)
  writeFileSync(path, body)
  return path
}

describe("where --template points", () => {
  it.effect("s3://bucket/key becomes the bucket's https URL in the region", () =>
    Effect.gen(function*() {
      expect(yield* locateTemplate("s3://my-bucket/stacks/web app.yaml", "eu-west-1"))
        .toEqual({ _tag: "S3", url: "https://my-bucket.s3.eu-west-1.amazonaws.com/stacks/web%20app.yaml" })
      expect(yield* locateTemplate("s3://my.bucket/t.json", "eu-west-1"))
        .toEqual({ _tag: "S3", url: "https://s3.eu-west-1.amazonaws.com/my.bucket/t.json" })
      expect(yield* locateTemplate("s3://b/t.json", "cn-north-1")).toEqual({ _tag: "S3", url: "https://b.s3.cn-north-1.amazonaws.com.cn/t.json" })
    }))

  it.effect("an https S3 URL is passed on as TemplateURL, any other https URL is fetched, anything else is a file", () =>
    Effect.gen(function*() {
      for (const url of ["https://b.s3.amazonaws.com/t.yaml", "https://b.s3.us-east-2.amazonaws.com/t", "https://s3-eu-west-1.amazonaws.com/b/t"]) {
        expect(yield* locateTemplate(url, "eu-west-1")).toEqual({ _tag: "S3", url })
      }
      expect(yield* locateTemplate("https://example.com/s3.amazonaws.com/t.yaml", "eu-west-1"))
        .toEqual({ _tag: "Http", url: "https://example.com/s3.amazonaws.com/t.yaml" })
      expect(yield* locateTemplate("infra/stack.yaml", "eu-west-1")).toEqual({ _tag: "File", path: "infra/stack.yaml" })
    }))

  it.effect("plain http, other schemes and an S3 location without a key are refused", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(locateTemplate("http://example.com/t.yaml", "eu-west-1"))).message).toContain("http:// is not supported")
      expect((yield* Effect.flip(locateTemplate("s3://bucket", "eu-west-1"))).message).toContain("s3://bucket/key")
    }))
})

describe("loading a template", () => {
  it.effect("a local file is read and sent as the body", () =>
    Effect.gen(function*() {
      const loaded = yield* run(loadTemplate(file("ok.yaml", "Resources: {}\n"), "eu-west-1"))
      expect(loaded.source).toEqual({ _tag: "Body", body: "Resources: {}\n" })
      expect(Option.getOrNull(loaded.body)).toBe("Resources: {}\n")
    }))

  it.effect("a missing file is one clear line", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(run(loadTemplate(join(dir, "nope.yaml"), "eu-west-1")))
      expect(e).toMatchObject({ _tag: "InvalidInput", message: `--template ${join(dir, "nope.yaml")}: no such file` })
    }))

  it.effect("a body over 51,200 bytes is refused; exactly the limit is accepted; bytes, not characters, count", () =>
    Effect.gen(function*() {
      yield* run(loadTemplate(file("limit.yaml", "x".repeat(TEMPLATE_BODY_LIMIT)), "eu-west-1"))
      expect(yield* Effect.flip(run(loadTemplate(file("big.yaml", "x".repeat(TEMPLATE_BODY_LIMIT + 1)), "eu-west-1"))))
        .toMatchObject({ _tag: "TemplateTooLarge", bytes: 51_201, limit: 51_200 })
      // 25,601 two-byte characters: under the limit in characters, over it in bytes.
      expect(yield* Effect.flip(run(loadTemplate(file("wide.yaml", "é".repeat(25_601)), "eu-west-1"))))
        .toMatchObject({ _tag: "TemplateTooLarge", bytes: 51_202 })
    }))

  it.effect("an https URL outside S3 is fetched with the HttpClient and sent as the body", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const loaded = yield* run(loadTemplate("https://example.com/t.json", "eu-west-1"), fakeHttp(200, "{\"Resources\":{}}", asked))
      expect(asked).toEqual(["https://example.com/t.json"])
      expect(loaded.source).toEqual({ _tag: "Body", body: "{\"Resources\":{}}" })
    }))

  it.effect("a fetched body over the limit is refused too, and an HTTP error is one clear line", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(run(loadTemplate("https://example.com/t.json", "eu-west-1"), fakeHttp(200, "y".repeat(60_000), []))))
        .toMatchObject({ _tag: "TemplateTooLarge", bytes: 60_000 })
      const e = yield* Effect.flip(run(loadTemplate("https://example.com/t.json", "eu-west-1"), fakeHttp(404, "no", [])))
      expect(e).toMatchObject({ _tag: "InvalidInput", message: "--template https://example.com/t.json: cannot fetch it (HTTP 404)" })
    }))

  it.effect("an S3 template is neither read nor fetched", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const loaded = yield* run(loadTemplate("s3://b/t.yaml", "eu-west-1"), fakeHttp(200, "", asked))
      expect(loaded.source).toEqual({ _tag: "Url", url: "https://b.s3.eu-west-1.amazonaws.com/t.yaml" })
      expect(Option.isNone(loaded.body)).toBe(true)
      expect(asked).toEqual([])
    }))
})
