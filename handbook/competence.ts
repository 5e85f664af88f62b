import jStat from "jstat";
import seedrandom from "seedrandom";
import { MODES } from "../src/core/modes.js";
import { FLAT_PRIOR, depthOf, parentIdOf, type BetaPrior, type Evidence, type Handbook } from "./schema.js";

/**
 * Competence maths over Beta posteriors.
 *
 * Evidence is stored without the prior (see schema.ts); every estimate here takes the prior explicitly, so an
 * (agent, skill) pair with no evidence is exactly the prior: mean alpha/(alpha+beta), never 0.
 */

export const NO_EVIDENCE: Evidence = Object.freeze({ successes: 0, failures: 0 }) as Evidence;

/**
 * Weighted fractional update: a trace with outcome `score` in [0, 1] on a skill active with `weight` adds
 * weight·score successes and weight·(1 − score) failures. With skill weights summing to 1, one trace adds
 * exactly one observation over all its skills.
 */
export function update(evidence: Evidence | undefined, score: number, weight = 1): Evidence {
  if (!(score >= 0 && score <= 1)) throw new RangeError(`score must be in [0, 1], got ${score}`);
  if (!(weight >= 0 && Number.isFinite(weight))) throw new RangeError(`weight must be finite and >= 0, got ${weight}`);
  const e = evidence ?? NO_EVIDENCE;
  return { successes: e.successes + weight * score, failures: e.failures + weight * (1 - score) };
}

/** Sum of two evidence records (exact pooling). */
export function addEvidence(a: Evidence | undefined, b: Evidence | undefined): Evidence {
  const x = a ?? NO_EVIDENCE;
  const y = b ?? NO_EVIDENCE;
  return { successes: x.successes + y.successes, failures: x.failures + y.failures };
}

/** Number of (fractional) observations. */
export function observations(e: Evidence | undefined): number {
  return e ? e.successes + e.failures : 0;
}

/** Posterior Beta parameters: prior plus evidence. */
export function posterior(e: Evidence | undefined, prior: BetaPrior = FLAT_PRIOR): { alpha: number; beta: number } {
  const x = e ?? NO_EVIDENCE;
  return { alpha: prior.alpha + x.successes, beta: prior.beta + x.failures };
}

/** Posterior mean (alpha + s) / (alpha + beta + s + f). */
export function posteriorMean(e: Evidence | undefined, prior: BetaPrior = FLAT_PRIOR): number {
  const s = e ? e.successes : 0;
  const f = e ? e.failures : 0;
  return (prior.alpha + s) / (prior.alpha + prior.beta + s + f);
}

/** The q-quantile of the posterior (q = 0.1: pessimistic lower bound; q = 0.9: optimistic upper bound). */
export function posteriorQuantile(e: Evidence | undefined, q: number, prior: BetaPrior = FLAT_PRIOR): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const { alpha, beta } = posterior(e, prior);
  return clamp01(jStat.beta.inv(q, alpha, beta));
}

/** Equal-tailed credible interval [quantile((1−level)/2), quantile((1+level)/2)]. */
export function credibleInterval(e: Evidence | undefined, level = 0.9, prior: BetaPrior = FLAT_PRIOR): [number, number] {
  return [posteriorQuantile(e, (1 - level) / 2, prior), posteriorQuantile(e, (1 + level) / 2, prior)];
}

/** Raw success rate s / (s + f); 0 when there is no evidence (the reference implementation's rule). */
export function rawRate(e: Evidence | undefined): number {
  const n = observations(e);
  return n > 0 ? e!.successes / n : 0;
}

/** A seeded uniform generator on [0, 1). */
export type Rng = () => number;

export function seededRng(seed: string | number): Rng {
  return seedrandom(String(seed));
}

/**
 * One Thompson draw from the posterior, by inverse CDF: draw u ~ U(0, 1) from `rng`, return Beta⁻¹(u).
 * Deterministic for a seeded rng and a fixed call order.
 */
