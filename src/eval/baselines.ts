import { createHash } from "node:crypto";
import { InputError } from "../core/errors.js";
import {
  agentStats,
  byAccuracyThenCost,
  type AgentStats,
  type ReplayOutcome,
  type ReplayTable,
  type RouteQuery,
  type Router,
} from "./replay.js";
import { checkLambda, chooseByValue, costModel } from "./baselines/cost.js";
import { textFeatures } from "./baselines/features.js";

export {
  checkLambda,
  chooseByValue,
  costModel,
  restrictTable,
  type CostModel,
  type ValuedCandidate,
  type ValuedChoice,
} from "./baselines/cost.js";
export {
  perClusterByTask,
  perClusterKMeans,
  sphericalKMeans,
  type ClusterExplanation,
  type ClusterRouter,
  type KMeansClusterOptions,
} from "./baselines/cluster.js";
export {
  fitLogistic,
  logisticRouter,
  type LogisticModel,
  type LogisticOptions,
  type LogisticRouter,
} from "./baselines/logistic.js";

/**
 * Baseline routers. Those "chosen on train" see only the train table; the oracles and the hindsight per-task
 * router are built from the test table and are bounds, not routers one could deploy. The routers that trade cost
 * off (kNN, per-cluster, logistic) share one cost model with the learned handbook (baselines/cost.ts).
 */

/** A router that always answers with one fixed agent. */
export interface FixedRouter extends Router {
  readonly agent: string;
}

function fixed(name: string, agent: string): FixedRouter {
  return { name, agent, route: () => agent };
}

/** The agent with the highest mean score on the train table (ties: lower mean cost, then smaller id). */
export function bestSingleAgent(train: ReplayTable): FixedRouter {
  return fixed("best-single", [...agentStats(train)].sort(byAccuracyThenCost)[0]!.agent);
}

/** The agent with the lowest mean cost on the train table (ties: higher mean score, then smaller id). */
export function cheapestAgent(train: ReplayTable): FixedRouter {
  const byCost = (a: AgentStats, b: AgentStats) => a.meanCostUsd - b.meanCostUsd || byAccuracyThenCost(a, b);
  return fixed("cheapest", [...agentStats(train)].sort(byCost)[0]!.agent);
}

/**
 * Uniform random choice among the agents of the pool (`agents`), seeded: the draw for a query is the first 48
 * bits of SHA-256(seed, query id) as a number in [0, 1), so it depends only on the seed and the query id, never
 * on the order queries are routed in.
 */
export function randomRouter(agents: ReadonlyArray<string>, seed: number): Router {
  if (agents.length === 0) throw new InputError("random router: the pool has no agents");
  const pool = [...agents];
  return {
    name: "random",
    route: (q) => {
      const u = createHash("sha256").update(`${seed}\u0000${q.id}`, "utf8").digest().readUIntBE(0, 6) / 2 ** 48;
      return pool[Math.floor(u * pool.length)]!;
    },
  };
}

/** Per-task best agent: the best mean score on each task of `table` (ties: cheaper, then smaller id). */
function perTaskChoice(table: ReplayTable): Map<string, string> {
  const acc = new Map<string, Map<string, { n: number; s: number; c: number }>>();
  for (const q of table.queries) {
    let byAgent = acc.get(q.task);
    if (!byAgent) acc.set(q.task, (byAgent = new Map()));
    for (const [a, o] of table.outcomes.get(q.id)!) {
      let x = byAgent.get(a);
      if (!x) byAgent.set(a, (x = { n: 0, s: 0, c: 0 }));
      x.n++;
      x.s += o.score;
      x.c += o.costUsd;
    }
  }
  const out = new Map<string, string>();
  for (const [task, byAgent] of acc) {
    const stats = [...byAgent].map(([agent, x]) => ({
      agent,
      count: x.n,
      accuracy: x.s / x.n,
      meanCostUsd: x.c / x.n,
    }));
    out.set(task, stats.sort(byAccuracyThenCost)[0]!.agent);
  }
  return out;
}

export interface PerTaskRouter extends Router {
  /** task → chosen agent. */
  readonly choice: ReadonlyMap<string, string>;
  /** The agent for queries of a task the table did not hold (or with no task). */
  readonly fallback: string;
}

/**
 * Each task's best agent chosen on `table`: the train table for a deployable router (`per-task`), or the test
 * table for the hindsight bound (`per-task-hindsight`). Queries of an unseen task go to the table's best single
 * agent.
 */
export function perTaskBest(table: ReplayTable, opts: { hindsight?: boolean } = {}): PerTaskRouter {
  const choice = perTaskChoice(table);
  const fallback = bestSingleAgent(table).agent;
  return {
    name: opts.hindsight ? "per-task-hindsight" : "per-task",
    choice,
    fallback,
    route: (q) => (q.task !== undefined ? choice.get(q.task) : undefined) ?? fallback,
  };
}

