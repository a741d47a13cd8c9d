export { CallGuard } from "../layers/fake/FakeCalls.js"
export { layer } from "../layers/fake/FakeAws.js"
