/**
 * Everything the commands run, behind one dynamic import: `--help`, `--version` and option errors load only the
 * command definitions, never the programs, the template parser or an HTTP client.
 */
export * as FetchHttpClient from "@effect/platform/FetchHttpClient"
export { parseAssignments } from "../program/Parameters.js"
export { loadParameterFile, mergeParameters } from "../program/ParameterFile.js"
export { parseNotificationArns, parseRoleArn, parseTags, parseTemplateUpload } from "../program/StackOptions.js"
export { recoverStack } from "../program/Recover.js"
export { resumeStack } from "../program/Resume.js"
export { parseCapabilities } from "../program/StackPlan.js"
export { previewStack } from "../program/StackPreview.js"
export { rollStack } from "../program/StackRollout.js"
export { updateStack } from "../program/StackUpdate.js"
export { stackStatus } from "../program/Status.js"
export { loadTemplate } from "../program/TemplateSource.js"
