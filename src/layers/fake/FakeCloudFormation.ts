import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { decodeTemplate, requiredCapabilities, type TemplateDocument, templateParameters } from "../../template/Template.js"
import type {
  ChangeSetDescription,
  CloudFormation,
  ResourceChange,
  StackActionInput,
  StackEvent,
  TemplateSource,
  UpdateStarted,
  ValidatedTemplate
} from "../../services/CloudFormation.js"
import { type AwsError, AwsValidationError, TemplateInvalid } from "../../services/Errors.js"
import { invalid, type Runner } from "./FakeCalls.js"
import { checkCapabilities, checkUpdatable, decodeSource, maskedParameters, resolveParameters, startCreate, startUpdate } from "./FakeStackActions.js"
import { findStack } from "./FakeNestedStacks.js"
import { diffStack, type PlannedChange } from "./FakeStackDiff.js"
import type { ChangeSetState, StackState, World } from "./FakeState.js"
import { readTemplateUrl } from "./FakeS3.js"
import { checkStackOptions, sameOptions, stackOptions } from "./FakeStackOptions.js"
import { describedStack, uuidOf } from "./FakeStacks.js"

/** TemplateBody's limit in bytes; a larger template has to go through S3. */
const BODY_LIMIT = 51_200

const CHANGE_SET_NOT_READY = "CREATE_IN_PROGRESS"
const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."

const sameValues = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())

const resourceChange = (c: PlannedChange): ResourceChange => {
  const physicalId = c.before?.physicalId
  return {
    action: c.action,
    logicalId: c.logicalId,
    ...(physicalId !== undefined ? { physicalId } : {}),
    resourceType: c.resourceType,
    ...(c.action === "Modify" ? { replacement: c.replacement ? "True" : "False" } : {}),
    scope: c.action === "Modify" ? ["Properties"] : []
  }
}

const findChangeSet = (st: StackState, operation: string, name: string): Either.Either<ChangeSetState, AwsValidationError> => {
  const cs = (st.changeSets ?? []).find((c) => c.name === name || c.changeSetId === name)
  return cs === undefined ? invalid(operation, `ChangeSet [${name}] does not exist`) : Either.right(cs)
}

/** A stack that exists to DescribeStacks: deleted ones are only reachable by their id. */
export const liveStack = (w: World, stackName: string): StackState | undefined => findStack(w, stackName)

const stackOrMissing = (w: World, operation: string, stackName: string) => {
  const st = liveStack(w, stackName)
  return st === undefined ? invalid(operation, `Stack with id ${stackName} does not exist`) : Either.right(st)
}

