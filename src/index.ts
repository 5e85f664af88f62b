/**
 * The public API of skillorchestra, for embedding in a LangChain or LangGraph app. The CLI (`src/cli/main.ts`) is
 * built on the same pieces.
 */
export {
  createOrchestrator,
  buildOrchestratorGraph,
  type CreateOrchestratorOptions,
} from "../graphs/orchestrator/graph.js";
export { printWarning, type OnWarning } from "../graphs/orchestrator/warnings.js";
export type { OrchestratorStateType, RoutingDecision, Step, StopReason, Task } from "../graphs/orchestrator/state.js";
export type { ApprovalReply } from "../graphs/orchestrator/nodes.js";
export { buildLearningGraph } from "../graphs/learning/graph.js";
export type { Selection } from "./learning/choose.js";
export * from "../handbook/index.js";
export { createChatClient } from "./providers/openai.js";
export {
  AgentCallError,
  StructuredOutputError,
  type Agent,
  type StepRequest,
  type StepResult,
} from "./providers/index.js";
export { createAgents } from "./sim/create-agents.js";
export { loadPool, savePool } from "./pool/load.js";
export { PoolSchema, type Pool, type AgentSpec } from "./pool/schema.js";
export { readRecords, loadRecords, RecordWriter } from "./records/io.js";
export { ExecutionRecordSchema, type ExecutionRecord } from "./records/schema.js";
export { recordFeedback, type Feedback, type FeedbackResult } from "./records/feedback.js";
export { FileRunRecords, StoreRunRecords, type RunRecordsSink } from "./records/run-sink.js";
export type { OutcomeRecord, OutcomeSource, RunRecord, RunRecords, StepRecord } from "./records/run-records.js";
export { explore, exploreTrajectories, planExploration } from "./explore/index.js";
export { graphTrajectoryRunner, liveEvaluator, answerScorer } from "./eval/live.js";
export {
  publishHandbook,
  listVersions,
  rollback,
  resolveVersion,
  readPublication,
} from "./registry/handbooks.js";
export { openStore } from "./registry/open.js";
export { FileStore } from "./registry/file-store.js";
export { InputError } from "./core/errors.js";
export { LocalSearch, readCorpus, type CorpusDocument, type SearchBackend } from "../tools/search/index.js";
