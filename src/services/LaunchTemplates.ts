import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AwsError } from "./Errors.js"

export interface LaunchTemplateVersions {
  readonly latest: string
  readonly default: string
}

/** Resolves "$Latest" / "$Default" of a launch template (EC2; loaded only when a group uses them). */
export class LaunchTemplates extends Context.Tag("aws-ha-updater/LaunchTemplates")<
  LaunchTemplates,
  {
    readonly versions: (launchTemplateId: string) => Effect.Effect<LaunchTemplateVersions, AwsError>
  }
>() {}
