export { LaunchTemplates, type LaunchTemplateVersions } from "../services/LaunchTemplates.js"
