import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { Alarms } from "../../services/Alarms.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import { CloudFormation } from "../../services/CloudFormation.js"
import { LaunchTemplates } from "../../services/LaunchTemplates.js"
import { LoadBalancing } from "../../services/LoadBalancing.js"
import { TemplateBucket } from "../../services/TemplateBucket.js"
import { retrying, RetryPolicy } from "../../services/Retry.js"
import { terminateLooks } from "../../services/TerminateCheck.js"
import { makeAlarms } from "./FakeAlarms.js"
import { makeAutoScaling } from "./FakeAutoScaling.js"
import { makeRunner } from "./FakeCalls.js"
import { makeCloudFormation } from "./FakeCloudFormation.js"
import { makeControl } from "./FakeControl.js"
import { makeLaunchTemplates } from "./FakeLaunchTemplates.js"
import { makeLoadBalancing } from "./FakeLoadBalancing.js"
import { makeTemplateBucket } from "./FakeS3.js"
import { emptyWorld, settingsOf } from "./FakeState.js"
import { FakeWorld, type FakeWorldOptions } from "./FakeWorld.js"

/**
 * One simulated AWS world behind every service, plus its control side. The services time out, retry and look
 * before re-sending a terminate exactly as the live layers do, with the `RetryPolicy` in scope when the layer is built.
 */
export const layer = (
  options: FakeWorldOptions = {}
): Layer.Layer<FakeWorld | AutoScaling | LoadBalancing | CloudFormation | LaunchTemplates | Alarms | TemplateBucket> =>
  Layer.effectContext(
    Effect.gen(function*() {
      const settings = settingsOf(options)
      const ref = yield* Ref.make(emptyWorld(yield* Clock.currentTimeMillis))
      const policy = yield* RetryPolicy
      const runner = makeRunner(ref, settings)
      const autoScaling = makeAutoScaling(runner)
      return Context.make(FakeWorld, makeControl(runner)).pipe(
        Context.add(AutoScaling, retrying(autoScaling, policy, terminateLooks(autoScaling))),
        Context.add(LoadBalancing, retrying(makeLoadBalancing(runner), policy)),
        Context.add(CloudFormation, retrying(makeCloudFormation(runner), policy)),
        Context.add(LaunchTemplates, retrying(makeLaunchTemplates(runner), policy)),
        Context.add(Alarms, retrying(makeAlarms(runner), policy)),
        Context.add(TemplateBucket, retrying(makeTemplateBucket(runner), policy))
      )
    })
  )
