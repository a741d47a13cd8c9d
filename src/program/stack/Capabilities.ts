/** What update-stack acknowledges unless --capabilities replaces it. */
export const DEFAULT_CAPABILITIES: ReadonlyArray<string> = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]

/** What a template that declares a transform (SAM, AWS::LanguageExtensions, a macro, Fn::Transform) needs. */
export const AUTO_EXPAND = "CAPABILITY_AUTO_EXPAND"
