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
    case "AwsValidationError":
      return { line: `AWS refused ${tagged.operation}: ${tagged.message}`, code: ExitCode.aws }
    case "AwsCallFailed":
      return { line: `AWS call ${tagged.operation} failed: ${tagged.message}`, code: ExitCode.aws }
    default:
      return { line: `unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, code: ExitCode.aws }
  }
}
