import * as Effect from "effect/Effect"

/** The programs, loaded on first use by a command's handler. */
export const programs = Effect.promise(() => import("./Programs.js"))
