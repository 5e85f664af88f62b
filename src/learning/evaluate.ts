import { skillIdentifier, stepSkills } from "../../handbook/identify.js";
import { selectAgent, type Estimator, type Shrinkage, type Strategy } from "../../handbook/select.js";
import type { Handbook } from "../../handbook/schema.js";
import type { ExecutionRecord } from "../records/schema.js";
import { groupRecords, type AgentOutcome, type QueryItem } from "./queries.js";

/**
 * Replay evaluation: route each routing point with the handbook (identify its skills with the matcher, select an
 * agent with the handbook's rule) and score it by what that agent was recorded to do there. Pure.
 */

/** Recorded outcomes by routing point and agent (build once, evaluate many handbooks). */
export interface ReplayIndex {
  points: readonly QueryItem[];
  outcomes: ReadonlyMap<string, ReadonlyMap<string, AgentOutcome>>;
}

export function replayIndex(source: readonly QueryItem[] | readonly ExecutionRecord[]): ReplayIndex {
  const points: readonly QueryItem[] =
    source.length > 0 && "outcomes" in source[0]!
      ? (source as readonly QueryItem[])
      : groupRecords(source as readonly ExecutionRecord[]);
  const outcomes = new Map<string, Map<string, AgentOutcome>>();
  for (const p of points) outcomes.set(p.key, new Map(p.outcomes.filter((o) => o.acted).map((o) => [o.agent, o])));
  return { points, outcomes };
}

export interface HandbookEvaluateOptions {
  lambda?: number;
  strategy?: Strategy;
  estimator?: Estimator;
  seed?: string | number;
  /** Hierarchical shrinkage of the competence prior (selectAgent's option; default there: "auto"). */
  shrinkage?: Shrinkage;
}

export interface Evaluation {
  /** Routing points evaluated. */
  points: number;
  /** Mean recorded score of the chosen agents (a choice with no record scores 0 and counts as missing). */
  accuracy: number;
  meanCostUsd: number;
  /** Mean cost of always taking the most expensive recorded agent: the normaliser of `objective`. */
  maxMeanCostUsd: number;
  costEstimated: boolean;
  /** accuracy − λ·meanCost/maxMeanCost. */
  objective: number;
  /** Choices with no recorded outcome. */
  missing: number;
  /** Calls per agent. */
  calls: Record<string, number>;
}

/**
 * Evaluate a handbook on the routing points of `queries` (query ids; all points when omitted) by replay.
 * `records` are execution records or a prebuilt ReplayIndex.
 */
export function evaluateHandbook(
  h: Handbook,
  records: readonly ExecutionRecord[] | ReplayIndex,
  queries: readonly string[] | undefined,
  opts: HandbookEvaluateOptions = {},
): Evaluation {
  const index =
    "points" in records && "outcomes" in records
      ? (records as ReplayIndex)
      : replayIndex(records as readonly ExecutionRecord[]);
  const want = queries ? new Set(queries) : undefined;
  const identifier = skillIdentifier(h);
  const lambda = opts.lambda ?? 0;
  const calls: Record<string, number> = {};
  let n = 0;
  let score = 0;
  let cost = 0;
  let maxCost = 0;
  let missing = 0;
  let estimated = false;
  for (const p of index.points) {
    if (want && !want.has(p.queryId)) continue;
    const recorded = index.outcomes.get(p.key)!;
    if (recorded.size === 0) continue;
    n++;
    let top = 0;
    for (const o of recorded.values()) top = Math.max(top, o.costUsd);
    maxCost += top;
    const decision = selectAgent(h, {
      mode: p.mode,
      ...stepSkills(h, identifier, p.text, p.mode),
      lambda,
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      ...(opts.estimator ? { estimator: opts.estimator } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
      explain: false,
    });
    const chosen = decision.chosen;
    const o = chosen ? recorded.get(chosen) : undefined;
    if (!o) {
      missing++;
      continue;
    }
    calls[o.agent] = (calls[o.agent] ?? 0) + 1;
    score += o.score;
    cost += o.costUsd;
    estimated ||= o.costEstimated;
  }
  const accuracy = n > 0 ? score / n : 0;
  const meanCostUsd = n > 0 ? cost / n : 0;
  const maxMeanCostUsd = n > 0 ? maxCost / n : 0;
  const objective = accuracy - lambda * (maxMeanCostUsd > 0 ? meanCostUsd / maxMeanCostUsd : 0);
  return { points: n, accuracy, meanCostUsd, maxMeanCostUsd, costEstimated: estimated, objective, missing, calls };
}

/** Reference points on the same routing points: each single agent, and the per-point oracle (best score, then cheapest). */
export function replayBaselines(
  index: ReplayIndex,
  queries?: readonly string[],
): {
  agents: Record<string, { accuracy: number; meanCostUsd: number }>;
  oracle: { accuracy: number; meanCostUsd: number };
} {
  const want = queries ? new Set(queries) : undefined;
  const sums = new Map<string, { s: number; c: number; n: number }>();
  let n = 0;
  let os = 0;
  let oc = 0;
  for (const p of index.points) {
    if (want && !want.has(p.queryId)) continue;
    const rec = index.outcomes.get(p.key)!;
    if (rec.size === 0) continue;
    n++;
    let best: AgentOutcome | undefined;
    for (const o of rec.values()) {
      const t = sums.get(o.agent) ?? { s: 0, c: 0, n: 0 };
      t.s += o.score;
      t.c += o.costUsd;
      t.n++;
      sums.set(o.agent, t);
      if (!best || o.score > best.score || (o.score === best.score && o.costUsd < best.costUsd)) best = o;
    }
    os += best!.score;
    oc += best!.costUsd;
  }
  const agents: Record<string, { accuracy: number; meanCostUsd: number }> = {};
  for (const [a, t] of [...sums].sort((x, y) => (x[0] < y[0] ? -1 : 1)))
    agents[a] = { accuracy: t.s / n, meanCostUsd: t.c / n };
  return { agents, oracle: { accuracy: n ? os / n : 0, meanCostUsd: n ? oc / n : 0 } };
}
