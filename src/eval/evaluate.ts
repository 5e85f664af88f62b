import { InputError } from "../core/errors.js";
import type { Mode } from "../core/modes.js";
import type { ExecutionRecord } from "../records/schema.js";
import {
  bestSingleAgent,
  cheapestAgent,
  knnRouter,
  logisticRouter,
  oracleCheapestCorrectRouter,
  oracleRouter,
  perClusterByTask,
  perClusterKMeans,
  perTaskBest,
  randomRouter,
  restrictTable,
  type FixedRouter,
} from "./baselines.js";
import { frugalCascade } from "./baselines/cascade.js";
import { frontierAuc, paretoFrontier, type AucRange, type CostAccuracyPoint } from "../core/frontier.js";
import {
  aggregateSeeds,
  routingMetrics,
  type MetricContext,
  type RoutingMetrics,
  type SeededMetrics,
} from "./metrics.js";
import { agentStats, buildReplayTable, routeAll, type ReplayTable, type Router } from "./replay.js";

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
  /** k of the kNN baseline named `knn` (default 20). */
  k?: number;
  /**
   * k of every kNN family (default [k, 50]): the first is the family `knn`, the others `knn-<k>`. Repeats are
   * dropped.
   */
  ks?: ReadonlyArray<number>;
  /** The deployable baselines to include (default all of DEPLOYABLE_BASELINES). */
  baselines?: ReadonlyArray<DeployableBaseline>;
  /**
   * The train query ids labelled at a seed (e.g. those the learned handbook of that seed saw). When given, every
   * deployable baseline chosen on train is seeded and, at each seed, trained only on the train records of those
   * queries; without it they see every train record. The gap's origin (`bestSingle`) is always chosen on every
   * train record.
   */
  labelledIds?: (seed: number) => Promise<ReadonlySet<string>> | ReadonlySet<string>;
  /** L2 penalty of the logistic baseline and of the cascade's scorer (default that of logisticRouter). */
  logisticL2?: number;
  /** The routers under evaluation. */
  routers?: ReadonlyArray<RouterSpec>;
  /** Named in errors (e.g. the records files). */
  trainSource?: string;
  testSource?: string;
}

/** The baselines chosen on train, in table order (kNN stands for every kNN family). */
export const DEPLOYABLE_BASELINES = [
  "best-single",
  "cheapest",
  "knn",
  "per-task",
  "per-cluster-task",
  "per-cluster-kmeans",
  "logistic",
  "cascade-frugal",
] as const;
export type DeployableBaseline = (typeof DEPLOYABLE_BASELINES)[number];

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

/**
 * What `evaluate` returns: every router routed over the same test split by replay, side by side (rows per router
 * and λ, frontiers per family). Not src/learning's Evaluation, which is one handbook's replay score.
 */
export interface RouterComparison {
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
  /**
   * The best single agent chosen on every train record, and its test accuracy: the gap's origin, the same for
   * every router (also when the baselines are trained on labelled queries only).
   */
  bestSingle: { agent: string; accuracy: number };
  /** Per-query oracle accuracy on test (the gap's end). */
  oracle: number;
  lambdas: number[];
  seeds: number[];
  /** k of the family `knn`. */
  k: number;
  /** k of every kNN family. */
  ks: number[];
  /** Train queries each seed's baselines were chosen on; absent: every train query (no labelledIds). */
  labelledQueries?: Record<string, number>;
  rows: RouterRow[];
  /** One per family routed at more than one λ. */
  frontiers: FrontierSummary[];
  /** [0, largest mean cost of any row]: the shared range of every AUC. */
  aucRange: AucRange;
}

/**
 * The most accurate λ point of each swept family whose mean cost is within `maxCost` (undefined where none is),
 * keyed by `keyOf` of its frontier (default: the family).
 */
export function mostAccurateWithin(
  ev: RouterComparison,
  maxCost: number,
  keyOf: (f: FrontierSummary) => string = (f) => f.family,
): Map<string, RouterRow | undefined> {
  const out = new Map<string, RouterRow | undefined>();
  for (const f of ev.frontiers) {
    let best: RouterRow | undefined;
    for (const p of f.points) {
      const r = ev.rows.find((x) => x.id === p.id)!;
      if (r.meanCostUsd.mean <= maxCost && (!best || r.accuracy.mean > best.accuracy.mean)) best = r;
    }
    out.set(keyOf(f), best);
  }
  return out;
}