export function thompsonSample(e: Evidence | undefined, rng: Rng, prior: BetaPrior = FLAT_PRIOR): number {
  const { alpha, beta } = posterior(e, prior);
  let u = rng();
  if (u <= 0) u = Number.MIN_VALUE;
  return clamp01(jStat.beta.inv(u, alpha, beta));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** The stored evidence of an agent on a skill (or on a bare mode id), or undefined when unseen. */
export function evidenceOf(h: Handbook, agent: string, key: string): Evidence | undefined {
  return h.agents[agent]?.competence[key];
}

/** Evidence of an agent on a node and all its descendants (for a bare mode id: everything in that mode). */
export function subtreeEvidence(h: Handbook, agent: string, nodeId: string): Evidence {
  const profile = h.agents[agent];
  if (!profile) return { successes: 0, failures: 0 };
  const prefix = `${nodeId}.`;
  let s = 0;
  let f = 0;
  for (const [key, e] of Object.entries(profile.competence)) {
    if (key === nodeId || key.startsWith(prefix)) {
      s += e.successes;
      f += e.failures;
    }
  }
  return { successes: s, failures: f };
}

/**
 * Competence of an unseen skill borrowed from its ancestors (optional helper; selection uses the prior for unseen
 * pairs unless the caller uses this). Walks skill → parent → … → category → mode and returns the first node whose
 * subtree holds evidence for the agent, with the id it came from; `from` is undefined when nothing was found
 * anywhere in the mode (then the evidence is empty and the posterior is the prior).
 */
export function evidenceViaAncestors(h: Handbook, agent: string, skillId: string): { evidence: Evidence; from?: string } {
  let node: string | undefined = skillId;
  while (node !== undefined) {
    const e = subtreeEvidence(h, agent, node);
    if (observations(e) > 0) return { evidence: e, from: node };
    const up: string | undefined = parentIdOf(node);
    node = up ?? (depthOf(node) >= 1 ? node.slice(0, node.indexOf(".")) : undefined);
  }
  return { evidence: { successes: 0, failures: 0 } };
}

/** Evidence of an agent pooled over a whole mode: its mode-level entry plus every skill of the mode. */
export function modeEvidence(h: Handbook, agent: string, mode: string): Evidence {
  if (!(MODES as readonly string[]).includes(mode)) throw new RangeError(`unknown mode ${mode}`);
  return subtreeEvidence(h, agent, mode);
}

/**
 * Hierarchical (empirical-Bayes) shrinkage.
 *
 * The flat prior lets an agent that was lucky on a handful of traces of a skill outrank one that is better
 * everywhere else. Under shrinkage the prior of (agent, node) is centred on the agent's competence at the node's
 * parent (a skill's category; a category's mode), with a strength of m pseudo-observations:
 *   prior = Beta(m·μ_parent, m·(1 − μ_parent)),  posterior mean = (m·μ_parent + s) / (m + s + f)
 * and μ_parent is itself the shrunk estimate of the parent's pooled (subtree) evidence, down to the mode, whose
 * estimate is the posterior mean of the agent's evidence pooled over the mode under the handbook's prior.
 */

/** Weakest and strongest shrinkage: never weaker than the flat prior's two pseudo-observations. */
export const MIN_STRENGTH = 2;
export const MAX_STRENGTH = 10_000;

/** The Beta prior of strength m centred on `centre` (clamped inside (0, 1) so both parameters stay positive). */
export function shrinkagePrior(centre: number, strength: number): BetaPrior {
  if (!(strength > 0 && Number.isFinite(strength))) throw new RangeError(`strength must be finite and > 0, got ${strength}`);
  const c = Math.min(1 - 1e-9, Math.max(1e-9, centre));
  return { alpha: strength * c, beta: strength * (1 - c) };
}

/** Posterior mean under a prior of strength m centred on `centre`: (m·centre + s) / (m + s + f). */
export function shrunkMean(e: Evidence | undefined, centre: number, strength: number): number {
  const s = e ? e.successes : 0;
  const f = e ? e.failures : 0;
  return (strength * centre + s) / (strength + s + f);
}

/**
 * Method-of-moments estimate of the shrinkage strength m from sibling groups: each group is the evidence of one
 * agent on the children of one parent node. Under a beta-binomial model (children's true rates drawn from
 * Beta(m·μ, m·(1 − μ)), intra-class correlation ρ = 1/(m + 1)), the group's Pearson statistic
 *   X² = Σ_c n_c (p_c − p̄)² / (p̄ (1 − p̄)),  p̄ = Σ s_c / Σ n_c,
 * has expectation (K − 1) + ρ · Σ_c (n_c − 1)(1 − n_c / N). Summing both sides over the groups gives
 *   ρ̂ = (Σ X² − Σ (K − 1)) / Σ Σ (n_c − 1)(1 − n_c / N),   m̂ = 1/ρ̂ − 1,
 * clamped to [MIN_STRENGTH, MAX_STRENGTH] (ρ̂ ≤ 0: no detectable between-child variation, the strongest pooling).
 * Children with no evidence, groups with fewer than two children, and groups whose pooled rate is 0 or 1 carry no
 * information and are skipped; children with fewer than one observation add nothing to the denominator. Returns
 * undefined when no group is informative.
 */
export function momStrength(groups: ReadonlyArray<ReadonlyArray<Evidence>>): number | undefined {
  let excess = 0;
  let spread = 0;
  let informative = 0;
  for (const g of groups) {
    const kids = g.filter((e) => e.successes + e.failures > 0);
    if (kids.length < 2) continue;
    let S = 0;
    let N = 0;
    for (const e of kids) {
      S += e.successes;
      N += e.successes + e.failures;
    }
    const pBar = S / N;
    const v = pBar * (1 - pBar);
    if (!(v > 1e-12)) continue;
    let x2 = 0;
    let d = 0;
    for (const e of kids) {
      const n = e.successes + e.failures;
      const p = e.successes / n;
      x2 += (n * (p - pBar) ** 2) / v;
      d += Math.max(0, n - 1) * (1 - n / N);
    }
    excess += x2 - (kids.length - 1);
    spread += d;
    informative++;
  }
  if (informative === 0 || !(spread > 0)) return undefined;
  const rho = excess / spread;
  if (!(rho > 0)) return MAX_STRENGTH;
  return Math.min(MAX_STRENGTH, Math.max(MIN_STRENGTH, 1 / rho - 1));
}
