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
import { retrying } from "../../services/Retry.js"
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
 * before re-sending a terminate exactly as the live layers do, under the `RetryPolicy` provided nearest to each call.
 */
export const layer = (
  options: FakeWorldOptions = {}
): Layer.Layer<FakeWorld | AutoScaling | LoadBalancing | CloudFormation | LaunchTemplates | Alarms | TemplateBucket> =>
  Layer.effectContext(
    Effect.gen(function*() {
      const settings = settingsOf(options)
      const ref = yield* Ref.make(emptyWorld(yield* Clock.currentTimeMillis))
      const runner = makeRunner(ref, settings)
      const autoScaling = makeAutoScaling(runner)
      return Context.make(FakeWorld, makeControl(runner)).pipe(
        Context.add(AutoScaling, yield* retrying(autoScaling, terminateLooks(autoScaling))),
        Context.add(LoadBalancing, yield* retrying(makeLoadBalancing(runner))),
        Context.add(CloudFormation, yield* retrying(makeCloudFormation(runner))),
        Context.add(LaunchTemplates, yield* retrying(makeLaunchTemplates(runner))),
        Context.add(Alarms, yield* retrying(makeAlarms(runner))),
        Context.add(TemplateBucket, yield* retrying(makeTemplateBucket(runner)))
      )
    })
  )
