import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importReferenceHandbook, referenceSkillId } from "../../handbook/import-reference.js";
import { selectAgent, type DecisionRecord } from "../../handbook/select.js";
import type { Evidence } from "../../handbook/schema.js";
import { cost, ev, handbookWith } from "./helpers.js";

const SKILLS = ["search.facts", "search.facts.dates", "search.facts.people", "search.other", "search.other.misc"];

/** The hand-computed example: big is better and five times dearer than small. */
function example() {
  return handbookWith(SKILLS, {
    big: {
      modes: ["search", "answer"],
      competence: { "search.facts.dates": ev(8, 0), "search.facts.people": ev(3, 1) },
      costs: { search: cost(0.01) },
    },
    small: {
      modes: ["search"],
      competence: { "search.facts.dates": ev(6, 2), "search.facts.people": ev(3, 1) },
      costs: { search: cost(0.002) },
    },
    coder: { modes: ["code"], competence: {}, costs: { code: cost(0.0001) } },
  });
}
// Weights 3 : 1 (normalised by their sum, 4).
const ACTIVE = [
  { id: "search.facts.dates", weight: 3 },
  { id: "search.facts.people", weight: 1 },
];
// big: 0.75·9/10 + 0.25·4/6 = 0.841667; small: 0.75·7/10 + 0.25·4/6 = 0.691667; Ĉ: big 1, small 0.2.
const BIG = 0.75 * 0.9 + 0.25 * (4 / 6);
const SMALL = 0.75 * 0.7 + 0.25 * (4 / 6);

