export { TemplateBucket, type TemplateObject } from "../services/TemplateBucket.js"
