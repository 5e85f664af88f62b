/** The Skill Handbook: schema, competence maths, agent selection, views, rendering, import and store. */
export * from "./schema.js";
export { handbookPath, integrityIssues, parseWithPath, validateHandbook, type Issue } from "./validate.js";
export {
  NO_EVIDENCE,
  addEvidence,
  credibleInterval,
  evidenceOf,
  evidenceViaAncestors,
  modeEvidence,
  observations,
  posterior,
  posteriorMean,
  posteriorQuantile,
  rawRate,
  seededRng,
  subtreeEvidence,
  thompsonSample,
  update,
} from "./competence.js";
export type { Rng } from "../src/core/random.js";
export { addCostObservation, expectedCost, mergeCostStats, type CostObservation } from "./costs.js";
export { createHandbook, recordOutcome, type TraceOutcome } from "./build.js";
export {
  categoryOf,
  selectAgent,
  type ActiveSkill,
  type Candidate,
  type DecisionRecord,
  type Estimator,
  type SelectOptions,
  type SkillCompetence,
  type Strategy,
} from "./select.js";
export {
  merge,
  split,
  subgraph,
  viewAtDepth,
  type Granularity,
  type NewSkill,
  type SplitMergeOptions,
  type SplitChild,
} from "./views.js";
export { skillIdentifier, type IdentifyOptions, type SkillIdentifier } from "./identify.js";
export { embed, fitTextModel, findBoilerplate, focus, type TextModel } from "./text.js";
export { renderHandbook, type RenderOptions } from "./render.js";
export {
  importReferenceHandbook,
  ReferenceHandbookSchema,
  type ImportOptions,
  type ReferenceImport,
  type ReferenceHandbook,
} from "./import-reference.js";
export {
  loadHandbook,
  loadReferenceHandbook,
  loadSelection,
  saveHandbook,
  selectionPathOf,
  servingChoice,
  type LoadedSelection,
} from "./store.js";
export { chooseFor, type Choice, type ServableCandidate, type ServableSelection } from "./serve.js";
export { choicePath, validationCurve, type Curve, type CurveStep } from "./lambda-path.js";
export {
  betaMean,
  consultTrajectory,
  judge,
  planFor,
  planValue,
  vote,
  type ConsultRun,
  type ConsultState,
  type GivenAnswer,
  type Judgement,
  type Limits,
  type PlanChoice,
} from "./consult.js";
export { ESTIMATOR_NAMES, QUANTILE_Q, estimatorOf, type EstimatorName } from "./estimators.js";
export {
  DEFAULT_START_STRENGTH,
  addAgent,
  drift,
  foldObservations,
  onlineState,
  type AgentStart,
  type DriftRow,
  type FoldResult,
  type ForgetOptions,
  type Observation,
  type OnlineState,
} from "./online.js";
