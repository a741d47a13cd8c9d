export { type ResumedGroup, type ResumeResult, resumeStack } from "../program/recover/Resume.js"
