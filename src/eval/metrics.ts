import type { RoutingResult } from "./replay.js";

/**
 * Quality, cost and collapse figures of routing results (method §7).
 *
 * - accuracy: mean recorded score over the queries; mean USD per query.
 * - gap recovered = (acc − best single) / (oracle − best single); null when oracle = best single.
 * - call shares: calls of an agent / number of queries.
 * - collapse: the share of the most-used agent; the share of the most expensive agent (highest mean recorded
 *   cost per call on the evaluation queries); the normalised entropy of the choice distribution,
 *   H / ln(#agents in the pool), in [0, 1] (0: one agent gets everything; 1: uniform); 0 for a pool of one.
 * - missing: queries whose chosen agent has no record on them, scored as misses (score 0, cost 0).
 * - steps (multi-step routers, which ask agents in turn): calls per query; the share of queries whose final answer
 *   came after exactly i + 1 calls; the collapse of the agents asked at call i, over the queries that made an
 *   (i + 1)-th call. A single-step router makes one call per query: 1, [1], and the collapse of its choices.
 */

export interface Collapse {
  /** The most-used agent (ties: smaller id); null when no call was made. */
  topAgent: string | null;
  topShare: number;
  /** The most expensive agent of the pool (ties: smaller id). */
  expensiveAgent: string | null;
  expensiveShare: number;
  /** H(shares) / ln(pool size). */
  entropy: number;
}

/** Shannon entropy (natural log) of a distribution given by counts, divided by ln(poolSize). */
export function normalisedEntropy(counts: ReadonlyArray<number>, poolSize: number): number {
  if (poolSize <= 1) return 0;
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return 0;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log(c / total);
  return h / Math.log(poolSize);
}

/** The most expensive agent by mean cost per call (ties: smaller id). */
export function mostExpensiveAgent(agentCosts: Readonly<Record<string, number>>): string | null {
  let best: string | null = null;
  for (const a of Object.keys(agentCosts).sort()) if (best === null || agentCosts[a]! > agentCosts[best]!) best = a;
  return best;
}

export function callShares(calls: Readonly<Record<string, number>>): Record<string, number> {
  let total = 0;
  for (const c of Object.values(calls)) total += c;
  const out: Record<string, number> = {};
  for (const [a, c] of Object.entries(calls)) out[a] = total > 0 ? c / total : 0;
  return out;
}

/**
 * Collapse figures of a call distribution over a pool. `pool` lists every agent of the pool (agents never chosen
 * count in the entropy's normaliser); `agentCosts` gives each agent's mean cost per call.
 */
export function collapse(
  calls: Readonly<Record<string, number>>,
  pool: ReadonlyArray<string>,
  agentCosts: Readonly<Record<string, number>>,
): Collapse {
  const shares = callShares(calls);
  let topAgent: string | null = null;
  for (const a of Object.keys(calls).sort())
    if ((calls[a] ?? 0) > 0 && (topAgent === null || calls[a]! > calls[topAgent]!)) topAgent = a;
  const expensiveAgent = mostExpensiveAgent(agentCosts);
  return {
    topAgent,
    topShare: topAgent === null ? 0 : shares[topAgent]!,
    expensiveAgent,
    expensiveShare: expensiveAgent === null ? 0 : (shares[expensiveAgent] ?? 0),
    entropy: normalisedEntropy(Object.values(calls), pool.length),
  };
}

export function gapRecovered(accuracy: number, bestSingle: number, oracle: number): number | null {
  const span = oracle - bestSingle;
  return span === 0 ? null : (accuracy - bestSingle) / span;
}

/** What every router's figures are measured against. */
export interface MetricContext {
  /** Every agent of the pool. */
  pool: ReadonlyArray<string>;
  /** Mean cost per call of each agent on the evaluation queries. */
  agentCosts: Readonly<Record<string, number>>;
  /** Accuracy of the best single agent (chosen on train) on the evaluation queries. */
  bestSingle: number;
  /** Accuracy of the per-query oracle on the evaluation queries. */
  oracle: number;
}

export interface TaskMetrics {
  queries: number;
  accuracy: number;
  meanCostUsd: number;
  /** Queries of the task whose chosen agent has no record on them. */
  missing: number;
  /** Calls per agent on the task's queries (every call of a multi-step router). */
  calls: Record<string, number>;
  collapse: Collapse;
}

