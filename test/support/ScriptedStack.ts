import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import type { RolloutEvent } from "../../src/program/Events.js"
import { defaultWaitOptions, followAction, STACK_TYPE, type StackAction } from "../../src/program/stack/StackWait.js"
import { CloudFormation, type Stack, type StackEvent, type StackResource } from "../../src/services/CloudFormation.js"
import { AwsCallFailed } from "../../src/services/Errors.js"
import { collecting } from "./World.js"

/**
 * CloudFormation as a script: each stack's events appear at their timestamps (TestClock time), pages of `pageSize`
 * newest first as DescribeStackEvents gives them; a stack with no script cannot be read, and any other call dies.
 */
export interface Script {
  readonly events: Readonly<Record<string, ReadonlyArray<StackEvent>>>
  readonly stack?: Option.Option<Stack>
  readonly resources?: Readonly<Record<string, ReadonlyArray<StackResource>>>
  /** How many reads of a stack's events fail before they succeed. */
  readonly failing?: Readonly<Record<string, number>>
  readonly pageSize?: number
  /** How long each read of a stack's events takes (TestClock ms). */
  readonly readTakes?: number
}

export const scripted = (script: Script) =>
  Effect.gen(function*() {
    const reads: Array<{ readonly stack: string; readonly at: number; readonly failed: boolean }> = []
    let inFlight = 0
    let mostInFlight = 0
    const failures = new Map(Object.entries(script.failing ?? {}))
    const size = script.pageSize ?? 100
    const unscripted = (operation: string) => () => Effect.dieMessage(`the script has no ${operation}`)
    const cfn = CloudFormation.of({
      describeStack: () => Effect.succeed(script.stack ?? Option.none()),
      listResources: (stackName) => Effect.succeed(script.resources?.[stackName] ?? []),
      stackEvents: (stackName, stop) =>
        Effect.gen(function*() {
          mostInFlight = Math.max(mostInFlight, ++inFlight)
          if (script.readTakes !== undefined) yield* Effect.sleep(script.readTakes)
          const now = yield* Clock.currentTimeMillis
          const all = script.events[stackName]
          const left = failures.get(stackName) ?? 0
          if (all === undefined || left > 0) {
            failures.set(stackName, left - 1)
            reads.push({ stack: stackName, at: now, failed: true })
            return yield* Effect.fail(new AwsCallFailed({ operation: "DescribeStackEvents", message: `Stack [${stackName}] does not exist` }))
          }
          const newestFirst = all.filter((e) => e.timestamp <= now).reverse()
          const got: Array<StackEvent> = []
          for (let start = 0; start < newestFirst.length || start === 0; start += size) {
            const page = newestFirst.slice(start, start + size)
            reads.push({ stack: stackName, at: now, failed: false })
            got.push(...page)
            if (page.length < size || page.some(stop)) break
          }
          return got
        }).pipe(Effect.ensuring(Effect.sync(() => void inFlight--))),
      getTemplate: unscripted("GetTemplate"),
      validateTemplate: unscripted("ValidateTemplate"),
      createStack: unscripted("CreateStack"),
      updateStack: unscripted("UpdateStack"),
      createChangeSet: unscripted("CreateChangeSet"),
      describeChangeSet: unscripted("DescribeChangeSet"),
      deleteChangeSet: unscripted("DeleteChangeSet"),
      updateTerminationProtection: unscripted("UpdateTerminationProtection")
    })
    return { layer: Layer.succeed(CloudFormation, cfn), reads, mostInFlight: () => mostInFlight }
  })

export const TOKEN = "aws-ha-updater-1"
export const ACTION: StackAction = { stackName: "shop", clientRequestToken: TOKEN, startedAt: 0, earlier: new Set() }
export const NESTED = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-Web-1A2B/0f0e"

let id = 0
/** An event of the action `at` seconds after its start; the stack's own unless `logicalId` says otherwise. */
export const ev = (at: number, status: string, fields: Partial<StackEvent> = {}): StackEvent => ({
  eventId: `e${++id}`,
  stackName: "shop",
  timestamp: at * 1000,
  logicalId: "shop",
  physicalId: "shop",
  resourceType: STACK_TYPE,
  status,
  clientRequestToken: TOKEN,
  ...fields
})

/** The nested stack's own event (nested stacks' events carry their own name and no token of ours). */
export const nestedOwn = (at: number, status: string): StackEvent =>
  ev(at, status, { stackName: "shop-Web-1A2B", logicalId: "shop-Web-1A2B", physicalId: NESTED, clientRequestToken: "" })
export const nestedResource = (at: number, status: string, logicalId = "Group"): StackEvent =>
  ev(at, status, { stackName: "shop-Web-1A2B", logicalId, physicalId: "shop-web-group", resourceType: "AWS::AutoScaling::AutoScalingGroup", clientRequestToken: "" })
/** The parent's event about its nested stack `Web`; `null`: one that carries no physical id. */
export const aboutWeb = (at: number, status: string, physicalId: string | null = NESTED): StackEvent => {
  const { physicalId: _, ...e } = ev(at, status, { logicalId: "Web" })
  return physicalId === null ? e : { ...e, physicalId }
}

export const described = (status: string, statusReason?: string): Option.Option<Stack> =>
  Option.some({
    stackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1",
    stackName: "shop",
    status,
    ...(statusReason === undefined ? {} : { statusReason }),
    parameters: [],
    capabilities: [],
    tags: [],
    terminationProtection: false,
    notificationArns: []
  })

/** Follows ACTION against the script on the TestClock, a second at a time; what it returned and reported. */
export const follow = (script: Script) =>
  Effect.gen(function*() {
    const { layer, reads, mostInFlight } = yield* scripted(script)
    const events: Array<RolloutEvent> = []
    const fiber = yield* Effect.fork(collecting(followAction(ACTION, defaultWaitOptions), events).pipe(Effect.provide(layer)))
    for (let i = 0; i < 600 && Option.isNone(yield* Fiber.poll(fiber)); i++) yield* TestClock.adjust("1 second")
    const exit = yield* Fiber.await(fiber)
    const shown = events.flatMap((e) => (e.type === "stack-event" ? [`${e.stack} ${e.logicalId} ${e.status}`] : []))
    const warnings = events.flatMap((e) => (e.type === "warning" ? [e.message] : []))
    return { exit, events, shown, warnings, reads, mostInFlight }
  })
