import { describe, expect, it } from "@effect/vitest"
import { AwsValidationError, isAmbiguous, isRetryable, Throttled } from "../../src/services/Errors.js"
import { asTemplateInvalid, isNoUpdates, isStackMissing, toAwsError } from "../../src/layers/live/SdkErrors.js"

/** Shaped like an SDK v3 ServiceException: a name (the AWS code), $fault and $metadata. */
const serviceException = (name: string, message: string, status = 400, fault: "client" | "server" = "client") =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } })

/** Shaped like a Node socket error, which carries a code and no AWS metadata. */
const socketError = (code: string) => Object.assign(new Error(`socket hang up (${code})`), { code })

const tagOf = (error: unknown) => toAwsError("Op", error)._tag

describe("toAwsError", () => {
  it.each([
    ["Throttling", "Rate exceeded"],
    ["ThrottlingException", "slow down"],
    ["RequestLimitExceeded", "Request limit exceeded."],
    ["TooManyRequestsException", "too many"]
  ])("maps %s to Throttled", (name, message) => {
    expect(tagOf(serviceException(name, message))).toBe("Throttled")
  })

  it("maps a 'Rate exceeded' message without a known code to Throttled", () => {
    expect(tagOf(serviceException("SomethingElse", "Rate exceeded"))).toBe("Throttled")
  })

  it("maps HTTP 429 to Throttled", () => {
    expect(tagOf(serviceException("Unknown", "no", 429))).toBe("Throttled")
  })

  it.each([
    ["a 5xx status", serviceException("InternalFailure", "boom", 500, "server")],
    ["a 503 without a code", serviceException("Error", "<html>", 503, "client")],
    ["a server fault", serviceException("ServiceUnavailable", "later", 400, "server")],
    ["a TimeoutError", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
    ["ECONNRESET", socketError("ECONNRESET")],
    ["ECONNREFUSED", socketError("ECONNREFUSED")],
    ["ETIMEDOUT", socketError("ETIMEDOUT")]
  ])("maps %s to TransientAwsError", (_, error) => {
    expect(tagOf(error)).toBe("TransientAwsError")
  })

  it.each(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"])("maps %s to AccessDenied", (name) => {
    expect(tagOf(serviceException(name, "not allowed", 403))).toBe("AccessDenied")
  })

  it.each([
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "CredentialsProviderError"
  ])("maps %s to CredentialsError", (name) => {
    expect(tagOf(serviceException(name, "bad credentials", 403))).toBe("CredentialsError")
  })

  it("maps 'Could not load credentials' without a code to CredentialsError", () => {
    expect(tagOf(new Error("Could not load credentials from any providers"))).toBe("CredentialsError")
  })

  it("maps ValidationError to AwsValidationError, keeping operation and message", () => {
    const error = toAwsError("UpdateAutoScalingGroup", serviceException("ValidationError", "desired above max"))
    expect(error).toEqual(new AwsValidationError({ operation: "UpdateAutoScalingGroup", message: "desired above max" }))
  })

  it.each([
    ["the SDK's ScalingActivityInProgressFault", serviceException("ScalingActivityInProgressFault", "Scaling activity 1a2b is in progress and blocks this action"), "ScalingActivityInProgress"],
    ["the wire code ScalingActivityInProgress", serviceException("ScalingActivityInProgress", "busy"), "ScalingActivityInProgress"],
    ["an unmodelled error carrying Code ScalingActivityInProgress", Object.assign(serviceException("Error", "busy"), { Code: "ScalingActivityInProgress" }), "ScalingActivityInProgress"],
    ["the SDK's ResourceContentionFault", serviceException("ResourceContentionFault", "You already have a pending update"), "ResourceContention"],
    ["the wire code ResourceContention", serviceException("ResourceContention", "pending update"), "ResourceContention"],
    ["an unmodelled error carrying Code ResourceContention", Object.assign(serviceException("Error", "pending"), { Code: "ResourceContention" }), "ResourceContention"]
  ])("maps %s to a retryable busy error", (_, error, tag) => {
    const mapped = toAwsError("TerminateInstanceInAutoScalingGroup", error)
    expect(mapped).toMatchObject({ _tag: tag, operation: "TerminateInstanceInAutoScalingGroup" })
    expect(isRetryable(mapped)).toBe(true)
    expect(isAmbiguous(mapped)).toBe(false)
  })

  it("maps anything else to AwsCallFailed with the original as cause", () => {
    const original = serviceException("LimitExceeded", "busy")
    const error = toAwsError("TerminateInstanceInAutoScalingGroup", original)
    expect(error._tag).toBe("AwsCallFailed")
    expect(error).toMatchObject({ operation: "TerminateInstanceInAutoScalingGroup", message: "busy", cause: original })
  })

  it("maps a thrown non-Error to AwsCallFailed with its text", () => {
    expect(toAwsError("Op", "weird")).toMatchObject({ _tag: "AwsCallFailed", message: "weird" })
  })
})

describe("CloudFormation special cases", () => {
  const validation = (message: string) => new AwsValidationError({ operation: "Op", message })

  it("recognises a missing stack only on a ValidationError", () => {
    expect(isStackMissing(validation("Stack with id prod does not exist"))).toBe(true)
    expect(isStackMissing(validation("Template format error"))).toBe(false)
    expect(isStackMissing(new Throttled({ operation: "Op", message: "does not exist" }))).toBe(false)
  })

  it("recognises 'No updates are to be performed.'", () => {
    expect(isNoUpdates(validation("No updates are to be performed."))).toBe(true)
    expect(isNoUpdates(validation("Parameter X must be set"))).toBe(false)
  })

  it("turns a ValidateTemplate ValidationError into TemplateInvalid and leaves other errors alone", () => {
    expect(asTemplateInvalid(validation("Template format error: unknown key"))).toMatchObject({
      _tag: "TemplateInvalid",
      message: "Template format error: unknown key"
    })
    const throttled = new Throttled({ operation: "ValidateTemplate", message: "Rate exceeded" })
    expect(asTemplateInvalid(throttled)).toBe(throttled)
  })
})