describe("tradeoff", () => {
  it("λ = 0 picks the more competent agent; λ > 0 flips the choice to the cheaper one", () => {
    const h = example();
    const r0 = selectAgent(h, { mode: "search", shrinkage: "none", skills: ACTIVE, lambda: 0 });
    expect(r0.chosen).toBe("big");
    const r1 = selectAgent(h, { mode: "search", shrinkage: "none", skills: ACTIVE, lambda: 0.1 });
    expect(r1.chosen).toBe("big"); // 0.741667 vs 0.671667
    const r2 = selectAgent(h, { mode: "search", shrinkage: "none", skills: ACTIVE, lambda: 0.25 });
    expect(r2.chosen).toBe("small"); // 0.591667 vs 0.641667
    const byAgent = Object.fromEntries(r2.candidates.map((c) => [c.agent, c]));
    expect(byAgent.big!.competence).toBeCloseTo(BIG, 12);
    expect(byAgent.small!.competence).toBeCloseTo(SMALL, 12);
    expect(byAgent.big!.score).toBeCloseTo(BIG - 0.25, 12);
    expect(byAgent.small!.score).toBeCloseTo(SMALL - 0.25 * 0.2, 12);
    // The break-even λ is 0.15 / 0.8 = 0.1875.
    expect(selectAgent(h, { mode: "search", shrinkage: "none", skills: ACTIVE, lambda: 0.18 }).chosen).toBe("big");
    expect(selectAgent(h, { mode: "search", shrinkage: "none", skills: ACTIVE, lambda: 0.19 }).chosen).toBe("small");
  });

  it("writes a complete, plain-JSON decision record", () => {
    const r = selectAgent(example(), { mode: "search", shrinkage: "none", skills: ACTIVE, lambda: 0.25 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r).toMatchObject({
      mode: "search",
      strategy: "tradeoff",
      estimator: "mean",
      params: {},
      lambda: 0.25,
      skills: ACTIVE,
      chosen: "small",
    });
    expect(r.candidates.map((c) => c.agent)).toEqual(["big", "small"]); // only agents serving the mode
    const big = r.candidates[0]!;
    expect(big.cost).toBe(0.01);
    expect(big.normalisedCost).toBe(1);
    expect(big.penalty).toBe(0.25);
    expect(big.perSkill).toEqual([
      { skill: "search.facts.dates", competence: 0.9, evidence: ev(8, 0) },
      { skill: "search.facts.people", competence: 4 / 6, evidence: ev(3, 1) },
    ]);
    const small = r.candidates[1]!;
    expect(small.normalisedCost).toBeCloseTo(0.2, 12);
    expect(small.penalty).toBeCloseTo(0.05, 12);
    expect(r.reason).toMatch(
      /^small: competence 0\.6917 − λ·cost 0\.0500 = 0\.6417; margin 0\.0500 over the next best$/,
    );
  });

  it("unseen pairs get the prior; an agent without cost stats counts as the dearest", () => {
    const h = handbookWith(SKILLS, {
      poor: { modes: ["search"], competence: { "search.facts.dates": ev(0, 3) }, costs: { search: cost(0.001) } },
      dear: { modes: ["search"], competence: { "search.facts.dates": ev(0, 3) }, costs: { search: cost(0.01) } },
      fresh: { modes: ["search"] },
    });
    const r = selectAgent(h, { mode: "search", shrinkage: "none", skills: [{ id: "search.facts.dates", weight: 1 }] });
    expect(r.chosen).toBe("fresh");
    const fresh = r.candidates.find((c) => c.agent === "fresh")!;
    expect(fresh.competence).toBe(0.5);
    expect(fresh.perSkill[0]!.evidence).toEqual(ev(0, 0));
    expect(fresh.cost).toBeNull();
    expect(fresh.normalisedCost).toBe(1);
    expect(r.candidates.find((c) => c.agent === "poor")!.competence).toBeCloseTo(0.2, 12);
    expect(r.candidates.find((c) => c.agent === "poor")!.normalisedCost).toBeCloseTo(0.1, 12);
    // The prior is the handbook's: Beta(2, 6) makes an unseen pair 0.25.
    const skeptical = { ...h, metadata: { ...h.metadata, prior: { alpha: 2, beta: 6 } } };
    const rs = selectAgent(skeptical, {
      mode: "search",
      shrinkage: "none",
      skills: [{ id: "search.facts.dates", weight: 1 }],
    });
    expect(rs.candidates.find((c) => c.agent === "fresh")!.competence).toBe(0.25);
    expect(rs.candidates.find((c) => c.agent === "poor")!.competence).toBeCloseTo(2 / 11, 12);
    // With a price on cost the known-cheap agent wins: 0.2 − 0.5·0.1 > 0.5 − 0.5·1.
    expect(
      selectAgent(h, {
        mode: "search",
        shrinkage: "none",
        skills: [{ id: "search.facts.dates", weight: 1 }],
        lambda: 0.5,
      }).chosen,
    ).toBe("poor");
  });

  it("with no skills uses the evidence pooled over the mode (mode-level entry plus every skill)", () => {
    const h = handbookWith(SKILLS, {
      a: {
        modes: ["search"],
        competence: { search: ev(1, 0), "search.facts.dates": ev(1, 3), "search.other.misc": ev(0, 1) },
      },
      b: { modes: ["search"], competence: { "search.other": ev(2, 2) } },
    });
    const r = selectAgent(h, { mode: "search" });
    expect(r.skills).toEqual([]);
    const a = r.candidates[0]!;
    expect(a.perSkill).toEqual([{ skill: "search", competence: 3 / 8, evidence: ev(2, 4) }]);
    expect(r.candidates[1]!.competence).toBe(0.5);
    expect(r.chosen).toBe("b");
  });

  it("quantile and Thompson estimators: optimism and pessimism, determinism under a seed", () => {
    const h = handbookWith(SKILLS, {
      proven: { modes: ["search"], competence: { "search.facts.dates": ev(60, 40) } },
      unknown: { modes: ["search"], competence: { "search.facts.dates": ev(1, 1) } },
    });
    const skills = [{ id: "search.facts.dates", weight: 1 }];
    // Means are equal-ish (0.598 vs 0.5); the pessimistic bound favours the proven agent, the optimistic one the unknown.
    expect(
      selectAgent(h, { mode: "search", shrinkage: "none", skills, estimator: { kind: "quantile", q: 0.1 } }).chosen,
    ).toBe("proven");
    const opt = selectAgent(h, { mode: "search", shrinkage: "none", skills, estimator: { kind: "quantile", q: 0.9 } });
    expect(opt.chosen).toBe("unknown");
    expect(opt.params).toEqual({ q: 0.9 });
    expect(opt.estimator).toBe("quantile");
    const t1 = selectAgent(h, { mode: "search", shrinkage: "none", skills, estimator: { kind: "thompson", seed: 7 } });
    const t2 = selectAgent(h, { mode: "search", shrinkage: "none", skills, estimator: { kind: "thompson", seed: 7 } });
    expect(t2).toEqual(t1);
    expect(t1.params).toEqual({ seed: 7 });
    const chosen = new Set(
      Array.from(
        { length: 40 },
        (_, s) =>
          selectAgent(h, { mode: "search", shrinkage: "none", skills, estimator: { kind: "thompson", seed: s } })
            .chosen,
      ),
    );
    expect(chosen).toEqual(new Set(["proven", "unknown"]));
  });

  it("ties go to the cheaper agent, then to the smaller id; allow-list restricts candidates", () => {
    const h = handbookWith(SKILLS, {
      b: { modes: ["search"], costs: { search: cost(0.01) } },
      c: { modes: ["search"], costs: { search: cost(0.005) } },
      a: { modes: ["search"], costs: { search: cost(0.01) } },
    });
    expect(selectAgent(h, { mode: "search" }).chosen).toBe("c");
    expect(selectAgent(h, { mode: "search", allow: ["a", "b"] }).chosen).toBe("a");
    const only = selectAgent(example(), {
      mode: "search",
      shrinkage: "none",
      skills: ACTIVE,
      allow: ["small", "coder"],
    });
    expect(only.candidates.map((c) => [c.agent, c.competence])).toEqual([["small", SMALL]]);
    expect(only.candidates[0]!.normalisedCost).toBe(1); // normalised over the allowed candidates only
    const onlyCascade = selectAgent(example(), {
      mode: "search",
      skills: ACTIVE,
      allow: ["small"],
      strategy: "cascade",
    });
    expect(onlyCascade.candidates[0]!.perSkill.map((p) => p.evidence)).toEqual([ev(6, 2), ev(3, 1)]);
    const none = selectAgent(h, { mode: "search", allow: ["zzz"] });
    expect(none.chosen).toBeNull();
    expect(none.candidates).toEqual([]);
    expect(none.reason).toBe("no agent serves mode search among the allowed agents");
  });

  it("scores an unknown skill of the mode at the prior, with a warning in the record", () => {
    const h = example();
    const skills = [...ACTIVE, { id: "search.facts.unheard", weight: 4 }];
    const r = selectAgent(h, { mode: "search", shrinkage: "none", skills });
    expect(r.warnings).toEqual(["unknown skill search.facts.unheard: scored as unseen by every agent (the prior)"]);
    const big = r.candidates.find((c) => c.agent === "big")!;
    expect(big.perSkill[2]).toEqual({ skill: "search.facts.unheard", competence: 0.5, evidence: ev(0, 0) });
    expect(big.competence).toBeCloseTo(0.5 * BIG + 0.5 * 0.5, 12);
    expect(r.chosen).toBe("big");
    // The handbook's prior, under every estimator; known-only selections carry no warnings.
    const skeptical = { ...h, metadata: { ...h.metadata, prior: { alpha: 1, beta: 3 } } };
    const only = selectAgent(skeptical, {
      mode: "search",
      shrinkage: "none",
      skills: [{ id: "search.nope", weight: 1 }],
      estimator: { kind: "quantile", q: 0.5 },
    });
    expect(only.candidates.map((c) => c.competence)).toEqual(
      [1 - Math.cbrt(0.5), 1 - Math.cbrt(0.5)].map((x) => expect.closeTo(x, 9)),
    );
    expect(
      selectAgent(h, { mode: "search", skills: [{ id: "search.nope", weight: 1 }] }).candidates.map(
        (c) => c.competence,
      ),
    ).toEqual([0.5, 0.5]);
    expect(selectAgent(h, { mode: "search", skills: ACTIVE }).warnings).toBeUndefined();
  });

  it("rejects ids outside the mode, skills of another mode, bad weights and bad λ with one-line errors", () => {
    const h = example();
    expect(() => selectAgent(h, { mode: "search", skills: [{ id: "nope", weight: 1 }] })).toThrow(
      "select: $.skills[0].id: unknown skill nope, not an id of mode search",
    );
    expect(() => selectAgent(h, { mode: "search", skills: [{ id: "code.nope", weight: 1 }] })).toThrow(
      "select: $.skills[0].id: unknown skill code.nope, not an id of mode search",
    );
    const h2 = handbookWith([...SKILLS, "code.x"], {});
    expect(() => selectAgent(h2, { mode: "search", skills: [{ id: "code.x", weight: 1 }] })).toThrow(
      "select: $.skills[0].id: skill code.x belongs to mode code, not search",
    );
    expect(() => selectAgent(h, { mode: "search", skills: [{ id: "search.facts", weight: -1 }] })).toThrow(
      "select: $.skills[0].weight: must be a finite number >= 0, got -1",
    );
    expect(() => selectAgent(h, { mode: "search", skills: [{ id: "search.facts", weight: 0 }] })).toThrow(
      "select: $.skills: weights must not all be 0",
    );
    expect(() => selectAgent(h, { mode: "search", lambda: -0.1 })).toThrow(
      "select: $.lambda: must be a finite number >= 0, got -0.1",
    );
  });
});

describe("cascade (the reference's lexicographic rule)", () => {
  const one = [{ id: "search.facts.dates", weight: 1 }];

  it("ranks by raw success rate with unseen = 0, unlike the posterior mean", () => {
    const h = handbookWith(SKILLS, {
      lucky: { modes: ["search"], competence: { "search.facts.dates": ev(1, 0) } },
      steady: { modes: ["search"], competence: { "search.facts.dates": ev(9, 1) } },
      fresh: { modes: ["search"] },
    });
    const c = selectAgent(h, { mode: "search", skills: one, strategy: "cascade" });
    expect(c.chosen).toBe("lucky");
    expect(c.estimator).toBe("raw");
    expect(c.candidates.map((x) => x.competence)).toEqual([0, 1, 0.9]);
    expect(c.reason).toBe("lucky: highest weighted skill success rate (skill rate 1.0000)");
    expect(c.candidates[0]!.cascade).toEqual({ category: null, overall: null, tieWeight: null });
    // The posterior mean trusts 9/10 over 1/1.
    expect(selectAgent(h, { mode: "search", shrinkage: "none", skills: one }).chosen).toBe("steady");
  });

  it("breaks a tie on the skill rate with the category rate (mean over the agent's own entries under the category)", () => {
    const h = handbookWith(SKILLS, {
      x: { modes: ["search"], competence: { "search.facts.dates": ev(2, 2), "search.facts.people": ev(1, 2) } },
      y: { modes: ["search"], competence: { "search.facts.dates": ev(1, 1), "search.facts.people": ev(3, 0) } },
      z: { modes: ["search"], competence: { "search.facts.dates": ev(0, 1) } },
    });
    const c = selectAgent(h, { mode: "search", skills: one, strategy: "cascade" });
    expect(c.chosen).toBe("y");
    expect(c.candidates.map((x) => x.cascade!.category)).toEqual([0.5 * (0.5 + 1 / 3), 0.5 * (0.5 + 1), null]);
    expect(c.reason).toMatch(/^y: tied on skill rate; highest category success rate/);
    // Only the agent's own entries count: w has no entry for people, so its category rate is its dates rate; an
    // entry with no evidence counts as 0.
    const own = handbookWith(SKILLS, {
      v: { modes: ["search"], competence: { "search.facts.dates": ev(2, 2), "search.facts.people": ev(0, 0) } },
      w: { modes: ["search"], competence: { "search.facts.dates": ev(1, 1) } },
    });
    const o = selectAgent(own, { mode: "search", skills: one, strategy: "cascade" });
    expect(o.candidates.map((x) => x.cascade!.category)).toEqual([0.25, 0.5]);
    expect(o.chosen).toBe("w");
  });

  it("scores an unknown skill 0 for every agent, with a warning, and still ranks by category", () => {
    const h = handbookWith(SKILLS, {
      x: { modes: ["search"], competence: { "search.facts.dates": ev(1, 3) } },
      y: { modes: ["search"], competence: { "search.facts.people": ev(3, 1) } },
    });
    const c = selectAgent(h, {
      mode: "search",
      skills: [{ id: "search.facts.unheard", weight: 1 }],
      strategy: "cascade",
    });
    expect(c.warnings).toEqual(["unknown skill search.facts.unheard: scored as unseen by every agent (rate 0)"]);
    expect(c.candidates.map((x) => [x.competence, x.perSkill[0]!.evidence, x.cascade!.category])).toEqual([
      [0, ev(0, 0), 0.25],
      [0, ev(0, 0), 0.75],
    ]);
    expect(c.chosen).toBe("y");
  });

  it("uses the trajectory-level totals of an imported reference handbook for the overall rate, in their mode", () => {
    const base = handbookWith(SKILLS, {
      x: { modes: ["search"], competence: { "search.facts.dates": ev(1, 1), "search.other.misc": ev(4, 0) } },
      y: { modes: ["search"], competence: { "search.facts.dates": ev(2, 2) } },
    });
    // Pooled skill evidence: x 5/6 beats y 2/4.
    expect(selectAgent(base, { mode: "search", skills: one, strategy: "cascade" }).chosen).toBe("x");
    const withTotals = (mode: string) => ({
      ...base,
      metadata: {
        ...base.metadata,
        learning: {
          reference: {
            agents: {
              x: { mode, total_attempts: 10, total_successes: 3 },
              y: { mode, total_attempts: 4, total_successes: 2 },
            },
          },
        },
      },
    });
    const c = selectAgent(withTotals("search"), { mode: "search", skills: one, strategy: "cascade" });
    expect(c.candidates.map((x) => x.cascade!.overall)).toEqual([0.3, 0.5]);
    expect(c.chosen).toBe("y");
    // Totals recorded for another mode are not this mode's.
    expect(selectAgent(withTotals("answer"), { mode: "search", skills: one, strategy: "cascade" }).chosen).toBe("x");
  });

  it("applies the skill-rate tie band to the weighted sum, not the weighted mean", () => {
    // With weights summing to 1000, rates 1e-8 apart differ by 1e-5 in the sum: no tie, as in the reference.
    const h = handbookWith(SKILLS, {
      x: { modes: ["search"], competence: { "search.facts.dates": ev(50_000_000, 50_000_000) } },
      y: { modes: ["search"], competence: { "search.facts.dates": ev(50_000_001, 49_999_999) } },
    });
    const c = selectAgent(h, {
      mode: "search",
      skills: [{ id: "search.facts.dates", weight: 1000 }],
      strategy: "cascade",
    });
    expect(c.chosen).toBe("y");
    expect(c.reason).toMatch(/highest weighted skill success rate/);
    const small = selectAgent(h, {
      mode: "search",
      skills: [{ id: "search.facts.dates", weight: 1 }],
      strategy: "cascade",
    });
    expect(small.candidates.every((x) => x.cascade!.category !== null)).toBe(true); // tied on the first key
  });

  it("then by the overall rate in the mode, then by a seeded cost-weighted draw", () => {
    const h = handbookWith(SKILLS, {
      x: {
        modes: ["search"],
        competence: { "search.facts.dates": ev(1, 1), "search.other.misc": ev(1, 4) },
        costs: { search: cost(0.5) },
      },
      y: {
        modes: ["search"],
        competence: { "search.facts.dates": ev(2, 2), "search.other.misc": ev(4, 1) },
        costs: { search: cost(2) },
      },
    });
    const c = selectAgent(h, { mode: "search", skills: one, strategy: "cascade" });
    expect(c.chosen).toBe("y");
    expect(c.candidates.map((x) => x.cascade!.overall)).toEqual([2 / 7, 6 / 9]);

    const tied = handbookWith(SKILLS, {
      x: { modes: ["search"], competence: { "search.facts.dates": ev(1, 1) }, costs: { search: cost(0.5) } },
      y: { modes: ["search"], competence: { "search.facts.dates": ev(2, 2) }, costs: { search: cost(2) } },
    });
    // λ = 0.5 on raw USD: weights 1 − 0.25 = 0.75 and max(0, 1 − 1) = 0 → always x.
    for (let seed = 0; seed < 20; seed++) {
      const r = selectAgent(tied, { mode: "search", skills: one, strategy: "cascade", lambda: 0.5, seed });
      expect(r.chosen).toBe("x");
      expect(r.candidates.map((x) => x.cascade!.tieWeight)).toEqual([1, 0]);
    }
    // λ = 0: a fair draw, deterministic per seed.
    const picks = Array.from(
      { length: 40 },
      (_, seed) => selectAgent(tied, { mode: "search", skills: one, strategy: "cascade", seed }).chosen,
    );
    expect(new Set(picks)).toEqual(new Set(["x", "y"]));
    expect(selectAgent(tied, { mode: "search", skills: one, strategy: "cascade", seed: 3 })).toEqual(
      selectAgent(tied, { mode: "search", skills: one, strategy: "cascade", seed: 3 }),
    );
    const r = selectAgent(tied, { mode: "search", skills: one, strategy: "cascade", seed: 3 });
    expect(r.reason).toMatch(/tied on every rate; drawn among 2 agents/);
    expect(r.candidates.map((x) => x.cascade!.tieWeight)).toEqual([0.5, 0.5]);
  });

  it("with no skills every agent scores 0.5 and the overall rate decides", () => {
    const h = handbookWith(SKILLS, {
      x: { modes: ["search"], competence: { search: ev(1, 3) } },
      y: { modes: ["search"], competence: { "search.other.misc": ev(3, 1) } },
    });
    const c = selectAgent(h, { mode: "search", strategy: "cascade" });
    expect(c.candidates.map((x) => x.competence)).toEqual([0.5, 0.5]);
    expect(c.chosen).toBe("y");
  });
});

/**
 * Property: where the tradeoff (mean estimator, flat prior, λ = 0, equal costs) and the cascade must agree.
 * With the same evidence count n on every (agent, skill) pair, the posterior mean is (1 + n·r)/(2 + n), the same
 * increasing affine map of the raw rate r for every pair, so the weighted posterior mean is an increasing affine
 * function of the weighted raw rate and both rules order agents alike. So whenever the cascade's first key is
 * strictly decisive (best beats the rest by more than its 1e-6 tie band) the two choose the same agent.
 * (With unequal counts they may disagree: see "ranks by raw success rate" above — 1/1 vs 9/10.)
 */
describe("property: tradeoff-with-mean and cascade agree when raw-rate order equals posterior-mean order", () => {
  it("holds on random handbooks with equal evidence counts", () => {
    const skills = ["search.c.s0", "search.c.s1", "search.c.s2", "search.c.s3"];
    let decisive = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), { minLength: 6, maxLength: 6 }),
        fc.subarray([0, 1, 2, 3], { minLength: 1 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }),
        (nAgents, n, successTable, activeIdx, weights) => {
          const agents: Record<
            string,
            { modes: ["search"]; competence: Record<string, Evidence>; costs: { search: ReturnType<typeof cost> } }
          > = {};
          for (let a = 0; a < nAgents; a++) {
            const competence: Record<string, Evidence> = {};
            skills.forEach((s, j) => {
              const succ = successTable[a]![j]! % (n + 1);
              competence[s] = ev(succ, n - succ);
            });
            agents[`agent${a}`] = { modes: ["search"], competence, costs: { search: cost(0.01) } };
          }
          const h = handbookWith(["search.c", ...skills], agents);
          const active = activeIdx.map((j) => ({ id: skills[j]!, weight: weights[j]! }));
          const cas: DecisionRecord = selectAgent(h, { mode: "search", skills: active, strategy: "cascade" });
          const top = Math.max(...cas.candidates.map((c) => c.competence));
          const rest = cas.candidates.filter((c) => c.agent !== cas.chosen).map((c) => c.competence);
          if (!rest.every((r) => top - r > 1e-6)) return; // first key not decisive: the rules may legitimately differ
          decisive++;
          const tr = selectAgent(h, {
            mode: "search",
            shrinkage: "none",
            skills: active,
            strategy: "tradeoff",
            lambda: 0,
          });
          expect(tr.chosen).toBe(cas.chosen);
        },
      ),
      { numRuns: 300, seed: 20250101 },
    );
    expect(decisive).toBeGreaterThan(100);
  });
});

