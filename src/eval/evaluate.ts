import { InputError } from "../errors.js";
import type { Mode } from "../modes.js";
import type { ExecutionRecord } from "../records/schema.js";
import {
  bestSingleAgent,
  cheapestAgent,
  knnRouter,
  oracleCheapestCorrectRouter,
  oracleRouter,
  perTaskBest,
  randomRouter,
} from "./baselines.js";
import { frontierAuc, paretoFrontier, type AucRange, type CostAccuracyPoint } from "./frontier.js";
import { aggregateSeeds, routingMetrics, type MetricContext, type RoutingMetrics, type SeededMetrics } from "./metrics.js";
import { agentStats, buildReplayTable, routeAll, type Router } from "./replay.js";

/**
 * Every router side by side on the same test queries and cost model: the routers under evaluation (ours) at each
 * λ of a sweep and each seed, and the baselines and bounds.
 */

/** ours: the method under evaluation; baseline: deployable, chosen on train; bound/hindsight: uses test outcomes. */
export type RouterKind = "ours" | "baseline" | "bound" | "hindsight";

/** A router family to evaluate besides the built-in baselines. */
export interface RouterSpec {
  /** Unique id of the family (e.g. `skillorchestra-mean`). */
  name: string;
  /** Label for tables and the report. */
  label: string;
  kind?: RouterKind;
  /** Route at each λ of the sweep (default true); false: once, without λ. */
  sweep?: boolean;
  /** Build one router per seed (default false: one router, seed 0 passed to make). */
  seeded?: boolean;
  make(seed: number): Router | Promise<Router>;
  note?: string;
}

export interface EvaluateOptions {
  train: ReadonlyArray<ExecutionRecord>;
  test: ReadonlyArray<ExecutionRecord>;
  /** Only records of this mode. */
  mode?: Mode;
  /** λ sweep for routers that trade cost off (default [0]). */
  lambdas?: ReadonlyArray<number>;
  /** Seeds for seeded routers (default [0]). */
  seeds?: ReadonlyArray<number>;
  /** k of the kNN baseline (default 20). */
  k?: number;
  /** The routers under evaluation. */
  routers?: ReadonlyArray<RouterSpec>;
  /** Named in errors (e.g. the records files). */
  trainSource?: string;
  testSource?: string;
}

/** One row of the comparison: a router family at one λ, over its seeds. */
export interface RouterRow extends SeededMetrics {
  /** Unique: the family name, plus `@λ=…` for swept routers. */
  id: string;
  family: string;
  label: string;
  kind: RouterKind;
  lambda?: number;
  /** The agent of a fixed single-agent router. */
  agent?: string;
  note?: string;
}

export interface FrontierPoint extends CostAccuracyPoint {
  /** The row the point comes from. */
  id: string;
}

/** The λ sweep of one family: all its points, the non-dominated ones and the area under them. */
export interface FrontierSummary {
  family: string;
  label: string;
  kind: RouterKind;
  points: FrontierPoint[];
  frontier: FrontierPoint[];
  /** frontierAuc over the evaluation's shared aucRange. */
  auc: number;
}

export interface Evaluation {
  queries: number;
  trainQueries: number;
  /** Every agent with records in the test split, sorted. */
  pool: string[];
  /** Mean recorded cost per call of each agent on the test queries. */
  agentCosts: Record<string, number>;
  /** Mean recorded score of each agent on the test queries. */
  agentAccuracy: Record<string, number>;
  /** Some test cost is estimated (every cost figure is then an estimate). */
  costEstimated: boolean;
  /** Some test record is simulated. */
  simulated: boolean;
  /** The best single agent chosen on train, and its test accuracy (the gap's origin). */
  bestSingle: { agent: string; accuracy: number };
  /** Per-query oracle accuracy on test (the gap's end). */
  oracle: number;
  lambdas: number[];
  seeds: number[];
  k: number;
  rows: RouterRow[];
  /** One per family routed at more than one λ. */
  frontiers: FrontierSummary[];
  /** [0, largest mean cost of any row]: the shared range of every AUC. */
  aucRange: AucRange;
}

function checkLambdas(lambdas: ReadonlyArray<number>): number[] {
  if (lambdas.length === 0) throw new InputError("eval: lambdas: give at least one λ");
  lambdas.forEach((l, i) => {
    if (!(Number.isFinite(l) && l >= 0)) throw new InputError(`eval: lambdas[${i}]: must be a finite number >= 0, got ${l}`);
  });
  return [...new Set(lambdas)].sort((a, b) => a - b);
}

function checkSeeds(seeds: ReadonlyArray<number>): number[] {
  if (seeds.length === 0) throw new InputError("eval: seeds: give at least one seed");
  seeds.forEach((s, i) => {
    if (!Number.isInteger(s)) throw new InputError(`eval: seeds[${i}]: must be an integer, got ${s}`);
  });
  return [...new Set(seeds)];
}

interface Family {
  name: string;
  label: string;
  kind: RouterKind;
  sweep: boolean;
  seeded: boolean;
  make(seed: number): Router | Promise<Router>;
  agent?: string;
  note?: string;
}

