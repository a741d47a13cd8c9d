import { afterEach, beforeEach, expect } from "vitest"
import { FaultProxy } from "./FaultProxy.js"
import { resetMoto } from "./moto.js"

/** A fresh moto and a fresh fault proxy for every test of the file; `proxy()` is the current one. */
export const proxyPerTest = (motoUrl: string): (() => FaultProxy) => {
  let current: FaultProxy | undefined
  beforeEach(async () => {
    await resetMoto(motoUrl)
    current = await FaultProxy.start(motoUrl)
  })
  afterEach(async () => {
    const errors = [...(current?.errors ?? [])]
    await current?.close()
    current = undefined
    // A hook that threw, or a call moto never answered, is a broken test setup: say so.
    expect(errors).toEqual([])
  })
  return () => {
    if (current === undefined) throw new Error("the fault proxy exists only inside a test")
    return current
  }
}
