import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { decodeTemplate, requiredCapabilities, templateParameters } from "../../program/Template.js"
import type { CloudFormation, TemplateSource, ValidatedTemplate } from "../../services/CloudFormation.js"
import { TemplateInvalid } from "../../services/Errors.js"
import { invalid, type Runner } from "./FakeCalls.js"
import type { StackState, World } from "./FakeState.js"
import { describedStack } from "./FakeStacks.js"

/** TemplateBody's limit in bytes; a larger template has to go through S3. */
const BODY_LIMIT = 51_200

/** A loud stop for the actions this fake does not simulate yet: a silent success would make tests lie. */
const notModelled = (operation: string) => Effect.die(new Error(`fake CloudFormation: ${operation} is not modelled yet`))

/** A stack that exists to DescribeStacks: deleted ones are only reachable by their id. */
export const liveStack = (w: World, stackName: string): StackState | undefined => {
  const st = w.stacks.get(stackName)
  return st === undefined || st.status === "DELETE_COMPLETE" ? undefined : st
}

const stackOrMissing = (w: World, operation: string, stackName: string) => {
  const st = liveStack(w, stackName)
  return st === undefined ? invalid(operation, `Stack with id ${stackName} does not exist`) : Either.right(st)
}

const validated = (body: string): Either.Either<ValidatedTemplate, TemplateInvalid> => {
  if (Buffer.byteLength(body, "utf8") > BODY_LIMIT) {
    return Either.left(new TemplateInvalid({
      message: `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${BODY_LIMIT}`
    }))
  }
  return Either.map(decodeTemplate(body), (doc) => ({
    parameters: Object.entries(templateParameters(doc)).map(([key, p]) => ({
      key,
      noEcho: p.NoEcho,
      ...(p.Default !== undefined ? { defaultValue: p.Default } : {}),
      ...(p.Description !== undefined ? { description: p.Description } : {})
    })),
    capabilities: requiredCapabilities(doc)
  }))
}

export const makeCloudFormation = (runner: Runner): typeof CloudFormation.Service => {
  const { call } = runner
  return {
    describeStack: (stackName) =>
      call("DescribeStacks", (w) => {
        const st = liveStack(w, stackName)
        return Either.right(st === undefined ? Option.none() : Option.some(describedStack(st)))
      }),
    listResources: (stackName) =>
      call("ListStackResources", (w) =>
        Either.map(stackOrMissing(w, "ListStackResources", stackName), (st) =>
          st.resources.map((r) => ({
            logicalId: r.logicalId,
            physicalId: r.physicalId,
            resourceType: r.resourceType,
            status: r.status
          })))),
    getTemplate: (stackName) =>
      call("GetTemplate", (w) => Either.map(stackOrMissing(w, "GetTemplate", stackName), (st) => st.templateBody)),
    validateTemplate: (template: TemplateSource) =>
      template._tag === "Url"
        ? Effect.die(new Error("fake CloudFormation: TemplateURL is not modelled (the fake world has no S3)"))
        : call("ValidateTemplate", () => validated(template.body)),
    createStack: () => notModelled("CreateStack"),
    updateStack: () => notModelled("UpdateStack"),
    stackEvents: () => notModelled("DescribeStackEvents"),
    createChangeSet: () => notModelled("CreateChangeSet"),
    describeChangeSet: () => notModelled("DescribeChangeSet"),
    deleteChangeSet: () => notModelled("DeleteChangeSet")
  }
}
