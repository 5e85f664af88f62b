import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import {
  betaCdf,
  betaQuantile,
  betaSample,
  credibleInterval,
  FastRng,
  normalSample,
  posteriorQuantile,
  seededRng,
  thompsonSample,
} from "../../handbook/competence.js";
import type { Evidence, Handbook } from "../../handbook/schema.js";
import { selectAgent, type SelectOptions, type Shrinkage } from "../../handbook/select.js";
import { cost, ev, handbookWith } from "./helpers.js";

/**
 * The fast estimators of selection give the same results as before: the posterior quantile (betaQuantile, which
 * replaced jStat's ibetainv) against a 50-digit reference and against jStat; cached quantiles against freshly
 * computed ones; the Thompson sampler (Marsaglia–Tsang on a FastRng, which replaced inverse-CDF draws on ARC4)
 * against the posterior it samples.
 */

/** The parts of jStat used here (the package ships no typings). */
const jStat = createRequire(import.meta.url)("jstat") as {
  ibetainv(p: number, a: number, b: number): number;
  beta: { inv(p: number, a: number, b: number): number; pdf(x: number, a: number, b: number): number };
  normal: { cdf(x: number, mean: number, sd: number): number };
};

/** Rows [a, b, q, x]: the q-quantile x of Beta(a, b) to the nearest double (fixtures/beta-quantiles.py). */
const REFERENCE = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures", "beta-quantiles.json"), "utf8"),
) as [number, number, number, number][];

/** Kolmogorov–Smirnov statistic of a sample against a CDF. */
function ksStatistic(xs: number[], cdf: (x: number) => number): number {
  const s = [...xs].sort((a, b) => a - b);
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const f = cdf(s[i]!);
    d = Math.max(d, (i + 1) / s.length - f, f - i / s.length);
  }
  return d;
}
/** The KS statistic's critical value at significance 0.001 for n draws. */
const ksCritical = (n: number) => 1.95 / Math.sqrt(n);

