export { Alarms, type AlarmState, type AlarmStateValue } from "../services/Alarms.js"