export interface RoutingMetrics {
  queries: number;
  /** Mean calls per query (1 for a single-step router). */
  callsPerQuery: number;
  /** Entry i: the share of queries whose final answer came after exactly i + 1 calls (single-step: [1]). */
  acceptedAtStep: number[];
  /** Entry i: calls per agent at call index i, over the queries that made an (i + 1)-th call. */
  callsByStep: Record<string, number>[];
  /** Entry i: the collapse of callsByStep[i]. */
  collapseByStep: Collapse[];
  accuracy: number;
  meanCostUsd: number;
  gapRecovered: number | null;
  calls: Record<string, number>;
  shares: Record<string, number>;
  collapse: Collapse;
  /** Queries whose chosen agent has no record on them (scored 0 at cost 0). */
  missing: number;
  /** The same figures per task (benchmark). */
  byTask: Record<string, TaskMetrics>;
  costEstimated: boolean;
  simulated: boolean;
}

/** Calls per query, the share accepted after each number of calls, and the calls at each call index. */
function stepFigures(
  result: RoutingResult,
  pool: ReadonlyArray<string>,
): { callsPerQuery: number; acceptedAtStep: number[]; callsByStep: Record<string, number>[] } {
  const accepted: number[] = [];
  const callsByStep: Record<string, number>[] = [];
  let total = 0;
  for (const d of result.decisions) {
    const asked = d.calls ?? [d.agent];
    total += asked.length;
    while (accepted.length < asked.length) accepted.push(0);
    accepted[asked.length - 1]!++;
    asked.forEach((a, i) => {
      if (!callsByStep[i]) callsByStep[i] = Object.fromEntries(pool.map((p) => [p, 0]));
      callsByStep[i]![a] = (callsByStep[i]![a] ?? 0) + 1;
    });
  }
  const n = result.decisions.length;
  return {
    callsPerQuery: n > 0 ? total / n : 0,
    acceptedAtStep: accepted.map((c) => (n > 0 ? c / n : 0)),
    callsByStep,
  };
}

export function routingMetrics(result: RoutingResult, ctx: MetricContext): RoutingMetrics {
  const steps = stepFigures(result, ctx.pool);
  const tasks = new Map<string, { n: number; s: number; c: number; m: number; calls: Record<string, number> }>();
  for (const d of result.decisions) {
    let t = tasks.get(d.task);
    if (!t) tasks.set(d.task, (t = { n: 0, s: 0, c: 0, m: 0, calls: Object.fromEntries(ctx.pool.map((a) => [a, 0])) }));
    t.n++;
    if (d.missing) t.m++;
    t.s += d.score;
    t.c += d.costUsd;
    for (const a of d.calls ?? [d.agent]) t.calls[a] = (t.calls[a] ?? 0) + 1;
  }
  const byTask: Record<string, TaskMetrics> = {};
  for (const task of [...tasks.keys()].sort()) {
    const t = tasks.get(task)!;
    byTask[task] = {
      queries: t.n,
      accuracy: t.s / t.n,
      meanCostUsd: t.c / t.n,
      missing: t.m,
      calls: t.calls,
      collapse: collapse(t.calls, ctx.pool, ctx.agentCosts),
    };
  }
  return {
    queries: result.decisions.length,
    callsPerQuery: steps.callsPerQuery,
    acceptedAtStep: steps.acceptedAtStep,
    callsByStep: steps.callsByStep,
    collapseByStep: steps.callsByStep.map((c) => collapse(c, ctx.pool, ctx.agentCosts)),
    accuracy: result.accuracy,
    meanCostUsd: result.meanCostUsd,
    gapRecovered: gapRecovered(result.accuracy, ctx.bestSingle, ctx.oracle),
    calls: { ...result.calls },
    shares: callShares(result.calls),
    collapse: collapse(result.calls, ctx.pool, ctx.agentCosts),
    missing: result.missing,
    byTask,
    costEstimated: result.costEstimated,
    simulated: result.simulated,
  };
}

/** Mean, sample standard deviation (n − 1; 0 for one value), min and max of values over seeds. */
export interface Stat {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

export function stat(values: ReadonlyArray<number>): Stat {
  const n = values.length;
  if (n === 0) throw new RangeError("stat of no values");
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min, max, n };
}

