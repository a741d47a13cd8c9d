/**
 * What a user's tests need to run the rollout against the simulated AWS world, as namespaces like the main entry's:
 * the services and errors themselves come from `aws-ha-updater`.
 */
export * as FakeAws from "./public/FakeAws.js"
export * as FakeWorld from "./public/FakeWorld.js"
