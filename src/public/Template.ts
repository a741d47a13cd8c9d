// Reading a template as the checks do; the evaluation helpers behind them stay internal.
export {
  type ParameterDeclaration,
  parseTemplate,
  requiredCapabilities,
  type ResourceDeclaration,
  type TemplateDocument,
  templateParameters,
  templateResources
} from "../template/Template.js"