/** The collapse at one call index over seeds, aggregated like the whole result's. */
export interface SeededStepCollapse {
  topShare: Stat;
  expensiveShare: Stat;
  entropy: Stat;
  /** Calls per agent at this call index, averaged over the seeds (0 for a seed that never made this call). */
  calls: Record<string, number>;
  /** Collapse of the averaged calls. */
  collapse: Collapse;
}

/** Figures of one router over one or more seeds. */
export interface SeededMetrics {
  seeds: number[];
  /** Mean calls per query, over the seeds. */
  callsPerQuery: Stat;
  /** Entry i: the share of queries answered after exactly i + 1 calls, over the seeds (0 for a seed that never was). */
  acceptedAtStep: Stat[];
  /** Entry i: the collapse of the agents asked at call i, over the seeds (a seed that never made the call: no calls). */
  collapseByStep: SeededStepCollapse[];
  accuracy: Stat;
  meanCostUsd: Stat;
  gapRecovered: Stat | null;
  topShare: Stat;
  expensiveShare: Stat;
  entropy: Stat;
  /** Queries whose chosen agent had no record on them (scored as misses), over the seeds. */
  missing: Stat;
  /** Calls per agent, averaged over the seeds. */
  calls: Record<string, number>;
  /** Shares of the averaged calls. */
  shares: Record<string, number>;
  /** Collapse of the averaged call distribution (topAgent / expensiveAgent named from it). */
  collapse: Collapse;
  costEstimated: boolean;
  simulated: boolean;
  /** Per-seed figures, in seed order. */
  runs: RoutingMetrics[];
}

/** Aggregate one router's metrics over seeds (a single run is one seed with std 0). */
export function aggregateSeeds(
  runs: ReadonlyArray<RoutingMetrics>,
  seeds: ReadonlyArray<number>,
  ctx: MetricContext,
): SeededMetrics {
  if (runs.length === 0) throw new RangeError("aggregateSeeds: no runs");
  if (runs.length !== seeds.length) throw new RangeError("aggregateSeeds: one seed per run");
  const calls: Record<string, number> = {};
  for (const a of ctx.pool) calls[a] = 0;
  for (const r of runs) for (const [a, c] of Object.entries(r.calls)) calls[a] = (calls[a] ?? 0) + c / runs.length;
  const gaps = runs.map((r) => r.gapRecovered);
  const depth = Math.max(...runs.map((r) => r.acceptedAtStep.length));
  const none = collapse({}, ctx.pool, ctx.agentCosts);
  const collapseByStep: SeededStepCollapse[] = [];
  for (let i = 0; i < depth; i++) {
    const at = runs.map((r) => r.collapseByStep[i] ?? none);
    const stepCalls: Record<string, number> = {};
    for (const a of ctx.pool) stepCalls[a] = 0;
    for (const r of runs)
      for (const [a, c] of Object.entries(r.callsByStep[i] ?? {})) stepCalls[a] = (stepCalls[a] ?? 0) + c / runs.length;
    collapseByStep.push({
      topShare: stat(at.map((c) => c.topShare)),
      expensiveShare: stat(at.map((c) => c.expensiveShare)),
      entropy: stat(at.map((c) => c.entropy)),
      calls: stepCalls,
      collapse: collapse(stepCalls, ctx.pool, ctx.agentCosts),
    });
  }
  return {
    seeds: [...seeds],
    callsPerQuery: stat(runs.map((r) => r.callsPerQuery)),
    acceptedAtStep: Array.from({ length: depth }, (_, i) => stat(runs.map((r) => r.acceptedAtStep[i] ?? 0))),
    collapseByStep,
    accuracy: stat(runs.map((r) => r.accuracy)),
    meanCostUsd: stat(runs.map((r) => r.meanCostUsd)),
    gapRecovered: gaps.every((g): g is number => g !== null) ? stat(gaps) : null,
    topShare: stat(runs.map((r) => r.collapse.topShare)),
    expensiveShare: stat(runs.map((r) => r.collapse.expensiveShare)),
    entropy: stat(runs.map((r) => r.collapse.entropy)),
    missing: stat(runs.map((r) => r.missing)),
    calls,
    shares: callShares(calls),
    collapse: collapse(calls, ctx.pool, ctx.agentCosts),
    costEstimated: runs.some((r) => r.costEstimated),
    simulated: runs.some((r) => r.simulated),
    runs: [...runs],
  };
}