describe("betaQuantile", () => {
  it("covers the grid the tests below use: 14 shapes from 0.05 to 10⁴ each way, 10 levels from 1e-6 to 0.999", () => {
    expect(REFERENCE).toHaveLength(14 * 14 * 10);
    expect(new Set(REFERENCE.map((r) => r[0]))).toEqual(
      new Set([0.05, 0.1, 0.5, 0.7, 1, 1.5, 2, 3, 7.3, 10, 50, 300, 1000, 10000]),
    );
  });

  it("matches the 50-digit reference to 1e-12 relative everywhere on the grid (a quantile below 1e-300 is 0)", () => {
    const off: string[] = [];
    for (const [a, b, q, x] of REFERENCE) {
      const ours = betaQuantile(q, a, b);
      const ok = x === 0 ? ours < 1e-300 : Math.abs(ours - x) <= 1e-12 * x;
      if (!ok) off.push(`Beta(${a}, ${b}) q=${q}: ${ours} vs ${x}`);
    }
    expect(off).toEqual([]);
  });

  it("agrees with jStat's ibetainv to 1e-9 relative or 1e-10 absolute wherever jStat is itself that close to the reference", () => {
    let jstatOff = 0;
    let worstJstat = 0;
    const unexplained: string[] = [];
    for (const [a, b, q, x] of REFERENCE) {
      const ours = betaQuantile(q, a, b);
      const theirs = jStat.ibetainv(q, a, b);
      const tol = Math.max(1e-9 * x, 1e-10);
      const jstatError = Math.abs(theirs - x);
      if (jstatError > tol) jstatOff++;
      if (a >= 0.5 && b >= 0.5 && x > 0) worstJstat = Math.max(worstJstat, jstatError / x);
      // Any disagreement beyond the tolerance is jStat's own error (it stops its continued fraction at 3e-7).
      if (Math.abs(ours - theirs) > tol && !(jstatError > tol))
        unexplained.push(`Beta(${a}, ${b}) q=${q}: ${ours} vs jStat ${theirs}, reference ${x}`);
    }
    expect(unexplained).toEqual([]);
    // jStat misses the tolerance on a minority of the grid, by at most ~1e-7 relative for shapes of 0.5 and up.
    expect(jstatOff).toBeLessThan(REFERENCE.length * 0.15);
    expect(worstJstat).toBeLessThan(3e-7);
  });

  it("inverts betaCdf, is monotone in q, and handles the ends", () => {
    const rng = seedrandom("inverse");
    for (let i = 0; i < 500; i++) {
      const a = Math.exp(-2 + rng() * 11);
      const b = Math.exp(-2 + rng() * 11);
      const q = 0.001 + 0.998 * rng();
      const x = betaQuantile(q, a, b);
      // Within 1e-11 of q, or of the CDF a few ulps either side where the density is steep (x near 1).
      const ulps = 4e-16 * x;
      if (x > 1e-300 && x < 1) {
        expect(betaCdf(x - ulps, a, b) - 1e-11).toBeLessThanOrEqual(q);
        expect(betaCdf(x + ulps, a, b) + 1e-11).toBeGreaterThanOrEqual(q);
      }
      expect(betaQuantile(Math.min(1, q + 0.001), a, b)).toBeGreaterThanOrEqual(x);
    }
    expect(betaQuantile(0, 2, 3)).toBe(0);
    expect(betaQuantile(1, 2, 3)).toBe(1);
    expect(betaQuantile(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(betaQuantile(0.5, 4, 4)).toBeCloseTo(0.5, 14);
    expect(betaQuantile(0.5, 0, 1)).toBeNaN();
    // Beta(a, 1) has CDF x^a: the quantile is q^(1/a).
    for (const a of [0.3, 2, 40, 5000]) expect(betaQuantile(0.2, a, 1)).toBeCloseTo(0.2 ** (1 / a), 13);
  });

  it("is what posteriorQuantile and credibleInterval return", () => {
    expect(posteriorQuantile(ev(7, 3), 0.25)).toBe(betaQuantile(0.25, 8, 4));
    expect(posteriorQuantile(ev(7, 3), 0.25, { alpha: 0.5, beta: 2 })).toBe(betaQuantile(0.25, 7.5, 5));
    expect(credibleInterval(ev(70, 30), 0.9)).toEqual([betaQuantile(0.05, 71, 31), betaQuantile(0.95, 71, 31)]);
  });
});

/** A handbook of 3 categories × 5 skills and 8 agents with fractional evidence (some pairs unseen), and costs. */
function randomHandbook(seed: string): Handbook {
  const rng = seedrandom(seed);
  const ids: string[] = [];
  for (let c = 0; c < 3; c++) {
    ids.push(`search.c${c}`);
    for (let s = 0; s < 5; s++) ids.push(`search.c${c}.s${s}`);
  }
  const agents: Record<
    string,
    { modes: ["search"]; competence: Record<string, Evidence>; costs: { search: ReturnType<typeof cost> } }
  > = {};
  for (let a = 0; a < 8; a++) {
    const skill = 0.2 + 0.6 * rng();
    const competence: Record<string, Evidence> = {};
    for (const id of ids) {
      if (rng() < 0.2) continue;
      const n = rng() < 0.3 ? rng() * 3 : rng() * 40;
      const p = Math.min(1, Math.max(0, skill + 0.3 * (rng() - 0.5)));
      competence[id] = ev(n * p, n * (1 - p));
    }
    agents[`agent-${a}`] = { modes: ["search"], competence, costs: { search: cost(0.001 + 0.01 * rng()) } };
  }
  return handbookWith(ids, agents);
}

function randomSteps(seed: string, count: number): SelectOptions[] {
  const rng = seedrandom(seed);
  const shrinkages: Shrinkage[] = ["none", "auto", { strength: 5 }];
  const skills = [
    "search.c0",
    "search.c1.s2",
    ...Array.from({ length: 15 }, (_, i) => `search.c${i % 3}.s${i % 5}`),
    "search.c2.unknown",
  ];
  return Array.from({ length: count }, () => {
    const active = new Map<string, number>();
    const k = Math.floor(rng() * 5); // 0: mode-level selection
    while (active.size < k) active.set(skills[Math.floor(rng() * skills.length)]!, 0.05 + rng());
    return {
      mode: "search" as const,
      skills: [...active].map(([id, weight]) => ({ id, weight })),
      lambda: rng() < 0.5 ? 0 : rng(),
      shrinkage: shrinkages[Math.floor(rng() * shrinkages.length)]!,
      estimator: { kind: "quantile" as const, q: [0.1, 0.25, 0.5, 0.9, rng()][Math.floor(rng() * 5)]! },
      ...(rng() < 0.2 ? { allow: ["agent-1", "agent-3", "agent-4", "agent-6"] } : {}),
    };
  });
}

describe("selection with the quantile estimator", () => {
  it("caches nothing that changes a decision: warm, cold (a fresh index) and interleaved levels give the same records", () => {
    const h = randomHandbook("cache");
    const steps = randomSteps("cache-steps", 300);
    const warm = steps.map((o) => selectAgent(h, o));
    // Again on the same handbook (every quantile now cached), in reverse order.
    const again = [...steps]
      .reverse()
      .map((o) => selectAgent(h, o))
      .reverse();
    // On a copy (its own, empty index), one level at a time.
    const copy = structuredClone(h);
    const cold = steps.map((o) => selectAgent(copy, o));
    // More levels than the cache keeps, interleaved.
    const other = structuredClone(h);
    for (let i = 0; i < 40; i++)
      selectAgent(other, { ...steps[i]!, estimator: { kind: "quantile", q: 0.01 * (i + 1) } });
    const interleaved = steps.map((o, i) => {
      selectAgent(other, { ...o, estimator: { kind: "quantile", q: 0.013 * (i % 70) } });
      return selectAgent(other, o);
    });
    expect(again).toEqual(warm);
    expect(cold).toEqual(warm);
    expect(interleaved).toEqual(warm);
  });

  it("scores every pair with its posterior quantile, within jStat's own error of what jStat gave, and chooses the same agents", () => {
    const h = randomHandbook("jstat");
    let pairs = 0;
    let differentChoice = 0;
    for (const o of randomSteps("jstat-steps", 300)) {
      const q = (o.estimator as { q: number }).q;
      const r = selectAgent(h, o);
      let best: { agent: string; score: number; cost: number } | undefined;
      for (const c of r.candidates) {
        let competence = 0;
        const total = r.skills.reduce((a, s) => a + s.weight, 0);
        for (const [j, s] of c.perSkill.entries()) {
          const prior = s.prior ?? h.metadata.prior;
          const alpha = prior.alpha + s.evidence.successes;
          const beta = prior.beta + s.evidence.failures;
          expect(s.competence).toBe(posteriorQuantile(s.evidence, q, prior));
          const old = Math.min(1, Math.max(0, jStat.beta.inv(q, alpha, beta)));
          expect(Math.abs(s.competence - old)).toBeLessThanOrEqual(3e-7 * old + 1e-12);
          competence += (r.skills.length > 0 ? r.skills[j]!.weight / total : 1) * old;
          pairs++;
        }
        const score = competence - c.penalty;
        if (
          !best ||
          score > best.score + 1e-9 ||
          (Math.abs(score - best.score) <= 1e-9 && c.normalisedCost < best.cost)
        )
          best = { agent: c.agent, score, cost: c.normalisedCost };
      }
      if (best!.agent !== r.chosen) differentChoice++;
    }
    expect(pairs).toBeGreaterThan(1000);
    expect(differentChoice).toBe(0);
  });
});

describe("Thompson sampling", () => {
  it("FastRng: uniform on (0, 1), deterministic per seed, seeds 0, 1, 2, ... independent of one another", () => {
    const xs = Array.from(
      { length: 100_000 },
      (() => {
        const g = new FastRng("u");
        return () => g.next();
      })(),
    );
    expect(Math.min(...xs)).toBeGreaterThan(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(ksStatistic(xs, (x) => x)).toBeLessThan(ksCritical(xs.length));
    const stream = (seed: number) => {
      const g = new FastRng(seed);
      return Array.from({ length: 2000 }, () => g.next());
    };
    expect(stream(5)).toEqual(stream(5));
    // First draws of consecutive seeds, and the correlation between their streams.
    const firsts = Array.from({ length: 5000 }, (_, s) => new FastRng(s).next());
    expect(ksStatistic(firsts, (x) => x)).toBeLessThan(ksCritical(firsts.length));
    const [a, b] = [stream(1), stream(2)];
    const ma = a.reduce((x, y) => x + y) / a.length;
    const mb = b.reduce((x, y) => x + y) / b.length;
    let cov = 0;
    for (let i = 0; i < a.length; i++) cov += (a[i]! - ma) * (b[i]! - mb);
    expect(Math.abs(cov / a.length / (1 / 12))).toBeLessThan(0.1);
    expect(Number.isInteger(new FastRng(1).word())).toBe(true);
  });

  it("normal deviates (the ziggurat) follow N(0, 1), tail included", () => {
    const g = new FastRng("normal");
    const zs = Array.from({ length: 200_000 }, () => normalSample(g));
    expect(ksStatistic(zs, (z) => jStat.normal.cdf(z, 0, 1))).toBeLessThan(ksCritical(zs.length));
    // Beyond the ziggurat's base strip R = 3.4426: expected 200,000 · 2(1 − Φ(R)) ≈ 115.
    const tail = zs.filter((z) => Math.abs(z) > 3.442619855899).length;
    const expected = zs.length * 2 * (1 - jStat.normal.cdf(3.442619855899, 0, 1));
    expect(Math.abs(tail - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(zs.filter((z) => z > 4.5).length).toBeGreaterThan(0);
  });

  it("Beta draws follow Beta(α, β) for small, moderate and large shapes (Kolmogorov–Smirnov)", () => {
    const shapes: [number, number][] = [
      [0.05, 0.5],
      [0.5, 0.5],
      [0.7, 3],
      [1, 1],
      [2.5, 7],
      [61, 41],
      [3, 0.2],
      [1e4, 3e4],
      [0.02, 2],
    ];
    for (const [a, b] of shapes) {
      const g = new FastRng(`beta ${a} ${b}`);
      const xs = Array.from({ length: 20_000 }, () => betaSample(a, b, g));
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
      expect(
        ksStatistic(xs, (x) => betaCdf(x, a, b)),
        `Beta(${a}, ${b})`,
      ).toBeLessThan(ksCritical(xs.length));
    }
    // Any uniform generator works (here seedrandom's ARC4, as `seededRng` gives).
    const rng = seededRng("arc4");
    const ys = Array.from({ length: 20_000 }, () => thompsonSample(ev(6, 2), rng));
    expect(ksStatistic(ys, (x) => betaCdf(x, 7, 3))).toBeLessThan(ksCritical(ys.length));
    expect(betaSample(0, 1, rng)).toBeNaN();
  });

  it("selection chooses each agent as often as its posterior probability of being best (the old sampler's law)", () => {
    const h = handbookWith(["search.facts", "search.facts.dates"], {
      proven: { modes: ["search"], competence: { "search.facts.dates": ev(60, 40) } },
      unknown: { modes: ["search"], competence: { "search.facts.dates": ev(1, 1) } },
    });
    const skills = [{ id: "search.facts.dates", weight: 1 }];
    // P(Beta(2, 2) > Beta(61, 41)) = ∫ f(x; 61, 41) (1 − (3x² − 2x³)) dx, by Simpson's rule.
    const n = 20_000;
    let p = 0;
    for (let i = 0; i <= n; i++) {
      const x = i / n;
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      p += w * jStat.beta.pdf(x, 61, 41) * (1 - (3 * x * x - 2 * x * x * x));
    }
    p /= 3 * n;
    const runs = 4000;
    let unknown = 0;
    for (let s = 0; s < runs; s++) {
      const r = selectAgent(h, { mode: "search", shrinkage: "none", skills, estimator: { kind: "thompson", seed: s } });
      if (r.chosen === "unknown") unknown++;
      expect(r.candidates.map((c) => c.competence).every((c) => c > 0 && c < 1)).toBe(true);
    }
    expect(Math.abs(unknown / runs - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / runs));
  });

  it("a seed fixes the whole record; another seed draws anew", () => {
    const h = randomHandbook("thompson");
    const o: SelectOptions = {
      mode: "search",
      skills: [
        { id: "search.c0.s1", weight: 1 },
        { id: "search.c1.s3", weight: 2 },
      ],
      shrinkage: "auto",
      estimator: { kind: "thompson", seed: "s" },
    };
    const r = selectAgent(h, o);
    expect(selectAgent(structuredClone(h), o)).toEqual(r);
    const other = selectAgent(h, { ...o, estimator: { kind: "thompson", seed: "t" } });
    expect(other.candidates.map((c) => c.competence)).not.toEqual(r.candidates.map((c) => c.competence));
  });
});