function checkLambdas(lambdas: ReadonlyArray<number>): number[] {
  if (lambdas.length === 0) throw new InputError("eval: lambdas: give at least one λ");
  lambdas.forEach((l, i) => {
    if (!(Number.isFinite(l) && l >= 0))
      throw new InputError(`eval: lambdas[${i}]: must be a finite number >= 0, got ${l}`);
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

function checkKs(ks: ReadonlyArray<number>): number[] {
  if (ks.length === 0) throw new InputError("eval: ks: give at least one k");
  ks.forEach((x, i) => {
    if (!(Number.isInteger(x) && x >= 1)) throw new InputError(`eval: ks[${i}]: must be a positive integer, got ${x}`);
  });
  return [...new Set(ks)];
}

interface Family {
  name: string;
  label: string;
  /** The label (and fixed agent) once the routers of every seed are built. */
  labelOf?: (routers: Router[]) => { label: string; agent?: string };
  kind: RouterKind;
  sweep: boolean;
  seeded: boolean;
  make(seed: number): Router | Promise<Router>;
  agent?: string;
  note?: string;
}

/**
 * Evaluate every router on the test split. Pure over its inputs (routers aside); async because routers may be.
 * Every swept family (ours, kNN, per-cluster, logistic, the cascade) is routed at each λ with the same cost model,
 * and every frontier's AUC is taken over the one shared aucRange.
 */
export async function evaluate(opts: EvaluateOptions): Promise<RouterComparison> {
  const lambdas = checkLambdas(opts.lambdas ?? [0]);
  const seeds = checkSeeds(opts.seeds ?? [0]);
  const ks = checkKs(opts.ks ?? [opts.k ?? 20, 50]);
  const k = ks[0]!;
  const train = buildReplayTable(opts.train, {
    ...(opts.mode ? { mode: opts.mode } : {}),
    source: opts.trainSource ?? "train records",
  });
  const test = buildReplayTable(opts.test, {
    ...(opts.mode ? { mode: opts.mode } : {}),
    source: opts.testSource ?? "test records",
  });

  const stats = agentStats(test);
  const agentCosts = Object.fromEntries(stats.map((s) => [s.agent, s.meanCostUsd]));
  const agentAccuracy = Object.fromEntries(stats.map((s) => [s.agent, s.accuracy]));
  const best = bestSingleAgent(train);
  if (!test.agents.includes(best.agent))
    throw new InputError(
      `${opts.testSource ?? "test records"}: no record of ${best.agent}, the best single agent on train`,
    );
  const bestResult = await routeAll(best, test);
  const oracle = oracleRouter(test);
  const oracleResult = await routeAll(oracle, test);
  const ctx: MetricContext = {
    pool: test.agents,
    agentCosts,
    bestSingle: bestResult.accuracy,
    oracle: oracleResult.accuracy,
  };

  const include = new Set<DeployableBaseline>(opts.baselines ?? DEPLOYABLE_BASELINES);
  // The train table of a seed: every train record, or those of the seed's labelled queries.
  const labelled = opts.labelledIds;
  const tables = new Map<number, Promise<ReplayTable>>();
  const tableOf = (seed: number): Promise<ReplayTable> => {
    if (!labelled) return Promise.resolve(train);
    let t = tables.get(seed);
    if (!t) {
      t = Promise.resolve(labelled(seed)).then((ids) =>
        restrictTable(train, ids, `${opts.trainSource ?? "train records"} (labelled at seed ${seed})`),
      );
      tables.set(seed, t);
    }
    return t;
  };
  const seededBaselines = labelled !== undefined;
  const chosenOn = seededBaselines ? "chosen on each seed's labelled train queries" : "chosen on train";
  const fixedLabel = (what: string) => (routers: Router[]) => {
    const agents = [...new Set(routers.map((r) => (r as FixedRouter).agent))];
    return agents.length === 1
      ? { label: `${what} (${agents[0]})`, agent: agents[0]! }
      : { label: `${what} (per seed: ${agents.join(", ")})` };
  };
  // Seeds whose labelled queries are the same (e.g. every train query) share one router of a family whose
  // training does not depend on the seed.
  const built = new Map<string, Router>();
  const baseline = (
    name: string,
    label: string,
    sweep: boolean,
    make: (t: ReplayTable, seed: number) => Router,
    note: string,
    labelOf?: Family["labelOf"],
    usesSeed = false,
  ): Family => ({
    name,
    label,
    kind: "baseline",
    sweep,
    seeded: seededBaselines,
    make: async (seed) => {
      const t = await tableOf(seed);
      if (usesSeed) return make(t, seed);
      const key = `${name}\u0000${t.queries.map((q) => q.id).join("\u0000")}`;
      let r = built.get(key);
      if (!r) built.set(key, (r = make(t, seed)));
      return r;
    },
    note,
    ...(labelOf ? { labelOf } : {}),
  });
  const deployable: Family[] = [];
  if (include.has("best-single"))
    deployable.push(
      baseline("best-single", "best single", false, (t) => bestSingleAgent(t), chosenOn, fixedLabel("best single")),
    );
  if (include.has("cheapest"))
    deployable.push(baseline("cheapest", "cheapest", false, (t) => cheapestAgent(t), chosenOn, fixedLabel("cheapest")));
  const knnFamilies = include.has("knn")
    ? ks.map((kk, i) => {
        const name = i === 0 ? "knn" : `knn-${kk}`;
        return baseline(
          name,
          `kNN TF-IDF (k=${kk})`,
          true,
          (t) => knnRouter(t, { k: kk, name }),
          `${chosenOn}; p̂ − λ·Ĉ`,
        );
      })
    : [];
  const logistic = include.has("logistic")
    ? [
        baseline(
          "logistic",
          "logistic per-agent (TF-IDF)",
          true,
          (t) => logisticRouter(t, opts.logisticL2 !== undefined ? { l2: opts.logisticL2 } : {}),
          `${chosenOn}; L2 logistic success predictor per agent; p̂ − λ·Ĉ`,
        ),
      ]
    : [];
  const cascade = include.has("cascade-frugal")
    ? [
        baseline(
          "cascade-frugal",
          "FrugalGPT-style cascade (cheapest first, learned thresholds)",
          true,
          (t) => frugalCascade(t, opts.logisticL2 !== undefined ? { l2: opts.logisticL2 } : {}),
          `${chosenOn}; logistic scorer; chain and thresholds maximise accuracy − λ·Ĉ on train; every call paid`,
        ),
      ]
    : [];
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
    ...deployable,
    {
      name: "random",
      label: "random",
      kind: "baseline",
      sweep: false,
      seeded: true,
      make: (seed) => randomRouter(test.agents, seed),
    },
    ...knnFamilies,
    ...(include.has("per-task")
      ? [
          baseline(
            "per-task",
            "per-task best (train)",
            false,
            (t) => perTaskBest(t),
            `each task's best agent, ${chosenOn}`,
          ),
        ]
      : []),
    ...(include.has("per-cluster-task")
      ? [
          baseline(
            "per-cluster-task",
            "per-cluster best (task from text)",
            true,
            (t) => perClusterByTask(t),
            `task inferred by nearest TF-IDF centroid; ${chosenOn}; mean − λ·Ĉ`,
          ),
        ]
      : []),
    ...(include.has("per-cluster-kmeans")
      ? [
          baseline(
            "per-cluster-kmeans",
            "per-cluster best (k-means, no labels)",
            true,
            (t, seed) => perClusterKMeans(t, { seed }),
            `k-means of train texts, k = number of tasks; ${chosenOn}; mean − λ·Ĉ`,
            undefined,
            true,
          ),
        ]
      : []),
    ...logistic,
    ...cascade,
    {
      name: "per-task-hindsight",
      label: "per-task best (hindsight)",
      kind: "hindsight",
      sweep: false,
      seeded: false,
      make: () => perTaskBest(test, { hindsight: true }),
      note: "each task's best agent chosen on test",
    },
    {
      name: "oracle",
      label: "per-query oracle",
      kind: "bound",
      sweep: false,
      seeded: false,
      make: () => oracle,
      note: "upper bound on accuracy",
    },
    {
      name: "oracle-cheapest-correct",
      label: "oracle cheapest correct",
      kind: "bound",
      sweep: false,
      seeded: false,
      make: () => oracleCheapestCorrectRouter(test),
      note: "lower bound on cost",
    },
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
    const named = f.labelOf
      ? f.labelOf(routers)
      : { label: f.label, ...(f.agent !== undefined ? { agent: f.agent } : {}) };
    for (const lambda of f.sweep ? lambdas : [undefined]) {
      const runs: RoutingMetrics[] = [];
      for (let i = 0; i < routers.length; i++) {
        const result = await routeAll(routers[i]!, test, {
          ...(lambda !== undefined ? { lambda } : {}),
          seed: runSeeds[i]!,
        });
        runs.push(routingMetrics(result, ctx));
      }
      rows.push({
        id: lambda !== undefined ? `${f.name}@λ=${lambda}` : f.name,
        family: f.name,
        label: lambda !== undefined && lambdas.length > 1 ? `${named.label} λ=${lambda}` : named.label,
        kind: f.kind,
        ...(lambda !== undefined ? { lambda } : {}),
        ...(named.agent !== undefined ? { agent: named.agent } : {}),
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
      .map((r) => ({
        id: r.id,
        cost: r.meanCostUsd.mean,
        accuracy: r.accuracy.mean,
        label: `λ=${r.lambda}`,
        lambda: r.lambda!,
      }));
    frontiers.push({
      family: f.name,
      label: f.label,
      kind: f.kind,
      points,
      frontier: paretoFrontier(points),
      auc: frontierAuc(points, aucRange),
    });
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
    ks,
    ...(labelled
      ? {
          labelledQueries: Object.fromEntries(
            await Promise.all(seeds.map(async (sd) => [String(sd), (await tableOf(sd)).queries.length] as const)),
          ),
        }
      : {}),
    rows,
    frontiers,
    aucRange,
  };
}
