export { type ParameterChange, type PlannedChange, previewStack, type StackPreview } from "../program/stack/StackPreview.js"
