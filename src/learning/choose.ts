import type { Estimator, Shrinkage, Strategy } from "../../handbook/select.js";
import type { Handbook } from "../../handbook/schema.js";
import { viewAtDepth, type Granularity } from "../../handbook/views.js";
import { MODES, type Mode } from "../core/modes.js";
import { evaluateHandbook, type Evaluation, type ReplayIndex } from "./evaluate.js";
import { paretoFrontier as frontierOf } from "../core/frontier.js";
import { skillIdentifier, stepSkills } from "../../handbook/identify.js";
import { selectAgent } from "../../handbook/select.js";
import { choiceAt, choicePath, validationCurve, type Curve, type PathPoint } from "../../handbook/lambda-path.js";
import { chooseFor } from "../../handbook/serve.js";

/**
 * Selecting a sub-handbook: candidates by granularity per mode (0: mode level only; 1: categories; "all"), each
 * evaluated on the validation queries by replay; the Pareto frontier of accuracy against mean cost; the choice
 * by the user's λ (maximise accuracy − λ·normalised cost) or budget (the most accurate with mean cost ≤ budget).
 */

export interface CandidateHandbook {
  id: string;
  granularity: Partial<Record<Mode, Granularity>>;
  skills: number;
  evaluation: Evaluation;
  onFrontier: boolean;
  /** Validation accuracy and cost over λ (tradeoff by replay); absent when evaluated at one λ only. */
  curve?: Curve;
  /** Where the candidate's handbook is saved, relative to the selection file. */
  file?: string;
  /**
   * False for a candidate that no λ or budget would pick (neither best at any λ nor on the frontier): it keeps its
   * curve for the record, but is not saved and chooseFor passes it over.
   */
  deployed?: boolean;
}