/** Evaluate every router on the test split. Pure over its inputs (routers aside); async because routers may be. */
export async function evaluate(opts: EvaluateOptions): Promise<Evaluation> {
  const lambdas = checkLambdas(opts.lambdas ?? [0]);
  const seeds = checkSeeds(opts.seeds ?? [0]);
  const k = opts.k ?? 20;
  const train = buildReplayTable(opts.train, { ...(opts.mode ? { mode: opts.mode } : {}), source: opts.trainSource ?? "train records" });
  const test = buildReplayTable(opts.test, { ...(opts.mode ? { mode: opts.mode } : {}), source: opts.testSource ?? "test records" });

  const stats = agentStats(test);
  const agentCosts = Object.fromEntries(stats.map((s) => [s.agent, s.meanCostUsd]));
  const agentAccuracy = Object.fromEntries(stats.map((s) => [s.agent, s.accuracy]));
  const best = bestSingleAgent(train);
  if (!test.agents.includes(best.agent))
    throw new InputError(`${opts.testSource ?? "test records"}: no record of ${best.agent}, the best single agent on train`);
  const bestResult = await routeAll(best, test);
  const oracle = oracleRouter(test);
  const oracleResult = await routeAll(oracle, test);
  const ctx: MetricContext = { pool: test.agents, agentCosts, bestSingle: bestResult.accuracy, oracle: oracleResult.accuracy };

  const cheapest = cheapestAgent(train);
  const families: Family[] = [
    ...(opts.routers ?? []).map((r) => ({
      name: r.name,
      label: r.label,
      kind: r.kind ?? "ours",
      sweep: r.sweep ?? true,
      seeded: r.seeded ?? false,
      make: r.make,
      ...(r.note !== undefined ? { note: r.note } : {}),
    })),
    { name: "best-single", label: `best single (${best.agent})`, kind: "baseline", sweep: false, seeded: false, make: () => best, agent: best.agent, note: "chosen on train" },
    { name: "cheapest", label: `cheapest (${cheapest.agent})`, kind: "baseline", sweep: false, seeded: false, make: () => cheapest, agent: cheapest.agent, note: "chosen on train" },
    { name: "random", label: "random", kind: "baseline", sweep: false, seeded: true, make: (seed) => randomRouter(test.agents, seed) },
    { name: "knn", label: `kNN TF-IDF (k=${k})`, kind: "baseline", sweep: true, seeded: false, make: () => knnRouter(train, { k }) },
    { name: "per-task", label: "per-task best (train)", kind: "baseline", sweep: false, seeded: false, make: () => perTaskBest(train), note: "each task's best agent on train" },
    { name: "per-task-hindsight", label: "per-task best (hindsight)", kind: "hindsight", sweep: false, seeded: false, make: () => perTaskBest(test, { hindsight: true }), note: "each task's best agent chosen on test" },
    { name: "oracle", label: "per-query oracle", kind: "bound", sweep: false, seeded: false, make: () => oracle, note: "upper bound on accuracy" },
    { name: "oracle-cheapest-correct", label: "oracle cheapest correct", kind: "bound", sweep: false, seeded: false, make: () => oracleCheapestCorrectRouter(test), note: "lower bound on cost" },
  ];
  const names = new Set<string>();
  for (const f of families) {
    if (names.has(f.name)) throw new InputError(`eval: two routers named ${f.name}`);
    names.add(f.name);
  }

  const rows: RouterRow[] = [];
  for (const f of families) {
    const runSeeds = f.seeded ? seeds : [0];
    const routers: Router[] = [];
    for (const s of runSeeds) routers.push(await f.make(s));
    for (const lambda of f.sweep ? lambdas : [undefined]) {
      const runs: RoutingMetrics[] = [];
      for (let i = 0; i < routers.length; i++) {
        const result = await routeAll(routers[i]!, test, { ...(lambda !== undefined ? { lambda } : {}), seed: runSeeds[i]! });
        runs.push(routingMetrics(result, ctx));
      }
      rows.push({
        id: lambda !== undefined ? `${f.name}@λ=${lambda}` : f.name,
        family: f.name,
        label: lambda !== undefined && lambdas.length > 1 ? `${f.label} λ=${lambda}` : f.label,
        kind: f.kind,
        ...(lambda !== undefined ? { lambda } : {}),
        ...(f.agent !== undefined ? { agent: f.agent } : {}),
        ...(f.note !== undefined ? { note: f.note } : {}),
        ...aggregateSeeds(runs, runSeeds, ctx),
        ...(f.seeded ? {} : { seeds: [] }),
      });
    }
  }

  const aucRange: AucRange = { lo: 0, hi: Math.max(0, ...rows.map((r) => r.meanCostUsd.mean)) };
  const frontiers: FrontierSummary[] = [];
  for (const f of families) {
    if (!f.sweep || lambdas.length < 2) continue;
    const points: FrontierPoint[] = rows
      .filter((r) => r.family === f.name)
      .map((r) => ({ id: r.id, cost: r.meanCostUsd.mean, accuracy: r.accuracy.mean, label: `λ=${r.lambda}`, lambda: r.lambda! }));
    frontiers.push({ family: f.name, label: f.label, kind: f.kind, points, frontier: paretoFrontier(points), auc: frontierAuc(points, aucRange) });
  }

  return {
    queries: test.queries.length,
    trainQueries: train.queries.length,
    pool: test.agents,
    agentCosts,
    agentAccuracy,
    costEstimated: test.costEstimated,
    simulated: test.simulated,
    bestSingle: { agent: best.agent, accuracy: bestResult.accuracy },
    oracle: oracleResult.accuracy,
    lambdas,
    seeds,
    k,
    rows,
    frontiers,
    aucRange,
  };
}
