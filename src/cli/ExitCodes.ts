import type { RunStatus } from "../program/Events.js"

/** The documented exit codes. */
export const ExitCode = {
  ok: 0,
  /** The CloudFormation action failed or did not finish within the limits (update-stack). */
  stackFailed: 1,
  /** Invalid invocation or input: nothing was changed in AWS. */
  invalid: 2,
  /** A rollout failed and was rolled back. */
  rolledBack: 3,
  /** AWS refused or failed: credentials, permissions, retries exhausted. */
  aws: 4,
  /** Interrupted; what was started was restored. */
  interrupted: 130
} as const

export const exitCodeOf = (status: RunStatus): number => {
  switch (status) {
    case "stack-failed":
    case "stack-timed-out":
      return ExitCode.stackFailed
    case "succeeded":
    case "up-to-date":
      return ExitCode.ok
    case "rolled-back":
      return ExitCode.rolledBack
    case "failed":
      return ExitCode.aws
    case "interrupted":
      return ExitCode.interrupted
  }
}
