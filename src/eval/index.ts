/** Evaluation: routing over recorded outcomes, baselines, metrics, frontiers, tables and the HTML report. */
export {
  agentStats,
  buildReplayTable,
  byAccuracyThenCost,
  routeAll,
  type AgentStats,
  type ReplayOutcome,
  type ReplayOptions,
  type ReplayQuery,
  type ReplayTable,
  type RouteAllOptions,
  type RoutedQuery,
  type RouteQuery,
  type Router,
  type RoutingResult,
} from "./replay.js";
export {
  bestSingleAgent,
  cheapestAgent,
  knnRouter,
  oracleCheapestCorrectRouter,
  oracleRouter,
  perTaskBest,
  randomRouter,
  type FixedRouter,
  type KnnCandidate,
  type KnnExplanation,
  type KnnOptions,
  type KnnRouter,
  type PerTaskRouter,
} from "./baselines.js";
export { buildTfidfIndex, tfidfTokens, type Neighbour, type TfidfVector, type TfidfIndex } from "./tfidf.js";
export {
  aggregateSeeds,
  callShares,
  collapse,
  gapRecovered,
  mostExpensiveAgent,
  normalisedEntropy,
  routingMetrics,
  stat,
  type Collapse,
  type MetricContext,
  type RoutingMetrics,
  type SeededMetrics,
  type Stat,
  type TaskMetrics,
} from "./metrics.js";
export { frontierAuc, paretoFrontier, type AucRange, type CostAccuracyPoint } from "../core/frontier.js";
export {
  evaluate,
  mostAccurateWithin,
  type EvaluateOptions,
  type RouterComparison,
  type FrontierPoint,
  type FrontierSummary,
  type RouterKind,
  type RouterRow,
  type RouterSpec,
} from "./evaluate.js";
export {
  costQualifier,
  formatCallShares,
  formatEvaluation,
  formatResultsTable,
  formatStat,
  formatUsd,
  renderTable,
  type FormatOptions,
  type TableFormat,
} from "./format.js";
export { escapeHtml, heatMapRows, renderReport, type ReportData } from "./report-html.js";
