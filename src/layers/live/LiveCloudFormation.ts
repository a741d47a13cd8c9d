import type * as CFN from "@aws-sdk/client-cloudformation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import {
  type ChangeSetDescription,
  CloudFormation,
  type ParameterInput,
  type Stack,
  type StackEvent,
  type StackParameter,
  type StackActionInput,
  type StackResource,
  type TemplateSource,
  type UpdateStarted,
  type ValidatedTemplate
} from "../../services/CloudFormation.js"
import { AwsCallFailed } from "../../services/Errors.js"
import { retrying } from "../../services/Retry.js"
import type { AwsClientConfig } from "./AwsClientConfig.js"
import { lazyClient } from "./SdkClient.js"
import { asTemplateInvalid, isNoUpdates, isStackMissing } from "./SdkErrors.js"

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value !== undefined ? { [key]: value } : {}) as { [P in K]?: V }

const templateInput = (template: TemplateSource): { TemplateBody: string } | { TemplateURL: string } =>
  template._tag === "Body" ? { TemplateBody: template.body } : { TemplateURL: template.url }

const parameterInput = (parameter: ParameterInput): CFN.Parameter =>
  "usePreviousValue" in parameter
    ? { ParameterKey: parameter.key, UsePreviousValue: true }
    : { ParameterKey: parameter.key, ParameterValue: parameter.value }

/** Our capabilities are plain strings; AWS refuses unknown ones itself. */
const capabilityInput = (capabilities: ReadonlyArray<string>): Array<CFN.Capability> =>
  capabilities as Array<CFN.Capability>

const toParameters = (parameters: ReadonlyArray<CFN.Parameter> | undefined): ReadonlyArray<StackParameter> =>
  (parameters ?? []).map((p) => ({ key: p.ParameterKey ?? "", value: p.ParameterValue ?? "" }))

export const toStack = (s: CFN.Stack): Stack => ({
  stackId: s.StackId ?? "",
  stackName: s.StackName ?? "",
  status: s.StackStatus ?? "",
  ...optional("statusReason", s.StackStatusReason),
  parameters: toParameters(s.Parameters),
  capabilities: s.Capabilities ?? [],
  tags: (s.Tags ?? []).map((t) => ({ key: t.Key ?? "", value: t.Value ?? "" })),
  ...optional("roleArn", s.RoleARN),
  terminationProtection: s.EnableTerminationProtection ?? false,
  notificationArns: s.NotificationARNs ?? []
})

/** RoleARN, Tags and NotificationARNs, each only when given: absent on update means "keep the stack's". */
const stackOptionsInput = (input: StackActionInput) => ({
  ...optional("RoleARN", input.roleArn),
  ...optional("Tags", input.tags?.map((t): CFN.Tag => ({ Key: t.key, Value: t.value }))),
  ...optional("NotificationARNs", input.notificationArns === undefined ? undefined : [...input.notificationArns])
})

export const toStackEvent = (e: CFN.StackEvent): StackEvent => ({
  eventId: e.EventId ?? "",
  stackName: e.StackName ?? "",
  timestamp: e.Timestamp?.getTime() ?? 0,
  logicalId: e.LogicalResourceId ?? "",
  ...optional("physicalId", e.PhysicalResourceId),
  resourceType: e.ResourceType ?? "",
  status: e.ResourceStatus ?? "",
  ...optional("reason", e.ResourceStatusReason),
  ...optional("clientRequestToken", e.ClientRequestToken)
})

const toResource = (r: CFN.StackResourceSummary): StackResource => ({
  logicalId: r.LogicalResourceId ?? "",
  // Absent while a resource is still being created, or when its creation failed.
  physicalId: r.PhysicalResourceId ?? "",
  resourceType: r.ResourceType ?? "",
  status: r.ResourceStatus ?? ""
})

const toValidated = (out: CFN.ValidateTemplateOutput): ValidatedTemplate => ({
  parameters: (out.Parameters ?? []).map((p) => ({
    key: p.ParameterKey ?? "",
    ...optional("defaultValue", p.DefaultValue),
    noEcho: p.NoEcho ?? false,
    ...optional("description", p.Description)
  })),
  capabilities: out.Capabilities ?? []
})

