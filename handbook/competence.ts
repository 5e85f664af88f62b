import seedrandom from "seedrandom";
import { MODES } from "../src/core/modes.js";
import type { Rng } from "../src/core/random.js";
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
  const s = e ? e.successes : 0;
  const f = e ? e.failures : 0;
  return betaQuantile(q, prior.alpha + s, prior.beta + f);
}

/** Equal-tailed credible interval [quantile((1−level)/2), quantile((1+level)/2)]. */
export function credibleInterval(
  e: Evidence | undefined,
  level = 0.9,
  prior: BetaPrior = FLAT_PRIOR,
): [number, number] {
  return [posteriorQuantile(e, (1 - level) / 2, prior), posteriorQuantile(e, (1 + level) / 2, prior)];
}

/** Raw success rate s / (s + f); 0 when there is no evidence (the reference implementation's rule). */
export function rawRate(e: Evidence | undefined): number {
  const n = observations(e);
  return n > 0 ? e!.successes / n : 0;
}

/** A seeded uniform generator on [0, 1). */
export function seededRng(seed: string | number): Rng {
  return seedrandom(String(seed));
}

/**
 * A fast seeded generator for draws by the hundred per call (Thompson selection): sfc32 (a small fast counting
 * generator with 128 bits of state) seeded by four MurmurHash3-style lanes over String(seed), 12 outputs discarded.
 * `word()` is the next 32-bit output (as a signed integer), `next()` the uniform (k + 0.5)/2³² on it, never 0 or 1.
 * A few ns per draw and well under 1 µs to seed, where `seededRng` (ARC4) takes about 50 ns per draw and 10 µs to
 * seed. The state lives in fields rather than in a closure so the samplers below inline its calls.
 */
export class FastRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    const key = String(seed);
    const lanes = [0, 0, 0, 0];
    for (let lane = 0; lane < 4; lane++) {
      let h = Math.imul(lane + 1, 0x9e3779b9);
      for (let i = 0; i < key.length; i++) {
        let k = Math.imul(key.charCodeAt(i), 0xcc9e2d51);
        k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
        h ^= k;
        h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
      }
      h ^= key.length;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      lanes[lane] = h ^ (h >>> 16);
    }
    this.a = lanes[0]!;
    this.b = lanes[1]!;
    this.c = lanes[2]!;
    this.d = lanes[3]!;
    for (let i = 0; i < 12; i++) this.word();
  }

  word(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (a + b + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t;
  }

  next(): number {
    return ((this.word() >>> 0) + 0.5) * 2.3283064365386963e-10;
  }
}

/** What the samplers draw from: a FastRng, or any uniform generator (`Rng`) through FunctionRng. */
interface Uniforms {
  next(): number;
  word(): number;
}

class FunctionRng implements Uniforms {
  constructor(private readonly rng: Rng) {}
  next(): number {
    return this.rng();
  }
  /** The top 32 bits of the uniform, as a signed integer. */
  word(): number {
    return (this.rng() * 4294967296) | 0;
  }
}

/**
 * One Thompson draw from the posterior Beta(α, β) (`betaSample`: two Marsaglia–Tsang gamma draws). Deterministic
 * for a seeded generator and a fixed call order (the number of uniforms a draw takes varies).
 */
export function thompsonSample(e: Evidence | undefined, rng: Rng | FastRng, prior: BetaPrior = FLAT_PRIOR): number {
  const s = e ? e.successes : 0;
  const f = e ? e.failures : 0;
  return betaSample(prior.alpha + s, prior.beta + f, rng);
}

/** The ziggurat's tables for the standard normal: 128 layers, abscissae scaled for 25-bit signed integers. */
const ZIG_R = 3.442619855899;
const ZIG_K = new Int32Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);

function zigguratTables(): void {
  const scale = 2 ** 24;
  const v = 9.91256303526217e-3; // the area of each layer
  let dn = ZIG_R;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = Math.floor((dn / q) * scale);
  ZIG_K[1] = 0;
  ZIG_W[0] = q / scale;
  ZIG_W[127] = dn / scale;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = Math.floor((dn / tn) * scale);
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / scale;
  }
}
zigguratTables();

/**
 * A standard normal deviate by the ziggurat method (Marsaglia & Tsang, "The ziggurat method for generating random
 * variables", 2000; 128 layers, the tail beyond R by Marsaglia's exponential method). Each try takes one 32-bit
 * word (a FastRng's output, or the top 32 bits of another generator's uniform): the low 7 bits pick the layer and
 * the other 25 the signed abscissa, so layer and value do not share bits (as they do in the original). About 99%
 * of deviates cost one word and a comparison.
 */
