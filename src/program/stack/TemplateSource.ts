import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { TemplateSource } from "../../services/CloudFormation.js"
import { InvalidInput } from "../../services/Errors.js"
import { TemplateTooLarge } from "./StackErrors.js"

/** CloudFormation's limit for a TemplateBody, in bytes; larger templates must come from S3. */
export const TEMPLATE_BODY_LIMIT = 51_200

/** Where `--template` points, before anything is read. */
export type TemplateLocation =
  | { readonly _tag: "File"; readonly path: string }
  | { readonly _tag: "S3"; readonly url: string }
  | { readonly _tag: "Http"; readonly url: string }

/** What update-stack sends, and the text itself when we could read it (for the local checks). */
export interface LoadedTemplate {
  readonly source: TemplateSource
  readonly body: Option.Option<string>
  /** The user's spelling of it, for messages. */
  readonly origin: string
}

// bucket.s3.amazonaws.com, bucket.s3.eu-west-1.amazonaws.com, s3-eu-west-1.amazonaws.com/bucket, s3.dualstack..., .cn
const S3_HOST = /^(?:[a-z0-9][a-z0-9.-]*\.)?s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/

const urlDomain = (region: string): string => (region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com")

/** The regional https URL CloudFormation accepts as TemplateURL for `s3://bucket/key`. */
export const s3HttpsUrl = (bucket: string, key: string, region: string): string => {
  const path = key.split("/").map(encodeURIComponent).join("/")
  // Virtual-hosted style breaks TLS for bucket names with dots: those go path style.
  return bucket.includes(".")
    ? `https://s3.${region}.${urlDomain(region)}/${bucket}/${path}`
    : `https://${bucket}.s3.${region}.${urlDomain(region)}/${path}`
}

export const locateTemplate = (spec: string, region: string): Effect.Effect<TemplateLocation, InvalidInput> => {
  const invalid = (why: string) => Effect.fail(new InvalidInput({ message: `--template ${spec}: ${why}` }))
  if (spec.trim() === "") return invalid("empty; give a file, an https URL or s3://bucket/key")
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(spec)?.[1]?.toLowerCase()
  if (scheme === undefined) return Effect.succeed({ _tag: "File", path: spec })
  if (scheme === "s3") {
    const match = /^s3:\/\/([^/]+)\/(.+)$/i.exec(spec)
    if (match === null) return invalid("an S3 location needs a bucket and a key: s3://bucket/key")
    return Effect.succeed({ _tag: "S3", url: s3HttpsUrl(match[1] ?? "", match[2] ?? "", region) })
  }
  if (scheme !== "https") return invalid(`${scheme}:// is not supported; give a file, an https URL or s3://bucket/key`)
  let url: URL
  try {
    url = new URL(spec)
  } catch {
    return invalid("not a valid URL")
  }
  return Effect.succeed(S3_HOST.test(url.hostname.toLowerCase()) ? { _tag: "S3", url: spec } : { _tag: "Http", url: spec })
}

const byteLength = (body: string): number => new TextEncoder().encode(body).length

/** Refuses a body CloudFormation would refuse, before any call. */
export const checkBodySize = (body: string): Effect.Effect<string, TemplateTooLarge> => {
  const bytes = byteLength(body)
  return bytes > TEMPLATE_BODY_LIMIT
    ? Effect.fail(new TemplateTooLarge({ bytes, limit: TEMPLATE_BODY_LIMIT }))
    : Effect.succeed(body)
}

export interface LoadOptions {
  /** How long fetching an https template may take. */
  readonly fetchTimeout: Duration.DurationInput
  /** The body may exceed the TemplateBody limit: it will be uploaded to S3 (`--s3-bucket`). */
  readonly allowLarge?: boolean
}

const readFile = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path, "utf8")).pipe(
    Effect.mapError((e) =>
      new InvalidInput({
        message: e._tag === "SystemError" && e.reason === "NotFound"
          ? `--template ${path}: no such file`
          : `--template ${path}: cannot read it (${e.message})`
      })
    )
  )

const fetchText = (url: string, timeout: Duration.DurationInput) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    HttpClient.filterStatusOk(client).get(url).pipe(
      Effect.flatMap((response) => response.text),
      Effect.scoped,
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new InvalidInput({ message: `--template ${url}: no answer within ${Duration.format(Duration.decode(timeout))}` })
      }),
      Effect.catchTags({
        RequestError: (e) => Effect.fail(new InvalidInput({ message: `--template ${url}: cannot fetch it (${e.message})` })),
        ResponseError: (e) =>
          Effect.fail(new InvalidInput({
            message: `--template ${url}: cannot fetch it (HTTP ${e.response.status}${e.reason === "StatusCode" ? "" : `, ${e.message}`})`
          }))
      })
    ))

/** Reads a local file or fetches an https URL into a body; S3 URLs are passed on, as CloudFormation reads them. */
export const loadTemplate: (spec: string, region: string, options?: LoadOptions) => Effect.Effect<
  LoadedTemplate,
  InvalidInput | TemplateTooLarge,
  FileSystem.FileSystem | HttpClient.HttpClient
> = Effect.fn("StackUpdate.loadTemplate")(function*(
  spec: string,
  region: string,
  options: LoadOptions = { fetchTimeout: Duration.seconds(30) }
) {
  const location = yield* locateTemplate(spec, region)
  if (location._tag === "S3") {
    const loaded: LoadedTemplate = { source: { _tag: "Url", url: location.url }, body: Option.none(), origin: spec }
    return loaded
  }
  const text = location._tag === "File" ? yield* readFile(location.path) : yield* fetchText(location.url, options.fetchTimeout)
  const body = options.allowLarge === true ? text : yield* checkBodySize(text)
  const loaded: LoadedTemplate = { source: { _tag: "Body", body }, body: Option.some(body), origin: spec }
  return loaded
})
