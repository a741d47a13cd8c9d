/**
 * Everything the commands run, behind one dynamic import: `--help`, `--version` and option errors load only the
 * command definitions, never the programs, the template parser or an HTTP client.
 */
export * as FetchHttpClient from "@effect/platform/FetchHttpClient"
export { parseAssignments } from "../template/Assignments.js"
export { loadParameterFile, mergeParameters } from "../program/stack/ParameterFile.js"
export { parseNotificationArns, parseRoleArn, parseTags, parseTemplateUpload } from "../program/stack/StackOptions.js"
export { recoverStack } from "../program/recover/Recover.js"
export { resumeStack } from "../program/recover/Resume.js"
export { parseCapabilities } from "../program/stack/StackPlan.js"
export { previewStack } from "../program/stack/StackPreview.js"
export { rollStack } from "../program/stack/StackRollout.js"
export { updateStack } from "../program/stack/StackUpdate.js"
export { stackStatus } from "../program/recover/Status.js"
export { loadTemplate } from "../program/stack/TemplateSource.js"