export const layer: Layer.Layer<CloudFormation, never, AwsClientConfig> = Layer.scoped(
  CloudFormation,
  Effect.gen(function*() {
    const cfn = yield* lazyClient(
      () => import("@aws-sdk/client-cloudformation"),
      (m, options) => new m.CloudFormationClient(options)
    )

    const describeChangeSetPages = (stackName: string, changeSetName: string) =>
      cfn("DescribeChangeSet", async (m, client, signal) => {
        const pages: Array<CFN.DescribeChangeSetOutput> = []
        const paginator = m.paginateDescribeChangeSet(
          { client },
          { StackName: stackName, ChangeSetName: changeSetName },
          { abortSignal: signal }
        )
        for await (const page of paginator) pages.push(page)
        return pages
      })

    return yield* retrying(CloudFormation.of({
      describeStack: (stackName) =>
        cfn("DescribeStacks", (m, client, signal) =>
          client.send(new m.DescribeStacksCommand({ StackName: stackName }), { abortSignal: signal })).pipe(
            Effect.map((out) =>
              Option.fromNullable(out.Stacks?.[0]).pipe(
                // Looked up by stack id, a deleted stack still answers, as DELETE_COMPLETE.
                Option.filter((s) => s.StackStatus !== "DELETE_COMPLETE"),
                Option.map(toStack)
              )
            ),
            Effect.catchIf(isStackMissing, () => Effect.succeed(Option.none<Stack>()))
          ),

      listResources: (stackName) =>
        cfn("ListStackResources", async (m, client, signal) => {
          const resources: Array<StackResource> = []
          const pages = m.paginateListStackResources({ client }, { StackName: stackName }, { abortSignal: signal })
          for await (const page of pages) resources.push(...(page.StackResourceSummaries ?? []).map(toResource))
          return resources
        }),

      getTemplate: (stackName, stage = "Original") =>
        cfn("GetTemplate", (m, client, signal) =>
          // Original: the template as the user wrote it; Processed: with its transforms and macros expanded.
          client.send(new m.GetTemplateCommand({ StackName: stackName, TemplateStage: stage }), {
            abortSignal: signal
          })).pipe(
            Effect.flatMap((out) =>
              out.TemplateBody !== undefined
                ? Effect.succeed(out.TemplateBody)
                : Effect.fail(
                  new AwsCallFailed({ operation: "GetTemplate", message: `stack ${stackName} returned no template body` })
                )
            )
          ),

      validateTemplate: (template) =>
        cfn("ValidateTemplate", (m, client, signal) =>
          client.send(new m.ValidateTemplateCommand(templateInput(template)), { abortSignal: signal })).pipe(
            Effect.map(toValidated),
            Effect.mapError(asTemplateInvalid)
          ),

      createStack: (input) =>
        cfn("CreateStack", (m, client, signal) =>
          client.send(
            new m.CreateStackCommand({
              StackName: input.stackName,
              ...templateInput(input.template),
              Parameters: input.parameters.map(parameterInput),
              Capabilities: capabilityInput(input.capabilities),
              ClientRequestToken: input.clientRequestToken,
              ...stackOptionsInput(input),
              ...optional("EnableTerminationProtection", input.enableTerminationProtection)
            }),
            { abortSignal: signal }
          )).pipe(Effect.map((out) => out.StackId ?? input.stackName)),

      updateStack: (input) =>
        cfn("UpdateStack", (m, client, signal) =>
          client.send(
            new m.UpdateStackCommand({
              StackName: input.stackName,
              ...Option.match(input.template, {
                onNone: () => ({ UsePreviousTemplate: true }),
                onSome: templateInput
              }),
              Parameters: input.parameters.map(parameterInput),
              Capabilities: capabilityInput(input.capabilities),
              ClientRequestToken: input.clientRequestToken,
              ...stackOptionsInput(input)
            }),
            { abortSignal: signal }
          )).pipe(
            Effect.map((out): UpdateStarted => ({ _tag: "Started", stackId: out.StackId ?? input.stackName })),
            Effect.catchIf(isNoUpdates, () => Effect.succeed<UpdateStarted>({ _tag: "NoUpdates" }))
          ),

      stackEvents: (stackName, stop) =>
        cfn("DescribeStackEvents", async (m, client, signal) => {
          const events: Array<StackEvent> = []
          const pages = m.paginateDescribeStackEvents({ client }, { StackName: stackName }, { abortSignal: signal })
          for await (const page of pages) {
            const batch = (page.StackEvents ?? []).map(toStackEvent)
            events.push(...batch)
            if (batch.some(stop)) break
          }
          return events
        }),

      createChangeSet: (input) =>
        cfn("CreateChangeSet", (m, client, signal) =>
          client.send(
            new m.CreateChangeSetCommand({
              StackName: input.stackName,
              ChangeSetName: input.changeSetName,
              ChangeSetType: input.changeSetType,
              ...Option.match(input.template, {
                onNone: () => ({ UsePreviousTemplate: true }),
                onSome: templateInput
              }),
              Parameters: input.parameters.map(parameterInput),
              Capabilities: capabilityInput(input.capabilities),
              ...(input.includeNestedStacks === true ? { IncludeNestedStacks: true } : {}),
              // The idempotency token of CreateChangeSet itself.
              ClientToken: input.clientRequestToken,
              ...stackOptionsInput(input)
            }),
            { abortSignal: signal }
          )).pipe(Effect.map((out) => out.Id ?? input.changeSetName)),

      describeChangeSet: (stackName, changeSetName) =>
        describeChangeSetPages(stackName, changeSetName).pipe(
          Effect.map((pages): ChangeSetDescription => {
            const first = pages[0]
            return {
              changeSetId: first?.ChangeSetId ?? changeSetName,
              status: first?.Status ?? "",
              ...optional("statusReason", first?.StatusReason),
              changes: pages.flatMap((page) =>
                (page.Changes ?? []).flatMap((change) => {
                  const rc = change.ResourceChange
                  if (rc === undefined) return []
                  return [{
                    action: rc.Action ?? "",
                    logicalId: rc.LogicalResourceId ?? "",
                    ...optional("physicalId", rc.PhysicalResourceId),
                    resourceType: rc.ResourceType ?? "",
                    ...optional("replacement", rc.Replacement),
                    scope: rc.Scope ?? [],
                    ...optional("changeSetId", rc.ChangeSetId)
                  }]
                })
              ),
              parameters: toParameters(first?.Parameters)
            }
          })
        ),

      deleteChangeSet: (stackName, changeSetName) =>
        cfn("DeleteChangeSet", (m, client, signal) =>
          client.send(new m.DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }), {
            abortSignal: signal
          })).pipe(Effect.asVoid),

      updateTerminationProtection: (stackName, enable) =>
        cfn("UpdateTerminationProtection", (m, client, signal) =>
          client.send(
            new m.UpdateTerminationProtectionCommand({ StackName: stackName, EnableTerminationProtection: enable }),
            { abortSignal: signal }
          )).pipe(Effect.asVoid)
    }))
  })
)
