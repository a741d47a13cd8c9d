import * as Schema from "effect/Schema"
import * as Errors from "../../services/Errors.js"
import * as E from "../rollout/RolloutErrors.js"

/**
 * A tagged error as a plain `{ _tag, ...fields }` object in `--output json`, decoded back to its class: only the
 * fields listed here cross the boundary (an SDK error kept as a cause does not).
 */
const plain = <Tag extends string, Fields extends Schema.Struct.Fields, Self extends { readonly _tag: Tag } & Schema.Struct.Type<Fields>>(
  Class: new (args: Schema.Struct.Type<Fields>) => Self,
  tag: Tag,
  fields: Fields
) =>
  Schema.transform(Schema.TaggedStruct(tag, fields), Schema.instanceOf(Class), {
    strict: false,
    decode: (p) => new Class(Object.fromEntries(Object.keys(fields).map((k) => [k, (p as Record<string, unknown>)[k]])) as Schema.Struct.Type<Fields>),
    encode: (e) => Object.fromEntries([["_tag", tag], ...Object.keys(fields).map((k) => [k, e[k as keyof Self]])])
  }).annotations({ identifier: tag })

const Strings = Schema.Array(Schema.String)
const call = { operation: Schema.String, message: Schema.String }

export const AwsError = Schema.Union(
  plain(Errors.Throttled, "Throttled", call),
  plain(Errors.TransientAwsError, "TransientAwsError", call),
  plain(Errors.ScalingActivityInProgress, "ScalingActivityInProgress", call),
  plain(Errors.ResourceContention, "ResourceContention", call),
  plain(Errors.AccessDenied, "AccessDenied", call),
  plain(Errors.CredentialsError, "CredentialsError", call),
  plain(Errors.AwsValidationError, "AwsValidationError", call),
  plain(Errors.AwsCallFailed, "AwsCallFailed", call)
)

const GroupNotFound = plain(E.GroupNotFound, "GroupNotFound", { group: Schema.String, stackName: Schema.String })

export const RollBackCause = Schema.Union(
  plain(E.HealthTimeout, "HealthTimeout", { group: Schema.String, healthy: Schema.Number, needed: Schema.Number, seconds: Schema.Number, short: Schema.Array(Schema.String) }),
  plain(E.NewInstanceFailed, "NewInstanceFailed", { group: Schema.String, instanceId: Schema.String, reason: Schema.String }),
  plain(E.AlarmFired, "AlarmFired", { group: Schema.String, alarm: Schema.String, reason: Schema.String }),
  AwsError,
  GroupNotFound,
  plain(E.RolloutInterrupted, "RolloutInterrupted", { group: Schema.String })
)

const AwsOrMissing = Schema.Union(AwsError, GroupNotFound)

export const NotRolledCause = Schema.Union(
  plain(E.RolloutInProgress, "RolloutInProgress", { group: Schema.String, stackName: Schema.String, phase: Schema.String, since: Schema.String }),
  plain(E.RolloutHeld, "RolloutHeld", { group: Schema.String, stackName: Schema.String, holder: Schema.String, reason: Schema.String }),
  plain(E.GroupBusy, "GroupBusy", { group: Schema.String, reason: Schema.String }),
  GroupNotFound,
  plain(E.RecordDoesNotFit, "RecordDoesNotFit", { group: Schema.String, tags: Schema.Number, needed: Schema.Number })
)

/** Why a group did not succeed, as `GroupResult.cause` carries it: the tagged error, `_tag` and fields in JSON. */
export const GroupFailure = Schema.Union(
  RollBackCause,
  plain(E.RollBackFailed, "RollBackFailed", { group: Schema.String, during: RollBackCause, error: AwsOrMissing, terminated: Strings }),
  plain(E.CommitFailed, "CommitFailed", { group: Schema.String, error: AwsOrMissing, terminated: Strings }),
  NotRolledCause
).annotations({ identifier: "GroupFailure" })
