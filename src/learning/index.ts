/** Learning a Skill Handbook from execution records: pure phases, their file-level runners, and the learning log. */
export { splitLabelled, type LabelledOptions, type LabelledSplit } from "./labelled.js";
export { groupRecords, itemKey, modesOf, agentsByMode, type AgentOutcome, type QueryItem } from "./queries.js";
export {
  statisticalDiscoverer,
  clusterSkills,
  outcomeMatrix,
  tableOf,
  skillsOfCategory,
  type Discoverer,
  type DiscoverInput,
  type DiscoverOutput,
  type StatisticalOptions,
} from "./discover.js";
export {
  llmDiscoverer,
  llmNamer,
  contrastive,
  discoveryPrompt,
  DiscoveryResponseSchema,
  DEFAULT_CONTEXT_LIMIT,
  type LlmDiscovererOptions,
} from "./discover-llm.js";
export { identifyAll } from "./identify.js";
export { profile, evidenceFrom, skeletonHandbook, type AgentInfo } from "./profile.js";
export { modeInsights, agentNotes, type InsightOptions } from "./insights.js";
export {
  refine,
  type Namer,
  type NameRequest,
  type RefineOptions,
  type RefineResult,
  type RefinementStep,
} from "./refine.js";
export {
  evaluateHandbook,
  replayIndex,
  replayBaselines,
  type Evaluation,
  type HandbookEvaluateOptions,
  type ReplayIndex,
} from "./evaluate.js";
export {
  chooseHandbook,
  paretoIndices,
  granularities,
  candidateId,
  type CandidateHandbook,
  type ChooseOptions,
  type Selection,
} from "./choose.js";
export {
  LearningLog,
  readLog,
  learningCost,
  formatLearningCost,
  type LearningCost,
  type LlmCall,
  type LogEntry,
} from "./log.js";
export {
  autoProgress,
  barProgress,
  lineProgress,
  silentProgress,
  type PhaseProgress,
  type ProgressFactory,
} from "./progress.js";
export { gTest, profileTest, perAgentTests, chiSquareSurvival, type TestResult, type OutcomeTable } from "./stats.js";
export {
  LEARNING_DEFAULTS,
  learningSettings,
  newRunId,
  Handoff,
  loadData,
  readSkills,
  readSplit,
  runDiscover,
  runProfile,
  runRefine,
  runSelect,
  runSplit,
  type LearningSettings,
  type PhaseIO,
  type RefineReport,
} from "./pipeline.js";
