export { createWorld, type World, type WorldOptions } from "./world.js";
export { calibrationReport, formatCalibration, type CalibrationReport, type SkillCalibration } from "./calibration.js";
export { DEFAULT_AGENTS } from "./agents.js";
export { SKILLS, FAMILY_SPECS } from "./skills.js";
export { formatNumber } from "./numbers.js";
export type { GroundTruth, AgentStanding } from "./truth.js";
export type { CorpusDoc } from "./corpus.js";
export type {
  SimTask,
  SimStep,
  SimFacts,
  SimProgram,
  SimAgentProfile,
  SkillSpec,
  FamilySpec,
  Family,
} from "./types.js";
export { FAMILIES } from "./types.js";
export { decideSimStep, type SimDecision } from "./act.js";
