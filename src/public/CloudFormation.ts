export {
  type ChangeSetDescription,
  CloudFormation,
  type ParameterInput,
  type ResourceChange,
  type Stack,
  type StackActionInput,
  type StackEvent,
  type StackParameter,
  type StackResource,
  type StackTag,
  type TemplateParameterDeclaration,
  type TemplateSource,
  type UpdateStarted,
  type ValidatedTemplate
} from "../services/CloudFormation.js"