function normalDeviate(rng: Uniforms): number {
  const u = rng.word();
  const j = u >> 7;
  return Math.abs(j) < ZIG_K[u & 127]! ? j * ZIG_W[u & 127]! : normalBeyond(rng, u);
}

/** The ziggurat's other tries: from the word u whose fast test failed, until a deviate is accepted. */
function normalBeyond(rng: Uniforms, u: number): number {
  for (;;) {
    const i = u & 127;
    const j = u >> 7;
    if (Math.abs(j) < ZIG_K[i]!) return j * ZIG_W[i]!;
    if (i === 0) {
      let x: number;
      let y: number;
      do {
        x = -Math.log(rng.next() || Number.MIN_VALUE) / ZIG_R;
        y = -Math.log(rng.next() || Number.MIN_VALUE);
      } while (y + y < x * x);
      return j > 0 ? ZIG_R + x : -ZIG_R - x;
    }
    const x = j * ZIG_W[i]!;
    if (ZIG_F[i]! + rng.next() * (ZIG_F[i - 1]! - ZIG_F[i]!) < Math.exp(-0.5 * x * x)) return x;
    u = rng.word();
  }
}

/** A standard normal deviate (the ziggurat behind the gamma draws). */
export function normalSample(rng: Rng | FastRng): number {
  return normalDeviate(typeof rng === "function" ? new FunctionRng(rng) : rng);
}

/** A Gamma(k, 1) draw for k >= 1 (Marsaglia & Tsang, "A simple method for generating gamma variables", 2000). */
function gammaDraw(k: number, rng: Uniforms): number {
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normalDeviate(rng);
    let v = 1 + c * z;
    if (v <= 0) continue;
    v = v * v * v;
    const u = rng.next();
    const z2 = z * z;
    if (u < 1 - 0.0331 * z2 * z2 || Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** ln of a Gamma(k, 1) draw for any k > 0 (k < 1: Gamma(k + 1)·U^(1/k), in logs so tiny shapes do not underflow). */
function logGammaDraw(k: number, rng: Uniforms): number {
  if (k >= 1) return Math.log(gammaDraw(k, rng));
  const g = gammaDraw(k + 1, rng);
  return Math.log(g) + Math.log(rng.next() || Number.MIN_VALUE) / k;
}

/**
 * A Beta(α, β) draw as X / (X + Y), X ~ Gamma(α), Y ~ Gamma(β) by Marsaglia–Tsang on ziggurat normals: usually
 * four uniforms, two square roots and no logarithm. NaN unless α, β > 0.
 */
export function betaSample(alpha: number, beta: number, rng: Rng | FastRng): number {
  const g = typeof rng === "function" ? new FunctionRng(rng) : rng;
  if (alpha >= 1 && beta >= 1) {
    const x = gammaDraw(alpha, g);
    return x / (x + gammaDraw(beta, g));
  }
  if (!(alpha > 0 && beta > 0)) return Number.NaN;
  const lx = logGammaDraw(alpha, g);
  return 1 / (1 + Math.exp(logGammaDraw(beta, g) - lx));
}

/**
 * The regularised incomplete beta function and its inverse (the posterior quantile).
 *
 * log B(a, b) follows R's lbeta: Stirling's series with its remainder (lgammaCorrection) when an argument is
 * >= 10, so log B stays accurate for shapes in the tens of thousands; I_x(a, b) is the usual continued fraction
 * (modified Lentz, run to convergence at double precision) on the side of the mean where it converges fast.
 */
const LN_SQRT_2PI = 0.9189385332046728;

/** lgamma(x) − ((x − ½)·ln x − x + ln √(2π)) for x >= 10 (Stirling's remainder; error below 1e-16). */
function lgammaCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360))))));
}

/** ln Γ(x) for x > 0 (shifted up to 10 by the recurrence, then Stirling's series). */
function lnGamma(x: number): number {
  let prod = 1;
  while (x < 10) {
    prod *= x;
    x += 1;
  }
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + lgammaCorrection(x) - Math.log(prod);
}

/** ln B(a, b) for a, b > 0. */
export function lnBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    const corr = lgammaCorrection(p) + lgammaCorrection(q) - lgammaCorrection(p + q);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    const corr = lgammaCorrection(q) - lgammaCorrection(p + q);
    return lnGamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return lnGamma(p) + lnGamma(q) - lnGamma(p + q);
}

