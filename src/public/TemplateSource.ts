export { type LoadedTemplate, loadTemplate, type LoadOptions } from "../program/stack/TemplateSource.js"