function outcomesOf(test: ReplayTable, q: RouteQuery, who: string): Map<string, ReplayOutcome> {
  const row = test.outcomes.get(q.id);
  if (!row) throw new InputError(`${who}: query ${q.id} is not in the test records`);
  return row;
}

/** Per-query oracle (upper bound): the agent with the best recorded score on the query, cheapest among ties. */
export function oracleRouter(test: ReplayTable): Router {
  return {
    name: "oracle",
    route(q) {
      let best: [string, ReplayOutcome] | undefined;
      for (const e of outcomesOf(test, q, "oracle")) {
        if (!best || e[1].score > best[1].score || (e[1].score === best[1].score && e[1].costUsd < best[1].costUsd))
          best = e;
      }
      return best![0];
    },
  };
}

/**
 * Oracle-cheapest-correct (lower bound on cost at oracle-like accuracy): the cheapest agent whose recorded
 * outcome is a success; when none succeeded, the cheapest agent. Ties on cost go to the higher score.
 */
export function oracleCheapestCorrectRouter(test: ReplayTable): Router {
  return {
    name: "oracle-cheapest-correct",
    route(q) {
      const row = outcomesOf(test, q, "oracle-cheapest-correct");
      const pick = (onlySuccess: boolean) => {
        let best: [string, ReplayOutcome] | undefined;
        for (const e of row) {
          if (onlySuccess && !e[1].success) continue;
          if (
            !best ||
            e[1].costUsd < best[1].costUsd ||
            (e[1].costUsd === best[1].costUsd && e[1].score > best[1].score)
          )
            best = e;
        }
        return best;
      };
      return (pick(true) ?? pick(false))![0];
    },
  };
}

export interface KnnOptions {
  /** Number of neighbours; default 20. */
  k?: number;
  /** Router name (default `knn`). */
  name?: string;
}

export interface KnnRouter extends Router {
  readonly k: number;
  /** The per-agent figures behind the choice for a query (for tests and explanations). */
  explain(query: RouteQuery, lambda?: number): KnnExplanation;
}

export interface KnnCandidate {
  agent: string;
  /** Mean score over the neighbours holding a record of the agent. */
  meanScore: number;
  /** The agent's mean cost per call over the whole train table (the shared cost model). */
  meanCostUsd: number;
  /** meanCostUsd / the largest meanCostUsd among the candidates (0 when that is 0). */
  normalisedCost: number;
  value: number;
}

export interface KnnExplanation {
  /** Train query ids of the neighbours used (empty: no train query shares a term; every train query was used). */
  neighbours: string[];
  candidates: KnnCandidate[];
  chosen: string;
}

/**
 * kNN query router: the k train queries nearest by TF-IDF cosine (only those sharing a term; when none does,
 * every train query), then for each agent the neighbours' mean score p̂_a; choose argmax_a p̂_a − λ·Ĉ_a with the
 * shared cost model (Ĉ_a: the agent's mean train cost over the largest candidate's; see baselines/cost.ts).
 * Candidates: the agents with a record on some neighbour. Ties: lower mean cost, then smaller agent id.
 */
export function knnRouter(train: ReplayTable, opts: KnnOptions = {}): KnnRouter {
  const k = opts.k ?? 20;
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`knn: k must be a positive integer, got ${k}`);
  const name = opts.name ?? "knn";
  const features = textFeatures(train.queries.map((q) => q.text));
  const cost = costModel(train);
  const rows = train.queries.map((q) => train.outcomes.get(q.id)!);
  const agents = train.agents;
  const all = rows.map((_, i) => i);
  // Neighbours depend on the text only: a λ sweep over the same queries finds them once.
  const neighbourCache = new Map<string, { found: number[]; scores: [string, number][] }>();

  const explain = (query: RouteQuery, lambda = 0): KnnExplanation => {
    checkLambda("knn", lambda);
    let hit = neighbourCache.get(query.text);
    if (!hit) {
      const found = features.index.nearest(query.text, k).map((n) => n.doc);
      const docs = found.length > 0 ? found : all;
      const scores: [string, number][] = [];
      for (const agent of agents) {
        let n = 0;
        let s = 0;
        for (const d of docs) {
          const o = rows[d]!.get(agent);
          if (!o) continue;
          n++;
          s += o.score;
        }
        if (n > 0) scores.push([agent, s / n]);
      }
      neighbourCache.set(query.text, (hit = { found, scores }));
    }
    const choice = chooseByValue("knn", hit.scores, cost, lambda);
    return {
      neighbours: hit.found.map((d) => train.queries[d]!.id),
      candidates: choice.candidates.map((c) => ({
        agent: c.agent,
        meanScore: c.estimate,
        meanCostUsd: c.meanCostUsd,
        normalisedCost: c.normalisedCost,
        value: c.value,
      })),
      chosen: choice.chosen,
    };
  };

  return { name, k, explain, route: (q, lambda) => explain(q, lambda).chosen };
}
