import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"

/** An environment variable, through the ConfigProvider (the process's env in the CLI); blank counts as unset, as in the AWS CLI. */
export const fromEnv = (name: string): Config.Config<string> =>
  Config.string(name).pipe(
    Config.mapOrFail((value) =>
      value.trim() === "" ? Either.left(ConfigError.MissingData([name], `${name} is blank`)) : Either.right(value.trim())
    )
  )

export const region = Options.text("region").pipe(
  Options.withPseudoName("REGION"),
  Options.withFallbackConfig(Config.orElse(fromEnv("AWS_REGION"), () => fromEnv("AWS_DEFAULT_REGION"))),
  Options.withDescription("AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region, else eu-west-1)"),
  Options.optional
)

export const profile = Options.text("profile").pipe(
  Options.withPseudoName("PROFILE"),
  Options.withFallbackConfig(fromEnv("AWS_PROFILE")),
  Options.withDescription("profile of the shared AWS config files (default: AWS_PROFILE, else the default chain)"),
  Options.optional
)

export const endpointUrl = Options.text("endpoint-url").pipe(
  Options.withPseudoName("URL"),
  Options.withDescription("send every AWS call to this endpoint, e.g. a local emulator (AWS_ENDPOINT_URL also works)"),
  Options.optional
)

/** Text, parsed by `withCallTimeout`: a bad value gets one clear line and exit 2 rather than the parser's usage dump. */
export const callTimeout = Options.text("call-timeout").pipe(
  Options.withPseudoName("SECONDS"),
  Options.withDescription("seconds one attempt of an AWS call may take before it is abandoned and retried (default: 30)"),
  Options.withDefault("30")
)

export const healthyTimeout = Options.integer("healthy-timeout").pipe(
  Options.withPseudoName("SECONDS"),
  Options.withDescription("seconds the new instances have to become healthy everywhere (default: 600)"),
  Options.withDefault(600)
)

export const pollInterval = Options.integer("poll-interval").pipe(
  Options.withPseudoName("SECONDS"),
  Options.withDescription("seconds between two health polls while waiting (default: 5)"),
  Options.withDefault(5)
)

export const replaceAll = Options.boolean("replace-all").pipe(
  Options.withDescription("replace every running instance even when none is outdated (default: off)")
)

export const output = Options.choice("output", ["text", "json"]).pipe(
  Options.withDescription("text lines, or NDJSON events ending with a summary object (default: text)"),
  Options.withDefault("text" as const)
)

export const asgs = Options.text("asg").pipe(
  Options.withPseudoName("NAME"),
  Options.withDescription("roll only this group: its name, its path through nested stacks (Web/Group), or its logical id where only one group has it; repeatable (default: all the groups of the stack and its nested stacks)"),
  Options.repeated,
  // None is a choice, and the usage line shows it: [--asg NAME]...
  Options.withDefault([])
)

export const parallel = Options.text("parallel").pipe(
  Options.withPseudoName("N|all"),
  Options.withDescription("how many groups roll at once, or all (default: 1, one by one)"),
  Options.withDefault("1")
)

export const freezeScaling = Options.boolean("freeze-scaling").pipe(
  Options.withDescription("suspend AlarmNotification too, so scaling policies stay still for the whole rollout (default: off: they keep working, the raised min keeps scale-in away, and what they add is kept)")
)

export const maxSurge = Options.text("max-surge").pipe(
  Options.withPseudoName("N|P%"),
  Options.withDescription("capacity launched beyond the group's at any moment: N units or P% of the running capacity, rounded up, at least 1; the group is replaced in waves of this size (default: 100%, one wave)"),
  Options.withDefault("100%")
)

export const canary = Options.text("canary").pipe(
  Options.withPseudoName("N|P%"),
  Options.withDescription("the first wave launches only this much (N units or P%); the rest follows in --max-surge waves (default: no canary)"),
  Options.optional
)

export const bake = Options.integer("bake").pipe(
  Options.withPseudoName("SECONDS"),
  Options.withDescription("seconds a wave's new instances are watched once healthy before old ones go; one turning unhealthy or leaving, or an alarm, rolls the wave back (default: 0)"),
  Options.withDefault(0)
)

export const alarms = Options.text("alarm").pipe(
  Options.withPseudoName("NAME"),
  Options.withDescription("a CloudWatch alarm read in every poll round while waiting and baking: ALARM rolls the current wave back; one missing or already in ALARM refuses the run (repeatable; default: none)"),
  Options.repeated,
  Options.withDefault([])
)
