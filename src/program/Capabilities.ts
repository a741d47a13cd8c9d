/** What update-stack acknowledges unless --capabilities replaces it. */
export const DEFAULT_CAPABILITIES: ReadonlyArray<string> = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
