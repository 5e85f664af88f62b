/**
 * How a handbook's routing changes with λ, exactly. For one routing point the tradeoff rule picks
 * argmax_a ĉ_a − λ·Ĉ_a, the upper envelope of straight lines in λ: the choice is piecewise constant, and changes
 * only where two lines cross. Over a set of validation points, accuracy and mean cost are therefore step functions
 * of λ with finitely many steps, and select can (1) pick, for any λ, the candidate whose validation objective is
 * best at that λ, and (2) for a budget, find the most accurate (candidate, λ) whose validation cost is within it,
 * without a grid. Pure.
 */

export interface LineCandidate {
  agent: string;
  /** The λ-free part of the score (the weighted competence estimate). */
  competence: number;
  /** Ĉ: the λ-slope of the score. */
  normalisedCost: number;
}

export interface PathStep {
  /** The agent chosen for every λ in [from, next step's from). */
  from: number;
  agent: string;
}

const EPS = 1e-12;

/** Whether a beats b at λ under the rule: the higher score, then the cheaper agent, then the smaller id. */
function better(a: LineCandidate, b: LineCandidate, lambda: number): boolean {
  const sa = a.competence - lambda * a.normalisedCost;
  const sb = b.competence - lambda * b.normalisedCost;
  if (Math.abs(sa - sb) > EPS) return sa > sb;
  if (Math.abs(a.normalisedCost - b.normalisedCost) > EPS) return a.normalisedCost < b.normalisedCost;
  return a.agent < b.agent;
}

/** The choice at each λ ≥ 0 as steps (first from 0), with the rule's ties: the cheaper agent, then the smaller id. */
export function choicePath(cands: readonly LineCandidate[]): PathStep[] {
  if (cands.length === 0) return [];
  let cur = cands.reduce((a, b) => (better(b, a, 0) ? b : a));
  const steps: PathStep[] = [{ from: 0, agent: cur.agent }];
  let lambda = 0;
  for (let guard = 0; guard <= cands.length; guard++) {
    let next: LineCandidate | undefined;
    let at = Infinity;
    for (const b of cands) {
      if (b.normalisedCost >= cur.normalisedCost - EPS) continue;
      const x = Math.max(lambda, (cur.competence - b.competence) / (cur.normalisedCost - b.normalisedCost));
      if (x < at - EPS || (Math.abs(x - at) <= EPS && next && better(b, next, x + 1e-9))) {
        at = x;
        next = b;
      }
    }
    if (!next || !Number.isFinite(at)) break;
    cur = next;
    lambda = at;
    if (steps[steps.length - 1]!.from === at) steps[steps.length - 1]!.agent = cur.agent;
    else steps.push({ from: at, agent: cur.agent });
  }
  return steps;
}

/** The agent a path chooses at λ. */
export function choiceAt(path: readonly PathStep[], lambda: number): string | undefined {
  let out: string | undefined;
  for (const s of path) {
    if (s.from <= lambda + EPS) out = s.agent;
    else break;
  }
  return out;
}

/** A validation point: its path, and what each agent was recorded to score and cost there. */
export interface PathPoint {
  path: readonly PathStep[];
  outcomes: ReadonlyMap<string, { score: number; costUsd: number }>;
  /** Cost of the most expensive recorded agent at the point (the objective's normaliser). */
  maxCostUsd: number;
}

/** One step of a validation curve: every λ in [from, to) gives this accuracy and mean cost. */
export interface CurveStep {
  from: number;
  to: number;
  accuracy: number;
  meanCostUsd: number;
  /** Points whose chosen agent has no record there (scored 0, cost 0). */
  missing: number;
}

export interface Curve {
  points: number;
  /** Mean over points of the most expensive recorded cost: objective = accuracy − λ·meanCost/maxMeanCost. */
  maxMeanCostUsd: number;
  steps: CurveStep[];
}

