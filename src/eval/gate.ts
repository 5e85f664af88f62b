import { estimatorOf, type EstimatorName } from "../../handbook/estimators.js";
import { skillIdentifier } from "../../handbook/identify.js";
import { localEvidence } from "../../handbook/neighbours.js";
import { selectAgent, type Shrinkage, type Strategy } from "../../handbook/select.js";
import type { Handbook } from "../../handbook/schema.js";
import { InputError } from "../core/errors.js";
import { replayIndex, type ReplayIndex } from "../learning/evaluate.js";
import type { ExecutionRecord } from "../records/schema.js";

/**
 * The gate a new handbook version passes before it serves (pure over records): route the held-back replay points
 * with the serving version and with the new one, the way serving routes a step (the step's skills identified from
 * its text, the known ones kept, the neighbours' local evidence when the handbook keeps a memory, selection among
 * the pool's agents that serve the mode, exploration off), score each by the recorded outcome of the agent chosen,
 * and compare utility = accuracy − λ·normalised cost. Cost is normalised as the project's evaluation normalises
 * it (src/learning/evaluate.ts): by the mean, over the same points, of the most expensive recorded call among the
 * pool's agents, so both versions are priced by one scale. The new version passes when its utility is at least
 * the current one's minus the tolerance.
 */

export interface GateOptions {
  /** The version serving now, and the candidate. */
  current: Handbook;
  next: Handbook;
  /** Held-back execution records (never folded into `next`), or their replay index. */
  records: readonly ExecutionRecord[] | ReplayIndex;
  /** The agents serving now (absent: every agent of each handbook). */
  pool?: readonly string[];
  /** Price of accuracy λ >= 0. */
  lambda: number;
  /** Utility the new version may lose and still pass (>= 0). */
  tolerance: number;
  /** Only the points of these query ids (absent: every point). */
  queries?: readonly string[];
  strategy?: Strategy;
  /** Estimator as serving uses it, without exploration (default mean; thompson is seeded per point). */
  estimator?: EstimatorName;
  shrinkage?: Shrinkage;
  seed?: string | number;
}

export interface GateSide {
  accuracy: number;
  /** Mean USD per point. */
  costUsd: number;
  /** accuracy − λ·costUsd / costScale. */
  utility: number;
  /** Points whose chosen agent has no record there, or no agent could be chosen (each scored 0 at cost 0). */
  missing: number;
  /** Choices per agent. */
  calls: Record<string, number>;
}

export interface GateResult {
  pass: boolean;
  current: GateSide;
  next: GateSide;
  /** current.utility − next.utility (positive: the new version is worse). */
  drop: number;
  points: number;
  /** The cost normaliser: mean USD of the most expensive recorded pool agent per point. */
  costScale: number;
  costEstimated: boolean;
  lambda: number;
  tolerance: number;
  reason: string;
}

/** Route every point with a handbook among the allowed agents; its replay accuracy, cost and calls. */
export function replayRoute(
  h: Handbook,
  index: ReplayIndex,
  opts: {
    pool?: readonly string[];
    lambda: number;
    queries?: ReadonlySet<string>;
    strategy?: Strategy;
    estimator?: EstimatorName;
    shrinkage?: Shrinkage;
    seed?: string | number;
  },
): { points: number; score: number; cost: number; missing: number; calls: Record<string, number> } {
  const identifier = skillIdentifier(h);
  const pool = opts.pool ? new Set(opts.pool) : undefined;
  const seed = opts.seed ?? 0;
  const calls: Record<string, number> = {};
  let points = 0;
  let score = 0;
  let cost = 0;
  let missing = 0;
  for (const p of index.points) {
    if (opts.queries && !opts.queries.has(p.queryId)) continue;
    const recorded = index.outcomes.get(p.key)!;
    if (recorded.size === 0) continue;
    points++;
    const serving = Object.keys(h.agents).filter((a) => h.agents[a]!.modes.includes(p.mode) && (!pool || pool.has(a)));
    const skills = identifier.identify(p.text, p.mode).filter((s) => h.skills[s.id]);
    const local = localEvidence(h, p.text, p.mode, skills);
    const d = selectAgent(h, {
      mode: p.mode,
      skills,
      ...(local ? { local } : {}),
      lambda: opts.lambda,
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      estimator: estimatorOf(opts.estimator ?? "mean", `${seed}:${p.key}`),
      ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
      allow: serving,
      seed: `${seed}:${p.key}`,
      explain: false,
    });
    const o = d.chosen === null ? undefined : recorded.get(d.chosen);
    if (d.chosen !== null) calls[d.chosen] = (calls[d.chosen] ?? 0) + 1;
    if (!o) {
      missing++;
      continue;
    }
    score += o.score;
    cost += o.costUsd;
  }
  return { points, score, cost, missing, calls };
}

