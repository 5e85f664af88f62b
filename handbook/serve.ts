import { InputError } from "../src/core/errors.js";
import { insideStep, objectiveAt, stepAt, type Curve } from "./lambda-path.js";

/**
 * Serving a learned selection: which candidate handbook (and λ) a run's λ or budget gets, from the candidates'
 * validation curves (learning writes them: src/learning/choose.ts). Pure; the orchestrator and eval both use it.
 */

/** What serving needs of a candidate of a selection. */
export interface ServableCandidate {
  id: string;
  /** Validation accuracy and cost over λ; absent when evaluated at one λ only. */
  curve?: Curve;
  /** Its validation figures at the selection's λ. */
  evaluation: { accuracy: number; meanCostUsd: number; objective: number };
  /** False: no λ or budget would pick it, and it was not saved. */
  deployed?: boolean;
  /** Where its handbook is saved, relative to the selection file. */
  file?: string;
}

export interface ServableSelection {
  candidates: readonly ServableCandidate[];
  /** The λ the selection's candidates were evaluated at (for candidates without a curve). */
  lambda?: number;
}

/** What chooseFor decides: the candidate, the λ to route it with, and its validation figures there. */
export interface Choice {
  candidate: string;
  lambda: number;
  accuracy: number;
  meanCostUsd: number;
  reason: string;
}

const TIE = 1e-12;

/**
 * The candidate (and λ) for a λ or a budget, from a selection's validation curves.
 * - λ: the candidate whose validation accuracy − λ·normalised cost is highest at that λ (ties: the earlier,
 *   coarser candidate), routed with that λ.
 * - budget (mean USD per query): the most accurate (candidate, λ step) whose validation mean cost is within it
 *   (ties: cheaper, then coarser), routed with a λ inside that step; when none is within it, the cheapest.
 * Candidates without a curve (evaluated at one λ by the target orchestrator) count at that λ only.
 */
export function chooseFor(selection: ServableSelection, want: { lambda: number } | { budgetUsd: number }): Choice {
  const cands = selection.candidates.filter((c) => c.deployed !== false);
  if (cands.length === 0) throw new InputError("selection: $.candidates: no deployed candidate");
  if ("lambda" in want) {
    let best: { c: ServableCandidate; obj: number; acc: number; cost: number } | undefined;
    for (const c of cands) {
      const at = c.curve ? stepAt(c.curve, want.lambda) : undefined;
      const obj = c.curve ? objectiveAt(c.curve, want.lambda) : c.evaluation.objective;
      if (!best || obj > best.obj + TIE)
        best = {
          c,
          obj,
          acc: at?.accuracy ?? c.evaluation.accuracy,
          cost: at?.meanCostUsd ?? c.evaluation.meanCostUsd,
        };
    }
    return {
      candidate: best!.c.id,
      lambda: want.lambda,
      accuracy: best!.acc,
      meanCostUsd: best!.cost,
      reason: `highest validation accuracy − λ·normalised cost (λ=${want.lambda}): ${best!.obj.toFixed(4)} (${best!.c.id})`,
    };
  }
  const budget = want.budgetUsd;
  const options: { c: ServableCandidate; lambda: number; acc: number; cost: number; order: number }[] = [];
  cands.forEach((c, order) => {
    if (c.curve)
      for (const s of c.curve.steps)
        options.push({ c, lambda: insideStep(s), acc: s.accuracy, cost: s.meanCostUsd, order });
    else
      options.push({
        c,
        lambda: selection.lambda ?? 0,
        acc: c.evaluation.accuracy,
        cost: c.evaluation.meanCostUsd,
        order,
      });
  });
  const within = options.filter((o) => o.cost <= budget + 1e-15);
  const pick = within.length
    ? within.reduce((a, b) =>
        b.acc > a.acc + TIE ||
        (Math.abs(b.acc - a.acc) <= TIE &&
          (b.cost < a.cost - 1e-15 || (Math.abs(b.cost - a.cost) <= 1e-15 && b.order < a.order)))
          ? b
          : a,
      )
    : options.reduce((a, b) => (b.cost < a.cost ? b : a));
  return {
    candidate: pick.c.id,
    lambda: pick.lambda,
    accuracy: pick.acc,
    meanCostUsd: pick.cost,
    reason: within.length
      ? `most accurate validation point with mean cost <= $${budget}: ${pick.c.id} at λ=${pick.lambda.toPrecision(4)} (accuracy ${pick.acc.toFixed(4)}, $${pick.cost.toPrecision(3)})`
      : `no validation point within the budget $${budget}: the cheapest, ${pick.c.id} at λ=${pick.lambda.toPrecision(4)} ($${pick.cost.toPrecision(3)})`,
  };
}