/**
 * The same property on imported reference handbooks: two modes, trajectory totals, bare ids the reference's
 * mode_skill_index lists under both modes, and agents holding evidence on the other mode's skills (which import
 * puts in the agent's own mode). Every agent has n observations on every bare id, so the argument above holds.
 */
describe("property: the agreement holds on imported reference handbooks", () => {
  it("holds with several modes, shared bare ids, cross-mode evidence and trajectory totals", () => {
    const bare = ["c.s0", "c.s1", "c.s2", "c.s3"];
    let decisive = 0;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<"search" | "answer">("search", "answer"), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat({ max: 20 }), fc.nat({ max: 20 })), { minLength: 6, maxLength: 6 }),
        fc.constantFrom<"search" | "answer">("search", "answer"),
        fc.subarray([0, 1, 2, 3], { minLength: 1 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }),
        (agentModes, n, successTable, totals, mode, activeIdx, weights) => {
          const ref = {
            modes: { search: { mode: "search" }, answer: { mode: "answer" } },
            skills: Object.fromEntries(
              bare.map((id, j) => [id, { skill_id: id, name: id, mode: j < 2 ? "search" : "answer" }]),
            ),
            mode_skill_index: { search: ["c.s0", "c.s1", "c.s2"], answer: ["c.s2", "c.s3", "c.s0"] },
            agent_profiles: Object.fromEntries(
              agentModes.map((m, a) => [
                `agent ${a}`,
                {
                  agent_id: `agent ${a}`,
                  mode: m,
                  skill_competence: Object.fromEntries(
                    bare.map((id, j) => {
                      const succ = successTable[a]![j]! % (n + 1);
                      return [id, { alpha: 1 + succ, beta: 1 + n - succ }];
                    }),
                  ),
                  total_attempts: totals[a]![0] + totals[a]![1],
                  total_successes: totals[a]![0],
                  cost_stats: { avg_cost_usd: 0.01, total_executions: 3 },
                },
              ]),
            ),
          };
          const imported = importReferenceHandbook(ref, "ref.json", { now: "2025-06-01T00:00:00.000Z" });
          const h = imported.handbook;
          const active = activeIdx.map((j) => ({
            id: referenceSkillId(imported, bare[j]!, mode),
            weight: weights[j]!,
          }));
          const cas = selectAgent(h, { mode, skills: active, strategy: "cascade" });
          // Each agent serves its reference mode only, and holds evidence on every bare id there.
          const expected = agentModes.flatMap((m, a) => (m === mode ? [imported.agentIds[`agent ${a}`]!] : [])).sort();
          expect(cas.candidates.map((c) => c.agent)).toEqual(expected);
          for (const c of cas.candidates)
            for (const p of c.perSkill) expect(p.evidence.successes + p.evidence.failures).toBe(n);
          if (cas.candidates.length === 0) return;
          const top = Math.max(...cas.candidates.map((c) => c.competence));
          const rest = cas.candidates.filter((c) => c.agent !== cas.chosen).map((c) => c.competence);
          if (!rest.every((r) => top - r > 1e-6)) return;
          decisive++;
          const tr = selectAgent(h, { mode, shrinkage: "none", skills: active, strategy: "tradeoff", lambda: 0 });
          expect(tr.chosen).toBe(cas.chosen);
        },
      ),
      { numRuns: 300, seed: 20250601 },
    );
    expect(decisive).toBeGreaterThan(100);
  });
});
