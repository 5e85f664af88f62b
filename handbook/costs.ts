import type { Mode } from "../src/core/modes.js";
import type { AgentProfile, CostStats } from "./schema.js";

/** One call's cost, to fold into an agent's per-mode running means. */
export interface CostObservation {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
  estimated?: boolean;
}

/** Fold one observation into running means (incremental mean; `estimated` sticks once any input was estimated). */
export function addCostObservation(stats: CostStats | undefined, obs: CostObservation): CostStats {
  const n = stats?.count ?? 0;
  const mean = (old: number | undefined, x: number) => ((old ?? 0) * n + x) / (n + 1);
  return {
    meanPromptTokens: mean(stats?.meanPromptTokens, obs.promptTokens),
    meanCompletionTokens: mean(stats?.meanCompletionTokens, obs.completionTokens),
    meanCostUsd: mean(stats?.meanCostUsd, obs.costUsd),
    meanLatencyMs: mean(stats?.meanLatencyMs, obs.latencyMs),
    count: n + 1,
    estimated: (stats?.estimated ?? false) || (obs.estimated ?? false),
  };
}

/** Combine two cost summaries of the same agent and mode as if their observations were pooled. */
export function mergeCostStats(a: CostStats, b: CostStats): CostStats {
  const n = a.count + b.count;
  if (n === 0) return { ...a, estimated: a.estimated || b.estimated };
  const mean = (x: number, y: number) => (x * a.count + y * b.count) / n;
  return {
    meanPromptTokens: mean(a.meanPromptTokens, b.meanPromptTokens),
    meanCompletionTokens: mean(a.meanCompletionTokens, b.meanCompletionTokens),
    meanCostUsd: mean(a.meanCostUsd, b.meanCostUsd),
    meanLatencyMs: mean(a.meanLatencyMs, b.meanLatencyMs),
    count: n,
    estimated: a.estimated || b.estimated,
  };
}

/** Expected USD per call of an agent in a mode, or null when the handbook has no cost statistics for it. */
export function expectedCost(profile: AgentProfile, mode: Mode): number | null {
  const c = profile.costs[mode];
  return c ? c.meanCostUsd : null;
}