export interface Selection {
  candidates: CandidateHandbook[];
  /** Candidate ids on the frontier, cheapest first. */
  frontier: string[];
  /** The frontier's points over every (candidate, λ step), cheapest first; `from`: where the step starts. */
  points: { candidate: string; from: number; accuracy: number; meanCostUsd: number }[];
  chosen: string;
  /** The λ the chosen candidate is routed with (the given λ, or the one solved for the budget). */
  lambda: number;
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
export function paretoIndices(points: readonly { accuracy: number; meanCostUsd: number }[]): number[] {
  return frontierOf(
    points.map((p, i) => ({ cost: p.meanCostUsd, accuracy: p.accuracy, index: i })),
    1e-12,
  ).map((p) => p.index);
}

/** The candidate views of a handbook: one per granularity assignment over its modes. */
export function candidateViews(
  full: Handbook,
): { id: string; granularity: Partial<Record<Mode, Granularity>>; handbook: Handbook }[] {
  return granularities(full).map((g) => ({
    id: candidateId(g),
    granularity: g,
    handbook: Object.values(g).every((x) => x === "all") ? full : viewAtDepth(full, g),
  }));
}

/** Extra candidates besides the views (e.g. text clusterings of the training queries), already profiled. */
export interface ExtraCandidate {
  id: string;
  handbook: Handbook;
}

/** What routing the points at λ gives (the replay Evaluation of evaluateHandbook, from the paths). */
export function evaluationAt(points: readonly PathPoint[], lambda: number): Evaluation {
  const calls: Record<string, number> = {};
  let score = 0;
  let cost = 0;
  let maxCost = 0;
  let missing = 0;
  let estimated = false;
  for (const p of points) {
    maxCost += p.maxCostUsd;
    const agent = choiceAt(p.path, lambda);
    const o = agent !== undefined ? p.outcomes.get(agent) : undefined;
    if (!o) {
      missing++;
      continue;
    }
    calls[agent!] = (calls[agent!] ?? 0) + 1;
    score += o.score;
    cost += o.costUsd;
    estimated ||= (o as { costEstimated?: boolean }).costEstimated ?? false;
  }
  const n = points.length;
  const accuracy = n ? score / n : 0;
  const meanCostUsd = n ? cost / n : 0;
  const maxMeanCostUsd = n ? maxCost / n : 0;
  const objective = accuracy - lambda * (maxMeanCostUsd > 0 ? meanCostUsd / maxMeanCostUsd : 0);
  return { points: n, accuracy, meanCostUsd, maxMeanCostUsd, costEstimated: estimated, objective, missing, calls };
}

/** Each validation point's choice path under a handbook, with its recorded outcomes. */
export function pathPoints(
  h: Handbook,
  validation: { index: ReplayIndex; queries: readonly string[] },
  opts: ChooseOptions = {},
): PathPoint[] {
  return pathPointsOf([h], validation, opts)[0]!;
}

/**
 * pathPoints for several handbooks at once, point by point (each point's text is read once for all of them: the
 * neighbours estimator's similarities to a shared memory are computed once per point). One list per handbook.
 */
export function pathPointsOf(
  handbooks: readonly Handbook[],
  validation: { index: ReplayIndex; queries: readonly string[] },
  opts: ChooseOptions = {},
): PathPoint[][] {
  const identifiers = handbooks.map((h) => skillIdentifier(h));
  const want = new Set(validation.queries);
  const out: PathPoint[][] = handbooks.map(() => []);
  const select = {
    lambda: 0,
    explain: false,
    ...(opts.estimator ? { estimator: opts.estimator } : {}),
    ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
  };
  for (const p of validation.index.points) {
    if (!want.has(p.queryId)) continue;
    const recorded = validation.index.outcomes.get(p.key)!;
    if (recorded.size === 0) continue;
    let top = 0;
    for (const o of recorded.values()) top = Math.max(top, o.costUsd);
    handbooks.forEach((h, i) => {
      const d = selectAgent(h, { mode: p.mode, ...stepSkills(h, identifiers[i]!, p.text, p.mode), ...select });
      out[i]!.push({ path: choicePath(d.candidates), outcomes: recorded, maxCostUsd: top });
    });
  }
  return out;
}

/**
 * Cross-validated curves: each candidate's skill structure is kept, its competence and costs are profiled afresh
 * without one fold of the labelled queries and its paths taken on that fold; the curve is over every labelled
 * query. With a few dozen labels this is several times the validation data of one split, so the choice between
 * candidates is far less noisy. `reprofile(h, heldOut)` profiles h on the labelled points outside `heldOut`.
 */
export function crossValidatedCurves(
  views: readonly { handbook: Handbook }[],
  folds: readonly (readonly string[])[],
  index: ReplayIndex,
  reprofile: (h: Handbook, heldOut: ReadonlySet<string>) => Handbook,
  opts: ChooseOptions = {},
): Curve[] {
  const points: PathPoint[][] = views.map(() => []);
  for (const fold of folds) {
    if (fold.length === 0) continue;
    const heldOut = new Set(fold);
    const handbooks = views.map((v) => reprofile(v.handbook, heldOut));
    pathPointsOf(handbooks, { index, queries: fold }, opts).forEach((pts, i) => {
      points[i]!.push(...pts);
    });
  }
  return points.map((pts) => validationCurve(pts));
}

/**
 * Views of a handbook at each granularity, plus any extra candidates, evaluated on validation by replay: each
 * candidate's whole λ path (tradeoff strategy), the frontier over every (candidate, λ step), and the choice for
 * the given λ or budget (see chooseFor). The cascade strategy has no λ path: it is evaluated at the one λ.
 */
export function chooseHandbook(
  full: Handbook,
  validation: { index: ReplayIndex; queries: readonly string[] },
  opts: ChooseOptions = {},
  extra: readonly ExtraCandidate[] = [],
  crossValidate?: {
    folds: readonly (readonly string[])[];
    index: ReplayIndex;
    reprofile: (h: Handbook, heldOut: ReadonlySet<string>) => Handbook;
  },
): { selection: Selection; handbooks: Map<string, Handbook> } {
  const lambda = opts.lambda ?? 0;
  const views = [...candidateViews(full), ...extra.map((e) => ({ id: e.id, granularity: {}, handbook: e.handbook }))];
  const evalOpts = {
    lambda,
    ...(opts.strategy ? { strategy: opts.strategy } : {}),
    ...(opts.estimator ? { estimator: opts.estimator } : {}),
    ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
  };
  const tradeoff = (opts.strategy ?? "tradeoff") === "tradeoff";
  if (!tradeoff) {
    const evaluations = views.map((v) => evaluateHandbook(v.handbook, validation.index, validation.queries, evalOpts));
    return chooseAmong(views, evaluations, opts);
  }
  // The validation split's paths give both the evaluation at λ and (without cross-validation) the curve.
  const points = pathPointsOf(
    views.map((v) => v.handbook),
    validation,
    opts,
  );
  const evaluations = points.map((pts) => evaluationAt(pts, lambda));
  const curves = crossValidate
    ? crossValidatedCurves(views, crossValidate.folds, crossValidate.index, crossValidate.reprofile, opts)
    : points.map((pts) => validationCurve(pts));
  return chooseAmong(views, evaluations, opts, curves);
}

/**
 * Evaluates one candidate view with the target orchestrator (e.g. whole trajectories through the orchestrator graph
 * on validation tasks); `objective` must be accuracy − λ·normalised cost with one normaliser for every candidate.
 */
export type CandidateEvaluator = (handbook: Handbook, id: string) => Promise<Evaluation>;

/** As chooseHandbook, with each candidate evaluated by the given evaluator (at the one λ) instead of by replay. */
export async function chooseHandbookWith(
  full: Handbook,
  evaluate: CandidateEvaluator,
  opts: ChooseOptions = {},
  extra: readonly ExtraCandidate[] = [],
): Promise<{ selection: Selection; handbooks: Map<string, Handbook> }> {
  const views = [...candidateViews(full), ...extra.map((e) => ({ id: e.id, granularity: {}, handbook: e.handbook }))];
  const evaluations: Evaluation[] = [];
  for (const v of views) evaluations.push(await evaluate(v.handbook, v.id));
  return chooseAmong(views, evaluations, opts);
}

/** The frontier of evaluated candidates, and the choice by λ (objective) or budget. */
function chooseAmong(
  views: { id: string; granularity: Partial<Record<Mode, Granularity>>; handbook: Handbook }[],
  evaluations: Evaluation[],
  opts: ChooseOptions,
  curves?: Curve[],
): { selection: Selection; handbooks: Map<string, Handbook> } {
  const lambda = opts.lambda ?? 0;
  const handbooks = new Map(views.map((v) => [v.id, v.handbook]));
  const candidates: CandidateHandbook[] = views.map((v, i) => ({
    id: v.id,
    granularity: v.granularity,
    skills: Object.keys(v.handbook.skills).length,
    evaluation: evaluations[i]!,
    onFrontier: false,
    ...(curves ? { curve: curves[i]! } : {}),
  }));
  // The frontier over every (candidate, λ step): a candidate is on it when one of its steps is.
  const points = candidates.flatMap((c, ci) =>
    c.curve
      ? c.curve.steps.map((s) => ({ ci, from: s.from, accuracy: s.accuracy, meanCostUsd: s.meanCostUsd }))
      : [{ ci, from: lambda, accuracy: c.evaluation.accuracy, meanCostUsd: c.evaluation.meanCostUsd }],
  );
  const front = paretoIndices(points).map((i) => points[i]!);
  for (const p of front) candidates[p.ci]!.onFrontier = true;
  const by = opts.budgetUsd !== undefined ? { budgetUsd: opts.budgetUsd } : { lambda };
  const choice = chooseFor({ candidates, lambda }, by);
  return {
    selection: {
      candidates,
      frontier: [...new Set(front.map((p) => candidates[p.ci]!.id))],
      points: front.map((p) => ({
        candidate: candidates[p.ci]!.id,
        from: p.from,
        accuracy: p.accuracy,
        meanCostUsd: p.meanCostUsd,
      })),
      chosen: choice.candidate,
      lambda: choice.lambda,
      by,
      reason: choice.reason,
    },
    handbooks,
  };
}
