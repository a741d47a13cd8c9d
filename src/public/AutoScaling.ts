export {
  type AsgInstance,
  AutoScaling,
  type AutoScalingGroup,
  type GroupSizes,
  type LaunchTemplateRef,
  type ManagedInstance
} from "../services/AutoScaling.js"
