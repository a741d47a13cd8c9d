import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { AwsError, TemplateInvalid } from "./Errors.js"

export interface StackParameter {
  readonly key: string
  /** As DescribeStacks returns it: "****" for NoEcho parameters. */
  readonly value: string
}

export interface Stack {
  readonly stackId: string
  readonly stackName: string
  readonly status: string
  readonly statusReason?: string
  readonly parameters: ReadonlyArray<StackParameter>
  readonly capabilities: ReadonlyArray<string>
  /** The stack's tags; AWS replaces them as a whole when an update sends any. */
  readonly tags: ReadonlyArray<StackTag>
  /** The service role CloudFormation acts with, when the stack has one. */
  readonly roleArn?: string
  readonly terminationProtection: boolean
  readonly notificationArns: ReadonlyArray<string>
}

export interface StackTag {
  readonly key: string
  readonly value: string
}

export interface StackResource {
  readonly logicalId: string
  readonly physicalId: string
  readonly resourceType: string
  readonly status: string
}

export interface StackEvent {
  readonly eventId: string
  readonly stackName: string
  /** Epoch milliseconds. */
  readonly timestamp: number
  readonly logicalId: string
  readonly physicalId?: string
  readonly resourceType: string
  readonly status: string
  readonly reason?: string
  readonly clientRequestToken?: string
}

export type TemplateSource =
  | { readonly _tag: "Body"; readonly body: string }
  | { readonly _tag: "Url"; readonly url: string }

/** A parameter sent with CreateStack / UpdateStack / CreateChangeSet. */
export type ParameterInput =
  | { readonly key: string; readonly value: string }
  | { readonly key: string; readonly usePreviousValue: true }

export interface TemplateParameterDeclaration {
  readonly key: string
  readonly defaultValue?: string
  readonly noEcho: boolean
  readonly description?: string
}

export interface ValidatedTemplate {
  readonly parameters: ReadonlyArray<TemplateParameterDeclaration>
  readonly capabilities: ReadonlyArray<string>
}

export interface StackActionInput {
  readonly stackName: string
  readonly parameters: ReadonlyArray<ParameterInput>
  readonly capabilities: ReadonlyArray<string>
  readonly clientRequestToken: string
  /** RoleARN; absent: none on create, the stack's own on update. */
  readonly roleArn?: string
  /** The whole set of stack tags; absent: none on create, the stack's kept on update. */
  readonly tags?: ReadonlyArray<StackTag>
  /** NotificationARNs; absent: none on create, the stack's kept on update. */
  readonly notificationArns?: ReadonlyArray<string>
}

export interface ResourceChange {
  readonly action: string
  readonly logicalId: string
  readonly physicalId?: string
  readonly resourceType: string
  /** True | False | Conditional, as AWS says it. */
  readonly replacement?: string
  readonly scope: ReadonlyArray<string>
  /** A nested stack's change: the change set made for it (with `includeNestedStacks`). */
  readonly changeSetId?: string
}

export interface ChangeSetDescription {
  readonly changeSetId: string
  /** CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | FAILED | ... */
  readonly status: string
  readonly statusReason?: string
  readonly changes: ReadonlyArray<ResourceChange>
  readonly parameters: ReadonlyArray<StackParameter>
}

/** The outcome of UpdateStack: "No updates are to be performed." is not an error. */
export type UpdateStarted = { readonly _tag: "Started"; readonly stackId: string } | { readonly _tag: "NoUpdates" }

export class CloudFormation extends Context.Tag("aws-ha-updater/CloudFormation")<
  CloudFormation,
  {
    /** None when the stack does not exist (or only a deleted one does). */
    readonly describeStack: (stackName: string) => Effect.Effect<Option.Option<Stack>, AwsError>
    /** Every resource of the stack (paginated), e.g. to find its AWS::AutoScaling::AutoScalingGroup ones. */
    readonly listResources: (stackName: string) => Effect.Effect<ReadonlyArray<StackResource>, AwsError>
    /**
     * The template body of the stack as deployed (JSON or YAML text): as given ("Original", the default), or with its
     * transforms and macros applied ("Processed"; the same text where it declares none).
     */
    readonly getTemplate: (stackName: string, stage?: "Original" | "Processed") => Effect.Effect<string, AwsError>
    readonly validateTemplate: (template: TemplateSource) => Effect.Effect<ValidatedTemplate, AwsError | TemplateInvalid>
    readonly createStack: (
      input: StackActionInput & { readonly template: TemplateSource; readonly enableTerminationProtection?: boolean }
    ) => Effect.Effect<string, AwsError>
    /** `template` None = UsePreviousTemplate. */
    readonly updateStack: (
      input: StackActionInput & { readonly template: Option.Option<TemplateSource> }
    ) => Effect.Effect<UpdateStarted, AwsError>
    /**
     * Events newest first, page by page, stopping after the first page that holds an event for which `stop` is true
     * (or at the end of the history). Callers filter; this only bounds how far back the pages go.
     */
    readonly stackEvents: (
      stackName: string,
      stop: (event: StackEvent) => boolean
    ) => Effect.Effect<ReadonlyArray<StackEvent>, AwsError>
    readonly createChangeSet: (
      input: StackActionInput & {
        readonly changeSetName: string
        readonly changeSetType: "CREATE" | "UPDATE"
        readonly template: Option.Option<TemplateSource>
        /** Change sets for the nested stacks too, each named by its stack's change. */
        readonly includeNestedStacks?: boolean
      }
    ) => Effect.Effect<string, AwsError>
    readonly describeChangeSet: (
      stackName: string,
      changeSetName: string
    ) => Effect.Effect<ChangeSetDescription, AwsError>
    readonly deleteChangeSet: (stackName: string, changeSetName: string) => Effect.Effect<void, AwsError>
    readonly updateTerminationProtection: (stackName: string, enable: boolean) => Effect.Effect<void, AwsError>
  }
>() {}
