import { answerTokens, normalizeAnswer, type NormalizeOptions } from "./normalize.js";

function referencesOf(references: string | readonly string[]): readonly string[] {
  const refs = typeof references === "string" ? [references] : references;
  if (refs.length === 0) throw new RangeError("answer scoring: at least one reference answer is needed");
  return refs;
}

/** 1 when the normalised prediction equals some normalised reference, else 0. */
export function exactMatch(
  prediction: string,
  references: string | readonly string[],
  opts: NormalizeOptions = {},
): number {
  const p = normalizeAnswer(prediction, opts);
  return referencesOf(references).some((r) => normalizeAnswer(r, opts) === p) ? 1 : 0;
}

/** Token-level F1 between normalised prediction and reference (SQuAD), the best over references. */
export function tokenF1(
  prediction: string,
  references: string | readonly string[],
  opts: NormalizeOptions = {},
): number {
  const p = answerTokens(prediction, opts);
  let best = 0;
  for (const ref of referencesOf(references)) best = Math.max(best, f1Of(p, answerTokens(ref, opts)));
  return best;
}

function f1Of(pred: string[], gold: string[]): number {
  // As in SQuAD: when either side has no tokens, F1 is 1 if both are empty, else 0.
  if (pred.length === 0 || gold.length === 0) return pred.length === gold.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / pred.length;
  const recall = common / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * 1 when some normalised reference appears in the normalised prediction as whole words ("paris" is in "it is paris
 * france" but not in "parish"), else 0. An empty normalised reference never matches. This is a separate, more lenient
 * metric than exact match: a long answer that mentions the gold string scores 1 here and 0 on EM.
 */
export function containment(
  prediction: string,
  references: string | readonly string[],
  opts: NormalizeOptions = {},
): number {
  const p = ` ${normalizeAnswer(prediction, opts)} `;
  return referencesOf(references).some((r) => {
    const g = normalizeAnswer(r, opts);
    return g !== "" && p.includes(` ${g} `);
  })
    ? 1
    : 0;
}
