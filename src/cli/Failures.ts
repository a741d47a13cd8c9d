import { ExitCode } from "./ExitCodes.js"

/** Every expected failure as one human line and its exit code; anything else is a bug and says so. */
export const describeFailure = (e: unknown): { readonly line: string; readonly code: number } => {
  const tagged = e as { readonly _tag?: string } & Record<string, any>
  switch (tagged._tag) {
    case "InvalidInput":
      return { line: tagged.message, code: ExitCode.invalid }
    case "TemplateInvalid":
      return { line: `the template is invalid: ${tagged.message}`, code: ExitCode.invalid }
    case "StackNotFound":
      return { line: `stack ${tagged.stackName} does not exist (check the name and --region)`, code: ExitCode.invalid }
    case "StackBusy":
      return {
        line: `stack ${tagged.stackName} is ${tagged.status}: wait until CloudFormation finishes, then run again`,
        code: ExitCode.invalid
      }
    case "UpdatePolicyPresent":
      return {
        line: `group ${tagged.group} (${tagged.logicalId}) has an UpdatePolicy (${tagged.policies.join(", ")}) in the stack's template: CloudFormation would fight the rollout; remove the UpdatePolicy from ${tagged.logicalId}, then run again`,
        code: ExitCode.invalid
      }
    case "GroupNotFound":
      return { line: `Auto Scaling group ${tagged.group} of stack ${tagged.stackName} does not exist`, code: ExitCode.invalid }
    case "GroupBusy":
      return { line: `group ${tagged.group} is busy: ${tagged.reason}; run again when it is done`, code: ExitCode.invalid }
    case "TemplateTooLarge":
      return {
        line: `the template body is ${tagged.bytes.toLocaleString("en-US")} bytes, over CloudFormation's limit of ${tagged.limit.toLocaleString("en-US")} bytes for a body: give --s3-bucket BUCKET to have it uploaded there and sent as a TemplateURL (or upload it yourself and pass --template s3://bucket/key)`,
        code: ExitCode.invalid
      }
    case "BucketNotFound":
      return {
        line: `S3 bucket ${tagged.bucket} does not exist (--s3-bucket): create it in the stack's region, or name another; nothing was changed`,
        code: ExitCode.invalid
      }
    case "StackNotUpdatable":
      return { line: `stack ${tagged.stackName} is ${tagged.status} and cannot be updated: ${tagged.advice}`, code: ExitCode.invalid }
    case "StackActionFailed": {
      const reasons: ReadonlyArray<string> = tagged.reasons
      const created = tagged.status === "ROLLBACK_COMPLETE" || tagged.status === "ROLLBACK_FAILED"
      return {
        line: `stack ${tagged.stackName} ended ${tagged.status}${reasons.length > 0 ? `: ${reasons.join("; ")}` : ""}${created ? "; a stack whose creation failed must be deleted before it can be created again" : ""}`,
        code: ExitCode.stackFailed
      }
    }
    case "StackActionTimedOut": {
      const status = tagged.status === "" ? "" : ` (now ${tagged.status})`
      const what = tagged.phase === "start"
        ? `no event of our action within the ${tagged.seconds} s warm-up`
        : tagged.phase === "idle"
        ? `no new event for ${tagged.seconds} s (--action-timeout)`
        : `the change set was not ready within ${tagged.seconds} s`
      return {
        line: `stack ${tagged.stackName}: ${what}${status}; we stopped waiting, CloudFormation goes on by itself: follow it with aws cloudformation describe-stack-events --stack-name ${tagged.stackName}`,
        code: ExitCode.stackFailed
      }
    }
    case "RecordDoesNotFit":
      return {
        line: `group ${tagged.group} has ${tagged.tags} tags; the rollout record needs ${tagged.needed} more and AWS allows 50 per group: remove some tags first`,
        code: ExitCode.invalid
      }
    case "WarmPoolPresent":
      return {
        line: `group ${tagged.group} has a warm pool (${tagged.size} instance(s)): a scale-out takes its instances first and they run the launch spec they were built with, so the rollout would bring the old release back; delete the pool (aws autoscaling delete-warm-pool --auto-scaling-group-name ${tagged.group} --force-delete) or let it drain, then run again`,
        code: ExitCode.invalid
      }
    case "RolloutInProgress":
      return {
        line: `group ${tagged.group} carries the record of a rollout that did not finish (phase ${tagged.phase}, started ${tagged.since}): run "aws-ha-updater recover ${tagged.stackName}" first`,
        code: ExitCode.invalid
      }
    case "RolloutHeld":
      return {
        line: `another rollout holds group ${tagged.group}${tagged.holder === "unknown" ? "" : ` (run ${tagged.holder})`}: ${tagged.reason}; nothing was changed. Let it finish; if that run is gone (killed, a lost runner), its heartbeat goes stale after 3 intervals and "aws-ha-updater recover ${tagged.stackName}" takes over (--force does so at once)`,
        code: ExitCode.invalid
      }
    case "RecordUnreadable":
      return {
        line: `group ${tagged.group} carries a damaged rollout record: ${tagged.what}; recover cannot tell old instances from new safely: ${tagged.check}`,
        code: ExitCode.invalid
      }
    case "RollbackUnsafe":
      return {
        line: `group ${tagged.group}: only ${tagged.oldCapacity} of ${tagged.needed} old capacity is left and ${tagged.healthyNew} new capacity serves: rolling back would drop serving capacity; run "aws-ha-updater recover ${tagged.stackName} --mode complete" (or --mode auto)`,
        code: ExitCode.invalid
      }
    case "AlarmGateRefused":
      return {
        line: tagged.problem === "missing"
          ? `CloudWatch has no alarm named ${tagged.alarm} in this region (--alarm): check the name; nothing was changed`
          : `alarm ${tagged.alarm} is already in ALARM (${tagged.reason}): a rollout gated by it could only roll back; nothing was changed`,
        code: ExitCode.invalid
      }
    case "CredentialsError":
      return {
        line: `AWS credentials are missing, invalid or expired (${tagged.operation}: ${tagged.message}): set AWS_PROFILE or --profile, run "aws sso login", or export fresh keys`,
        code: ExitCode.aws
      }
    case "AccessDenied":
      return {
        line: `AWS denied ${tagged.operation} (${tagged.message}): grant it to your role (see the README's IAM policy)`,
        code: ExitCode.aws
      }
    case "Throttled":
      return { line: `AWS kept throttling ${tagged.operation} after every retry: run again later`, code: ExitCode.aws }
    case "TransientAwsError":
      return { line: `AWS kept failing ${tagged.operation} after every retry (${tagged.message}): run again later`, code: ExitCode.aws }
    case "ScalingActivityInProgress":
    case "ResourceContention":
      return { line: `Auto Scaling stayed busy for ${tagged.operation} after every retry (${tagged.message}): check the group's activities, then run again`, code: ExitCode.aws }
    case "AwsValidationError":
      return { line: `AWS refused ${tagged.operation}: ${tagged.message}`, code: ExitCode.aws }
    case "AwsCallFailed":
      return { line: `AWS call ${tagged.operation} failed: ${tagged.message}`, code: ExitCode.aws }
    default:
      return { line: `unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, code: ExitCode.aws }
  }
}
