import { InputError } from "../errors.js";
import type { Mode } from "../modes.js";
import type { ExecutionRecord } from "../records/schema.js";

/**
 * Routing over recorded outcomes (replay). A router picks one agent per query; its score and cost are looked up
 * in the test records, so every router is measured on the same queries with the same cost model.
 */

/** A query as a router sees it. */
export interface RouteQuery {
  id: string;
  text: string;
  task?: string;
}

/** Picks one agent for a query; `lambda` (>= 0) is the price of accuracy for routers that trade cost off. */
export interface Router {
  /** Short name of the router family (e.g. `knn`). */
  readonly name: string;
  route(query: RouteQuery, lambda?: number): string | Promise<string>;
}

/** One recorded outcome of an agent on a query. */
export interface Outcome {
  score: number;
  success: boolean;
  costUsd: number;
  costEstimated: boolean;
  simulated: boolean;
}

export interface ReplayQuery {
  id: string;
  text: string;
  task: string;
}

/** Recorded outcomes indexed by query and agent. */
export interface ReplayTable {
  /** Queries in order of first appearance in the records. */
  queries: ReplayQuery[];
  /** Every agent with at least one record, sorted. */
  agents: string[];
  /** queryId → agent → outcome. */
  outcomes: Map<string, Map<string, Outcome>>;
  /** True when any record's cost is estimated. */
  costEstimated: boolean;
  /** True when any record is simulated. */
  simulated: boolean;
}

export interface ReplayOptions {
  /** Only records of this mode (needed when a query has records in several modes). */
  mode?: Mode;
  /** Named in error messages (e.g. the records file). */
  source?: string;
}

/**
 * Index single-call records (no `step`) by (query, agent). A second record for the same (query, agent) is an
 * InputError (records of several modes: pass `mode`). No usable record is an InputError too.
 */
export function buildReplayTable(records: ReadonlyArray<ExecutionRecord>, opts: ReplayOptions = {}): ReplayTable {
  const source = opts.source ?? "records";
  const queries: ReplayQuery[] = [];
  const outcomes = new Map<string, Map<string, Outcome>>();
  const agents = new Set<string>();
  let costEstimated = false;
  let simulated = false;
  records.forEach((r, i) => {
    if (r.step !== undefined) return;
    if (opts.mode !== undefined && r.mode !== opts.mode) return;
    let row = outcomes.get(r.queryId);
    if (!row) {
      row = new Map();
      outcomes.set(r.queryId, row);
      queries.push({ id: r.queryId, text: r.query, task: r.task });
    }
    if (row.has(r.agent))
      throw new InputError(
        `${source}: record ${i + 1}: second record of agent ${r.agent} on query ${r.queryId}` +
          (opts.mode === undefined ? " (records of several modes? choose one mode)" : ""),
      );
    row.set(r.agent, {
      score: r.score,
      success: r.success,
      costUsd: r.costUsd,
      costEstimated: r.costEstimated,
      simulated: r.simulated,
    });
    agents.add(r.agent);
    costEstimated ||= r.costEstimated;
    simulated ||= r.simulated;
  });
  if (queries.length === 0)
    throw new InputError(
      `${source}: no single-call records${opts.mode !== undefined ? ` in mode ${opts.mode}` : ""} to evaluate on`,
    );
  return { queries, agents: [...agents].sort(), outcomes, costEstimated, simulated };
}

/** One routed query with its recorded outcome. */
export interface RoutedQuery {
  queryId: string;
  task: string;
  agent: string;
  score: number;
  costUsd: number;
  /** True when the chosen agent has no record on the query: scored as a miss (score 0, cost 0). */
  missing?: true;
}

export interface RoutingResult {
  router: string;
  lambda?: number;
  seed?: number;
  decisions: RoutedQuery[];
  /** Mean score over the queries. */
  accuracy: number;
  /** Mean USD per query. */
  meanCostUsd: number;
  totalCostUsd: number;
  /** Calls per agent (every agent of the table, 0 when never chosen); a choice with no record counts too. */
  calls: Record<string, number>;
  /** Queries whose chosen agent has no record on them (each scored 0 at cost 0). */
  missing: number;
  /** True when any routed outcome's cost is estimated. */
  costEstimated: boolean;
  /** True when any routed outcome is simulated. */
  simulated: boolean;
}

export interface RouteAllOptions {
  lambda?: number;
  seed?: number;
}

/**
 * Route every query of the table and look up the chosen agent's recorded score and cost. A router choosing an
 * agent with no record on the query (a hole in the recorded data, or an agent the table does not know) scores
 * that query as a miss: score 0, cost 0, the choice still counted as a call, and the query counted in `missing`.
 * Every router is thus still measured on the same queries.
 */
export async function routeAll(router: Router, table: ReplayTable, opts: RouteAllOptions = {}): Promise<RoutingResult> {
  const decisions: RoutedQuery[] = [];
  const calls: Record<string, number> = {};
  for (const a of table.agents) calls[a] = 0;
  let score = 0;
  let cost = 0;
  let missing = 0;
  let costEstimated = false;
  let simulated = false;
  for (const q of table.queries) {
    const agent = await router.route(q, opts.lambda);
    const o = table.outcomes.get(q.id)!.get(agent);
    calls[agent] = (calls[agent] ?? 0) + 1;
    if (!o) {
      missing++;
      decisions.push({ queryId: q.id, task: q.task, agent, score: 0, costUsd: 0, missing: true });
      continue;
    }
    decisions.push({ queryId: q.id, task: q.task, agent, score: o.score, costUsd: o.costUsd });
    score += o.score;
    cost += o.costUsd;
    costEstimated ||= o.costEstimated;
    simulated ||= o.simulated;
  }
  const n = table.queries.length;
  return {
    router: router.name,
    ...(opts.lambda !== undefined ? { lambda: opts.lambda } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    decisions,
    accuracy: score / n,
    meanCostUsd: cost / n,
    totalCostUsd: cost,
    calls,
    missing,
    costEstimated,
    simulated,
  };
}

/** Per-agent mean score and mean cost over the table (over the queries where the agent has a record). */
export interface AgentStats {
  agent: string;
  count: number;
  accuracy: number;
  meanCostUsd: number;
}

export function agentStats(table: ReplayTable): AgentStats[] {
  const acc = new Map<string, { n: number; s: number; c: number }>();
  for (const a of table.agents) acc.set(a, { n: 0, s: 0, c: 0 });
  for (const row of table.outcomes.values())
    for (const [a, o] of row) {
      const x = acc.get(a)!;
      x.n++;
      x.s += o.score;
      x.c += o.costUsd;
    }
  return table.agents.map((agent) => {
    const x = acc.get(agent)!;
    return { agent, count: x.n, accuracy: x.s / x.n, meanCostUsd: x.c / x.n };
  });
}

/** Higher accuracy first; ties: lower mean cost, then smaller agent id. */
export function byAccuracyThenCost(a: AgentStats, b: AgentStats): number {
  return b.accuracy - a.accuracy || a.meanCostUsd - b.meanCostUsd || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0);
}