/** The continued fraction of I_x(a, b) = x^a (1 − x)^b / (a·B(a, b)) · cf, for x < (a + 1)/(a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), the CDF of Beta(a, b) at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  const bt = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lnBeta(a, b));
  return x < (a + 1) / (a + b + 2)
    ? (bt * betaContinuedFraction(x, a, b)) / a
    : 1 - (bt * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
function normalQuantile(p: number): number {
  if (p < 0.02425 || p > 0.97575) {
    const t = Math.sqrt(-2 * (p < 0.5 ? Math.log(p) : Math.log1p(-p)));
    const z =
      (((((-7.784894002430293e-3 * t - 3.223964580411365e-1) * t - 2.400758277161838) * t - 2.549732539343734) * t +
        4.374664141464968) *
        t +
        2.938163982698783) /
      ((((7.784695709041462e-3 * t + 3.224671290700398e-1) * t + 2.445134137142996) * t + 3.754408661907416) * t + 1);
    return p < 0.5 ? z : -z;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r -
      3.066479806614716e1) *
      r +
      2.506628277459239) *
      q) /
    (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r -
      1.328068155288572e1) *
      r +
      1)
  );
}

/**
 * The p-quantile of Beta(a, b): the x with I_x(a, b) = p. A closed-form start (Abramowitz & Stegun 26.5.22 for
 * a, b >= 1, else the leading terms of the two tails), then Halley steps on ln I_x − ln p (ln(1 − I_x) − ln(1 − p)
 * above the median), kept inside a bracket that every evaluation narrows. The iteration converges cubically and
 * stops after a step below 1e-6 of min(x, 1 − x), whose remaining error is far below double precision; usually
 * two or three evaluations of I_x. Agrees with a 50-digit reference to within 4e-13 relative over a, b in
 * [0.05, 10⁴] and q in [1e-6, 0.999] (test/handbook/select-speed-equivalence.test.ts), where jStat's ibetainv,
 * which this replaces, is off by up to 3e-7. A quantile below the smallest double is 0.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) return Number.NaN;
  if (!(p > 0)) return 0;
  if (!(p < 1)) return 1;
  const lnB = lnBeta(a, b);
  let x: number;
  if (a >= 1 && b >= 1) {
    const z = -normalQuantile(p);
    const al = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * Math.sqrt(al + h)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h));
    x = a / (a + b * Math.exp(2 * w));
  } else {
    const t = Math.exp(a * Math.log(a / (a + b))) / a;
    const u = Math.exp(b * Math.log(b / (a + b))) / b;
    const w = t + u;
    x = p < t / w ? (a * w * p) ** (1 / a) : 1 - (b * w * (1 - p)) ** (1 / b);
  }
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  const lower = p <= 0.5;
  const target = lower ? Math.log(p) : Math.log1p(-p);
  const a1 = a - 1;
  const b1 = b - 1;
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 100; it++) {
    if (!(x > lo && x < hi)) x = lo === 0 ? 0.25 * hi : 0.5 * (lo + hi);
    if (x === 0) return 0;
    const bt = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lnB);
    let cdf: number;
    let tail: number;
    if (x < (a + 1) / (a + b + 2)) {
      cdf = (bt * betaContinuedFraction(x, a, b)) / a;
      tail = 1 - cdf;
    } else {
      tail = (bt * betaContinuedFraction(1 - x, b, a)) / b;
      cdf = 1 - tail;
    }
    const pdf = bt / (x * (1 - x));
    // Newton step u on g = ln I − ln p (or on ln(1 − I) − ln(1 − p)); Halley's correction from g''/g'.
    let u: number;
    let curvature: number;
    if (lower) {
      const g = Math.log(cdf) - target;
      if (g === 0) return x;
      if (g > 0) hi = x;
      else lo = x;
      u = (g * cdf) / pdf;
      curvature = a1 / x - b1 / (1 - x) - pdf / cdf;
    } else {
      const g = Math.log(tail) - target;
      if (g === 0) return x;
      if (g < 0) hi = x;
      else lo = x;
      u = -(g * tail) / pdf;
      curvature = a1 / x - b1 / (1 - x) + pdf / tail;
    }
    const halley = 1 - 0.5 * u * curvature;
    const step = halley > 0.5 ? u / halley : u;
    const next = x - step;
    if (Math.abs(step) <= 1e-6 * Math.min(x, 1 - x) || hi - lo <= 2e-16 * x) return next > lo && next < hi ? next : x;
    x = next;
  }
  return x;
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
export function evidenceViaAncestors(
  h: Handbook,
  agent: string,
  skillId: string,
): { evidence: Evidence; from?: string } {
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
  if (!(strength > 0 && Number.isFinite(strength)))
    throw new RangeError(`strength must be finite and > 0, got ${strength}`);
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