/** The mean, over the points, of the most expensive recorded call among the pool's agents (the cost scale). */
export function costScaleOf(
  index: ReplayIndex,
  pool?: readonly string[],
  queries?: ReadonlySet<string>,
): { scale: number; points: number; estimated: boolean } {
  const allowed = pool ? new Set(pool) : undefined;
  let sum = 0;
  let n = 0;
  let estimated = false;
  for (const p of index.points) {
    if (queries && !queries.has(p.queryId)) continue;
    const recorded = index.outcomes.get(p.key)!;
    if (recorded.size === 0) continue;
    n++;
    let top = 0;
    for (const o of recorded.values()) {
      if (allowed && !allowed.has(o.agent)) continue;
      top = Math.max(top, o.costUsd);
      estimated ||= o.costEstimated;
    }
    sum += top;
  }
  return { scale: n > 0 ? sum / n : 0, points: n, estimated };
}

const f4 = (x: number) => x.toFixed(4);

/**
 * Gate a new handbook version on held-back records (see the file comment). Bad options (λ or tolerance not a
 * finite number >= 0, no held-back point) are an InputError naming the field, before any routing.
 */
export function gate(opts: GateOptions): GateResult {
  if (!(opts.lambda >= 0 && Number.isFinite(opts.lambda)))
    throw new InputError(`gate: $.lambda: must be a finite number >= 0, got ${opts.lambda}`);
  if (!(opts.tolerance >= 0 && Number.isFinite(opts.tolerance)))
    throw new InputError(`gate: $.tolerance: must be a finite number >= 0, got ${opts.tolerance}`);
  const index =
    "points" in opts.records && "outcomes" in opts.records
      ? (opts.records as ReplayIndex)
      : replayIndex(opts.records as readonly ExecutionRecord[]);
  const queries = opts.queries ? new Set(opts.queries) : undefined;
  const { scale, points, estimated } = costScaleOf(index, opts.pool, queries);
  if (points === 0) throw new InputError("gate: $.records: no held-back replay point to gate on");
  const side = (h: Handbook): GateSide => {
    const r = replayRoute(h, index, {
      lambda: opts.lambda,
      ...(opts.pool ? { pool: opts.pool } : {}),
      ...(queries ? { queries } : {}),
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      ...(opts.estimator ? { estimator: opts.estimator } : {}),
      ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
    const accuracy = r.score / points;
    const costUsd = r.cost / points;
    return {
      accuracy,
      costUsd,
      utility: accuracy - opts.lambda * (scale > 0 ? costUsd / scale : 0),
      missing: r.missing,
      calls: r.calls,
    };
  };
  const current = side(opts.current);
  const next = side(opts.next);
  const drop = current.utility - next.utility;
  const pass = drop <= opts.tolerance + 1e-12;
  const figures = `utility ${f4(next.utility)} (accuracy ${f4(next.accuracy)}, $${next.costUsd.toPrecision(3)}/query) against ${f4(current.utility)} (accuracy ${f4(current.accuracy)}, $${current.costUsd.toPrecision(3)}/query) on ${points} held-back points at λ=${opts.lambda}`;
  const reason = pass
    ? `pass: ${figures}; ${drop > 0 ? `a drop of ${f4(drop)}, within` : "no drop beyond"} the tolerance ${opts.tolerance}`
    : `kept unpublished: ${figures}; utility drops by ${f4(drop)}, more than the tolerance ${opts.tolerance}`;
  return {
    pass,
    current,
    next,
    drop,
    points,
    costScale: scale,
    costEstimated: estimated,
    lambda: opts.lambda,
    tolerance: opts.tolerance,
    reason,
  };
}
