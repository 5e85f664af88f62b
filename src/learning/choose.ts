import type { Estimator, Shrinkage, Strategy } from "../../handbook/select.js";
import type { Handbook } from "../../handbook/schema.js";
import { viewAtDepth, type Granularity } from "../../handbook/views.js";
import { MODES, type Mode } from "../modes.js";
import { evaluateHandbook, type Evaluation, type ReplayIndex } from "./evaluate.js";
import { paretoFrontier as frontierOf } from "../eval/frontier.js";

/**
 * Selecting a sub-handbook: candidates by granularity per mode (0: mode level only; 1: categories; "all"), each
 * evaluated on the validation queries by replay; the Pareto frontier of accuracy against mean cost; the choice
 * by the user's λ (maximise accuracy − λ·normalised cost) or budget (the most accurate with mean cost ≤ budget).
 */

export interface Candidate {
  id: string;
  granularity: Partial<Record<Mode, Granularity>>;
  skills: number;
  evaluation: Evaluation;
  onFrontier: boolean;
}

export interface Selection {
  candidates: Candidate[];
  /** Candidate ids on the frontier, cheapest first. */
  frontier: string[];
  chosen: string;
  by: { lambda: number } | { budgetUsd: number };
  reason: string;
}

export interface ChooseOptions {
  lambda?: number;
  /** Mean USD per query; when given, the choice is by budget. */
  budgetUsd?: number;
  strategy?: Strategy;
  estimator?: Estimator;
  shrinkage?: Shrinkage;
}

/** Every granularity assignment over the modes that have skills (other modes stay as they are). */
export function granularities(h: Handbook): Partial<Record<Mode, Granularity>>[] {
  const modes = MODES.filter((m) => Object.values(h.skills).some((s) => s.mode === m));
  let out: Partial<Record<Mode, Granularity>>[] = [{}];
  for (const m of modes) out = out.flatMap((g) => ([0, 1, "all"] as const).map((x) => ({ ...g, [m]: x })));
  return out;
}

export function candidateId(g: Partial<Record<Mode, Granularity>>): string {
  const parts = Object.entries(g).map(([m, x]) => `${m}=${x}`);
  return parts.length ? parts.join(",") : "full";
}

/** Indices of the points not dominated (higher accuracy or lower cost), sorted by cost; gains below 1e-12 ignored. */
export function paretoFrontier(points: readonly { accuracy: number; meanCostUsd: number }[]): number[] {
  return frontierOf(points.map((p, i) => ({ cost: p.meanCostUsd, accuracy: p.accuracy, index: i })), 1e-12).map((p) => p.index);
}

/** The candidate views of a handbook: one per granularity assignment over its modes. */
export function candidateViews(full: Handbook): { id: string; granularity: Partial<Record<Mode, Granularity>>; handbook: Handbook }[] {
  return granularities(full).map((g) => ({
    id: candidateId(g),
    granularity: g,
    handbook: Object.values(g).every((x) => x === "all") ? full : viewAtDepth(full, g),
  }));
}

/** Views of a handbook at each granularity, evaluated on validation by replay, with the frontier and the choice. */
export function chooseHandbook(
  full: Handbook,
  validation: { index: ReplayIndex; queries: readonly string[] },
  opts: ChooseOptions = {},
): { selection: Selection; handbooks: Map<string, Handbook> } {
  const lambda = opts.lambda ?? 0;
  const views = candidateViews(full);
  const evaluations = views.map((v) =>
    evaluateHandbook(v.handbook, validation.index, validation.queries, {
      lambda,
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      ...(opts.estimator ? { estimator: opts.estimator } : {}),
      ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
    }),
  );
  return chooseAmong(views, evaluations, opts);
}

/**
 * Evaluates one candidate view with the target orchestrator (e.g. whole trajectories through the orchestrator graph
 * on validation tasks); `objective` must be accuracy − λ·normalised cost with one normaliser for every candidate.
 */
export type CandidateEvaluator = (handbook: Handbook, id: string) => Promise<Evaluation>;

/** As chooseHandbook, with each candidate evaluated by the given evaluator instead of by replay. */
export async function chooseHandbookWith(
  full: Handbook,
  evaluate: CandidateEvaluator,
  opts: ChooseOptions = {},
): Promise<{ selection: Selection; handbooks: Map<string, Handbook> }> {
  const views = candidateViews(full);
  const evaluations: Evaluation[] = [];
  for (const v of views) evaluations.push(await evaluate(v.handbook, v.id));
  return chooseAmong(views, evaluations, opts);
}

/** The frontier of evaluated candidates, and the choice by λ (objective) or budget. */
function chooseAmong(
  views: { id: string; granularity: Partial<Record<Mode, Granularity>>; handbook: Handbook }[],
  evaluations: Evaluation[],
  opts: ChooseOptions,
): { selection: Selection; handbooks: Map<string, Handbook> } {
  const lambda = opts.lambda ?? 0;
  const handbooks = new Map(views.map((v) => [v.id, v.handbook]));
  const candidates: Candidate[] = views.map((v, i) => ({
    id: v.id,
    granularity: v.granularity,
    skills: Object.keys(v.handbook.skills).length,
    evaluation: evaluations[i]!,
    onFrontier: false,
  }));
  const front = paretoFrontier(candidates.map((c) => c.evaluation));
  for (const i of front) candidates[i]!.onFrontier = true;
  let chosen: Candidate;
  let reason: string;
  if (opts.budgetUsd !== undefined) {
    const within = candidates.filter((c) => c.evaluation.meanCostUsd <= opts.budgetUsd! + 1e-15);
    if (within.length > 0) {
      chosen = within.reduce((a, b) => (b.evaluation.accuracy > a.evaluation.accuracy + 1e-12 || (Math.abs(b.evaluation.accuracy - a.evaluation.accuracy) <= 1e-12 && b.evaluation.meanCostUsd < a.evaluation.meanCostUsd) ? b : a));
      reason = `most accurate of ${within.length} candidate(s) with mean cost <= $${opts.budgetUsd}`;
    } else {
      chosen = candidates.reduce((a, b) => (b.evaluation.meanCostUsd < a.evaluation.meanCostUsd ? b : a));
      reason = `no candidate within the budget $${opts.budgetUsd}: the cheapest`;
    }
  } else {
    // Ties keep the earlier (coarser) candidate: fewer skills for the same objective.
    chosen = candidates.reduce((a, b) => (b.evaluation.objective > a.evaluation.objective + 1e-12 ? b : a));
    reason = `highest validation accuracy − λ·normalised cost (λ=${lambda}): ${chosen.evaluation.objective.toFixed(4)}`;
  }
  return {
    selection: {
      candidates,
      frontier: front.map((i) => candidates[i]!.id),
      chosen: chosen.id,
      by: opts.budgetUsd !== undefined ? { budgetUsd: opts.budgetUsd } : { lambda },
      reason,
    },
    handbooks,
  };
}