/** Accuracy and mean cost over the points as a step function of λ (consecutive equal steps merged). */
export function validationCurve(points: readonly PathPoint[]): Curve {
  const n = points.length;
  const maxMean = n ? points.reduce((a, p) => a + p.maxCostUsd, 0) / n : 0;
  if (n === 0)
    return {
      points: 0,
      maxMeanCostUsd: 0,
      steps: [{ from: 0, to: Infinity, accuracy: 0, meanCostUsd: 0, missing: 0 }],
    };
  let score = 0;
  let cost = 0;
  let missing = 0;
  const add = (p: PathPoint, agent: string, sign: 1 | -1) => {
    const o = p.outcomes.get(agent);
    if (!o) missing += sign;
    else {
      score += sign * o.score;
      cost += sign * o.costUsd;
    }
  };
  const events: { at: number; point: number; from: string; to: string }[] = [];
  points.forEach((p, i) => {
    if (p.path.length === 0) {
      missing++;
      return;
    }
    add(p, p.path[0]!.agent, 1);
    for (let k = 1; k < p.path.length; k++)
      events.push({ at: p.path[k]!.from, point: i, from: p.path[k - 1]!.agent, to: p.path[k]!.agent });
  });
  events.sort((a, b) => a.at - b.at);
  const steps: CurveStep[] = [];
  const push = (from: number) => {
    const s = { from, to: Infinity, accuracy: score / n, meanCostUsd: cost / n, missing };
    const last = steps[steps.length - 1];
    if (
      last &&
      Math.abs(last.accuracy - s.accuracy) <= EPS &&
      Math.abs(last.meanCostUsd - s.meanCostUsd) <= EPS &&
      last.missing === s.missing
    )
      return;
    if (last) last.to = from;
    steps.push(s);
  };
  push(0);
  for (let e = 0; e < events.length; ) {
    const at = events[e]!.at;
    for (; e < events.length && events[e]!.at <= at + EPS; e++) {
      const ev = events[e]!;
      add(points[ev.point]!, ev.from, -1);
      add(points[ev.point]!, ev.to, 1);
    }
    push(at);
  }
  return { points: n, maxMeanCostUsd: maxMean, steps };
}

/** The step of a curve that holds λ. */
export function stepAt(curve: Curve, lambda: number): CurveStep {
  let out = curve.steps[0]!;
  for (const s of curve.steps) {
    if (s.from <= lambda + EPS) out = s;
    else break;
  }
  return out;
}

/** accuracy − λ·meanCost/maxMeanCost at λ. */
export function objectiveAt(curve: Curve, lambda: number): number {
  const s = stepAt(curve, lambda);
  return s.accuracy - lambda * (curve.maxMeanCostUsd > 0 ? s.meanCostUsd / curve.maxMeanCostUsd : 0);
}

/** A λ well inside a step (its midpoint; for the last, open step, a point past its start). */
export function insideStep(s: CurveStep): number {
  if (Number.isFinite(s.to)) return (s.from + s.to) / 2;
  return s.from === 0 ? 0 : s.from * 1.5 + 0.01;
}

/**
 * The candidates that are the best by validation objective at some λ ≥ 0 (indices into `curves`, sorted): the
 * objective of each is linear in λ between the curves' breakpoints, so on each interval the winners are the upper
 * envelope of straight lines (choicePath again). Ties go to the earlier candidate, as in chooseFor.
 */
export function lambdaWinners(curves: readonly Curve[]): number[] {
  const bounds = [...new Set(curves.flatMap((c) => c.steps.map((s) => s.from)))].sort((a, b) => a - b);
  const won = new Set<number>();
  // stepAt(c, lo) for ascending lo: each curve's step advances (as stepAt's scan would stop at the same step).
  const at = curves.map(() => 0);
  const stepOf = (ci: number, lambda: number): CurveStep => {
    const steps = curves[ci]!.steps;
    let j = at[ci]!;
    while (j + 1 < steps.length && steps[j + 1]!.from <= lambda + EPS) j++;
    at[ci] = j;
    return steps[j]!;
  };
  // One line per candidate, refilled at each bound. Index-padded names keep the earlier candidate first on exact
  // ties, as chooseFor does.
  const lines: LineCandidate[] = curves.map((_, i) => ({
    agent: String(i).padStart(6, "0"),
    competence: 0,
    normalisedCost: 0,
  }));
  bounds.forEach((lo, b) => {
    const hi = bounds[b + 1] ?? Infinity;
    curves.forEach((c, i) => {
      const s = stepOf(i, lo);
      const slope = c.maxMeanCostUsd > 0 ? s.meanCostUsd / c.maxMeanCostUsd : 0;
      const line = lines[i]!;
      line.competence = s.accuracy - lo * slope;
      line.normalisedCost = slope;
    });
    for (const step of choicePath(lines)) if (step.from < hi - lo - EPS) won.add(Number(step.agent));
  });
  return [...won].sort((a, b) => a - b);
}
