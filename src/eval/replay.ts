import { InputError } from "../core/errors.js";
import type { Mode } from "../core/modes.js";
import type { ExecutionRecord } from "../records/schema.js";
import { answerKey, answerKind, type AnswerKind } from "../../tools/answer/key.js";

/**
 * Routing over recorded outcomes (replay). A router picks one agent per query; its score and cost are looked up
 * in the test records, so every router is measured on the same queries with the same cost model. A multi-step
 * router (`trajectory`) asks agents in turn and reads their recorded answers (keys, never scores); every call it
 * makes is paid at its recorded cost.
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
  /** A multi-step router: asks agents in turn; `ask(agent)` pays that agent's recorded call and returns its answer key (null when none was read or the agent has no record). Returns whose answer is final (an agent it asked). When present, routeAll uses it instead of `route`. */
  trajectory?(
    query: RouteQuery,
    ask: (agent: string) => string | null,
    lambda?: number,
  ): { answeredBy: string } | Promise<{ answeredBy: string }>;
}

/** One recorded outcome of an agent on a query. */
export interface ReplayOutcome {
  score: number;
  success: boolean;
  costUsd: number;
  costEstimated: boolean;
  simulated: boolean;
  /** The normalised answer of the recorded response (tools/answer/key.ts, kind from the query text); null when empty or unreadable. */
  key: string | null;
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
  outcomes: Map<string, Map<string, ReplayOutcome>>;
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
 * InputError (records of several modes: pass `mode`). No usable record is an InputError too. Each outcome keeps
 * its response's answer key, the answer kind read once per query from the query text.
 */
export function buildReplayTable(records: ReadonlyArray<ExecutionRecord>, opts: ReplayOptions = {}): ReplayTable {
  const source = opts.source ?? "records";
  const queries: ReplayQuery[] = [];
  const outcomes = new Map<string, Map<string, ReplayOutcome>>();
  const agents = new Set<string>();
  const kinds = new Map<string, AnswerKind>();
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
      kinds.set(r.queryId, answerKind(r.query));
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
      key: answerKey(r.response, kinds.get(r.queryId)!),
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
  /**
   * True when the chosen agent (the one that answered, for a multi-step router) has no record on the query: scored
   * as a miss (score 0; its call costs 0, the other calls of a multi-step router are still paid).
   */
  missing?: true;
  /** The agents asked, in order (multi-step routers only); `agent` is the one whose answer was final. */
  calls?: string[];
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
  /**
   * Calls per agent (every agent of the table, 0 when never chosen); a choice with no record counts too. For a
   * multi-step router, every call it made (so the total can exceed the number of queries).
   */
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
 *
 * A multi-step router (`trajectory`) is run instead of `route`: every `ask` is a call, logged in order (asking
 * the same agent twice is paid twice), paid at its recorded cost and answered with its recorded answer key; an
 * agent with no record on the query costs 0 and answers null. The query costs the sum of its calls and scores
 * the recorded score of `answeredBy`; when `answeredBy` has no record the query is a miss (score 0, counted in
 * `missing`; the calls with a record are still paid). Answering with an agent never asked is a router bug: an
 * Error naming the router and the query.
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
    if (router.trajectory) {
      const row = table.outcomes.get(q.id)!;
      const asked: string[] = [];
      let paid = 0;
      let open = true;
      const ask = (agent: string): string | null => {
        if (!open) throw new Error(`router ${router.name}: query ${q.id}: asked ${agent} after answering`);
        asked.push(agent);
        calls[agent] = (calls[agent] ?? 0) + 1;
        const o = row.get(agent);
        if (!o) return null;
        paid += o.costUsd;
        costEstimated ||= o.costEstimated;
        simulated ||= o.simulated;
        return o.key;
      };
      const { answeredBy } = await router.trajectory(q, ask, opts.lambda);
      open = false;
      if (!asked.includes(answeredBy))
        throw new Error(
          `router ${router.name}: query ${q.id}: answered by ${answeredBy}, an agent it never asked (asked: ${asked.join(", ") || "none"})`,
        );
      const o = row.get(answeredBy);
      cost += paid;
      if (!o) {
        missing++;
        decisions.push({
          queryId: q.id,
          task: q.task,
          agent: answeredBy,
          score: 0,
          costUsd: paid,
          missing: true,
          calls: asked,
        });
        continue;
      }
      score += o.score;
      decisions.push({ queryId: q.id, task: q.task, agent: answeredBy, score: o.score, costUsd: paid, calls: asked });
      continue;
    }
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
  return (
    b.accuracy - a.accuracy || a.meanCostUsd - b.meanCostUsd || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)
  );
}
