import * as Either from "effect/Either"
import type { LaunchTemplates } from "../../services/LaunchTemplates.js"
import { invalid, type Runner } from "./FakeCalls.js"

export const makeLaunchTemplates = (runner: Runner): typeof LaunchTemplates.Service => ({
  versions: (launchTemplateId) =>
    runner.call("DescribeLaunchTemplates", (w) => {
      const lt = w.launchTemplates.get(launchTemplateId)
      return lt === undefined
        ? invalid("DescribeLaunchTemplates", `The specified launch template, with template ID ${launchTemplateId}, does not exist.`)
        : Either.right({ latest: String(lt.latest), default: String(lt.default) })
    }, { LaunchTemplateIds: [launchTemplateId] })
})