const validated = (body: string, fromUrl = false): Either.Either<ValidatedTemplate, TemplateInvalid> => {
  if (!fromUrl && Buffer.byteLength(body, "utf8") > BODY_LIMIT) {
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

/** A stack action's request as the call log shows it (template bodies and parameter values left out). */
const stackActionParams = (input: StackActionInput & { readonly template: TemplateSource | Option.Option<TemplateSource> }) => {
  const template = Option.isOption(input.template) ? Option.getOrUndefined(input.template) : input.template
  return {
    StackName: input.stackName,
    ...(template === undefined ? { UsePreviousTemplate: true } : template._tag === "Url" ? { TemplateURL: template.url } : {}),
    Parameters: input.parameters.map((p) => ("value" in p ? { ParameterKey: p.key } : { ParameterKey: p.key, UsePreviousValue: true })),
    Capabilities: input.capabilities,
    ClientRequestToken: input.clientRequestToken,
    ...(input.roleArn === undefined ? {} : { RoleARN: input.roleArn }),
    ...(input.tags === undefined ? {} : { Tags: input.tags }),
    ...(input.notificationArns === undefined ? {} : { NotificationARNs: input.notificationArns })
  }
}

export const makeCloudFormation = (runner: Runner): typeof CloudFormation.Service => {
  const { call, settings } = runner

  /**
   * A change set of `st`, stored on it; with `nested`, each nested stack the update changes gets its own, named by
   * the change's changeSetId, as IncludeNestedStacks makes them.
   */
  const makeChangeSet = (
    w: World,
    st: StackState,
    spec: { readonly name: string; readonly doc: TemplateDocument; readonly body: string; readonly parameters: Readonly<Record<string, string>>; readonly unchanged: boolean; readonly nested: boolean }
  ): Either.Either<ChangeSetState, AwsValidationError> =>
    Either.gen(function*() {
      const diff = yield* Either.mapLeft(diffStack(w, settings, st, spec.doc, spec.parameters, false), (message) => new AwsValidationError({ operation: "CreateChangeSet", message }))
      const changes: Array<ResourceChange> = []
      for (const c of spec.unchanged ? [] : diff.changes) {
        const child = spec.nested && c.action === "Modify" && c.nested !== undefined && c.before !== undefined ? findStack(w, c.before.physicalId) : undefined
        if (child === undefined || c.nested === undefined) {
          changes.push(resourceChange(c))
          continue
        }
        const inner = yield* makeChangeSet(w, child, { ...c.nested, name: `${spec.name}-${c.logicalId}`, unchanged: false, nested: true })
        changes.push({ ...resourceChange(c), changeSetId: inner.changeSetId })
      }
      const changeSet: ChangeSetState = {
        name: spec.name,
        changeSetId: `arn:aws:cloudformation:${settings.region}:${settings.accountId}:changeSet/${spec.name}/${uuidOf(w)}`,
        createdAt: w.now,
        status: spec.unchanged ? "FAILED" : "CREATE_COMPLETE",
        ...(spec.unchanged ? { statusReason: NO_CHANGES } : {}),
        changes,
        parameters: maskedParameters(spec.doc, spec.parameters)
      }
      const now = findStack(w, st.stackId) ?? st
      w.stacks.set(now.stackName, { ...now, changeSets: [...(now.changeSets ?? []), changeSet] })
      return changeSet
    })

  /** Deleting a change set deletes the nested stacks' change sets it made. */
  const dropChangeSet = (w: World, st: StackState, cs: ChangeSetState): void => {
    const now = findStack(w, st.stackId) ?? st
    w.stacks.set(now.stackName, { ...now, changeSets: (now.changeSets ?? []).filter((c) => c.changeSetId !== cs.changeSetId) })
    for (const c of cs.changes) {
      if (c.changeSetId === undefined || c.physicalId === undefined) continue
      const child = findStack(w, c.physicalId)
      const inner = child?.changeSets?.find((x) => x.changeSetId === c.changeSetId)
      if (child !== undefined && inner !== undefined) dropChangeSet(w, child, inner)
    }
  }

  return {
    describeStack: (stackName) =>
      call("DescribeStacks", (w) => {
        const st = liveStack(w, stackName)
        return Either.right(st === undefined ? Option.none() : Option.some(describedStack(st)))
      }, { StackName: stackName }),
    listResources: (stackName) =>
      call("ListStackResources", (w) =>
        Either.map(stackOrMissing(w, "ListStackResources", stackName), (st) =>
          st.resources.map((r) => ({
            logicalId: r.logicalId,
            physicalId: r.physicalId,
            resourceType: r.resourceType,
            status: r.status
          }))), { StackName: stackName }),
    // Both stages are the body as sent: the fake world expands no transform (SAM's Globals aside, which it ignores).
    getTemplate: (stackName, stage) =>
      call("GetTemplate", (w) => Either.map(stackOrMissing(w, "GetTemplate", stackName), (st) => st.templateBody), { StackName: stackName, TemplateStage: stage ?? "Original" }),
    validateTemplate: (template: TemplateSource) =>
      template._tag === "Url"
        ? call("ValidateTemplate", (w) =>
          Either.flatMap(
            Either.mapLeft(readTemplateUrl(w, "ValidateTemplate", template.url), (e) => new TemplateInvalid({ message: e.message })),
            (body) => validated(body, true)
          ), { TemplateURL: template.url })
        : call("ValidateTemplate", () => validated(template.body), { TemplateBody: `(${Buffer.byteLength(template.body, "utf8")} bytes)` }),
    createStack: (input) =>
      call("CreateStack", (w) =>
        Either.gen(function*() {
          if (liveStack(w, input.stackName) !== undefined) {
            return yield* invalid("CreateStack", `Stack [${input.stackName}] already exists`)
          }
          const { body, doc } = yield* decodeSource("CreateStack", input.template, w)
          const parameters = yield* resolveParameters("CreateStack", doc, input.parameters, {})
          yield* checkCapabilities("CreateStack", doc, input.capabilities)
          yield* checkStackOptions("CreateStack", input)
          const st = yield* startCreate(w, settings, {
            stackName: input.stackName,
            doc,
            body,
            parameters,
            capabilities: input.capabilities,
            token: input.clientRequestToken
          })
          w.stacks.set(input.stackName, {
            ...st,
            ...stackOptions(st, input),
            terminationProtection: input.enableTerminationProtection ?? false
          })
          return st.stackId
        }), stackActionParams(input)),
    updateStack: (input) =>
      call("UpdateStack", (w) =>
        Either.gen(function*() {
          const st = yield* checkUpdatable("UpdateStack", yield* stackOrMissing(w, "UpdateStack", input.stackName))
          const { body, doc } = yield* Option.match(input.template, {
            onNone: () => Either.right({ body: st.templateBody, doc: st.template }),
            onSome: (t) => decodeSource("UpdateStack", t, w)
          })
          const parameters = yield* resolveParameters("UpdateStack", doc, input.parameters, st.parameters)
          yield* checkCapabilities("UpdateStack", doc, input.capabilities)
          yield* checkStackOptions("UpdateStack", input)
          const options = stackOptions(st, input)
          if (body === st.templateBody && sameValues(parameters, st.parameters) && sameOptions(st, options)) return { _tag: "NoUpdates" } as UpdateStarted
          const diff = yield* Either.mapLeft(diffStack(w, settings, st, doc, parameters, true), (message) => new AwsValidationError({ operation: "UpdateStack", message }))
          const next = { stackName: st.stackName, doc, body, parameters, capabilities: input.capabilities, token: input.clientRequestToken }
          w.stacks.set(st.stackName, { ...(yield* startUpdate(w, settings, st, next, diff)), ...options })
          return { _tag: "Started", stackId: st.stackId } as UpdateStarted
        }), stackActionParams(input)),
    stackEvents: (stackName, stop) => {
      const size = settings.stackEventPageSize
      // One call per page; the next page starts after the last event of this one, as NextToken does.
      const page = (after: string | undefined) =>
        call("DescribeStackEvents", (w) =>
          Either.map(stackOrMissing(w, "DescribeStackEvents", stackName), (st) => {
            const newestFirst = [...st.events].reverse()
            const start = after === undefined ? 0 : newestFirst.findIndex((e) => e.eventId === after) + 1
            return newestFirst.slice(start, start + size)
          }), { StackName: stackName, ...(after === undefined ? {} : { After: after }) })
      const loop = (after: string | undefined, got: ReadonlyArray<StackEvent>): Effect.Effect<ReadonlyArray<StackEvent>, AwsError> =>
        Effect.flatMap(page(after), (events) => {
          const all = [...got, ...events]
          const last = events.at(-1)
          return events.length < size || events.some(stop) || last === undefined ? Effect.succeed(all) : loop(last.eventId, all)
        })
      return loop(undefined, [])
    },
    createChangeSet: (input) =>
      call("CreateChangeSet", (w) =>
        Either.gen(function*() {
          if (input.changeSetType === "CREATE") {
            throw new Error("fake CloudFormation: CREATE change sets (a REVIEW_IN_PROGRESS stack) are not modelled")
          }
          const st = yield* checkUpdatable("CreateChangeSet", yield* stackOrMissing(w, "CreateChangeSet", input.stackName))
          if ((st.changeSets ?? []).some((c) => c.name === input.changeSetName)) {
            return yield* invalid("CreateChangeSet", `ChangeSet [${input.changeSetName}] already exists`)
          }
          const { body, doc } = yield* Option.match(input.template, {
            onNone: () => Either.right({ body: st.templateBody, doc: st.template }),
            onSome: (t) => decodeSource("CreateChangeSet", t, w)
          })
          const parameters = yield* resolveParameters("CreateChangeSet", doc, input.parameters, st.parameters)
          yield* checkCapabilities("CreateChangeSet", doc, input.capabilities)
          const unchanged = body === st.templateBody && sameValues(parameters, st.parameters)
          const changeSet = yield* makeChangeSet(w, st, { name: input.changeSetName, doc, body, parameters, unchanged, nested: input.includeNestedStacks === true })
          return changeSet.changeSetId
        }), { ...stackActionParams(input), ChangeSetName: input.changeSetName, ChangeSetType: input.changeSetType, ...(input.includeNestedStacks === true ? { IncludeNestedStacks: true } : {}) }),
    describeChangeSet: (stackName, changeSetName) =>
      call("DescribeChangeSet", (w) =>
        Either.gen(function*() {
          const st = yield* stackOrMissing(w, "DescribeChangeSet", stackName)
          const cs = yield* findChangeSet(st, "DescribeChangeSet", changeSetName)
          // CloudFormation takes a while to compute a change set: one event interval here.
          const ready = w.now >= cs.createdAt + settings.stackEventInterval
          const described: ChangeSetDescription = {
            changeSetId: cs.changeSetId,
            status: ready ? cs.status : CHANGE_SET_NOT_READY,
            ...(ready && cs.statusReason !== undefined ? { statusReason: cs.statusReason } : {}),
            changes: ready ? cs.changes : [],
            parameters: cs.parameters
          }
          return described
        }), { StackName: stackName, ChangeSetName: changeSetName }),
    updateTerminationProtection: (stackName, enable) =>
      call("UpdateTerminationProtection", (w) =>
        Either.map(stackOrMissing(w, "UpdateTerminationProtection", stackName), (st) => {
          w.stacks.set(st.stackName, { ...st, terminationProtection: enable })
        }), { StackName: stackName, EnableTerminationProtection: enable }),
    deleteChangeSet: (stackName, changeSetName) =>
      call("DeleteChangeSet", (w) =>
        Either.gen(function*() {
          const st = yield* stackOrMissing(w, "DeleteChangeSet", stackName)
          const cs = yield* findChangeSet(st, "DeleteChangeSet", changeSetName)
          dropChangeSet(w, st, cs)
        }), { StackName: stackName, ChangeSetName: changeSetName })
  }
}
