import { describe, expect, it } from "vitest";
import {
  MAX_STRENGTH,
  MIN_STRENGTH,
  momStrength,
  posteriorQuantile,
  shrinkagePrior,
  shrunkMean,
} from "../../handbook/competence.js";
import { selectAgent } from "../../handbook/select.js";
import { ev, handbookWith } from "./helpers.js";

describe("shrinkage maths", () => {
  it("prior of strength m centred on the parent, and its posterior mean", () => {
    expect(shrinkagePrior(0.25, 4)).toEqual({ alpha: 1, beta: 3 });
    // (m·c + s) / (m + s + f) = (4·0.25 + 3) / (4 + 4) = 0.5
    expect(shrunkMean(ev(3, 1), 0.25, 4)).toBeCloseTo(0.5, 12);
    expect(shrunkMean(undefined, 0.25, 4)).toBeCloseTo(0.25, 12); // unseen: the parent's competence
    expect(() => shrinkagePrior(0.5, 0)).toThrow(RangeError);
  });

  it("method-of-moments strength from sibling groups (hand-computed)", () => {
    // One group, children 7/10 and 3/10: p̄ = 0.5, X² = 2·10·0.2²/0.25 = 3.2, K − 1 = 1,
    // Σ (n − 1)(1 − n/N) = 2·9·0.5 = 9, ρ = 2.2/9, m = 9/2.2 − 1.
    expect(momStrength([[ev(7, 3), ev(3, 7)]])).toBeCloseTo(9 / 2.2 - 1, 10);
    // Adding a group with no spread (5/20 and 5/20: X² = 0, K − 1 = 1, Σ = 2·19·0.5 = 19) pools the moments:
    // ρ = (2.2 − 1) / (9 + 19), m = 28/1.2 − 1.
    expect(
      momStrength([
        [ev(7, 3), ev(3, 7)],
        [ev(5, 15), ev(5, 15)],
      ]),
    ).toBeCloseTo(28 / 1.2 - 1, 10);
    // Less spread than chance: the strongest pooling; far more than chance: the weakest.
    expect(momStrength([[ev(6, 4), ev(4, 6)]])).toBe(MAX_STRENGTH);
    expect(momStrength([[ev(10, 0), ev(0, 10)]])).toBe(MIN_STRENGTH);
    // Uninformative: single children, empty children, groups at rate 0 or 1.
    expect(momStrength([[ev(3, 1)], [ev(0, 0), ev(2, 2)], [ev(4, 0), ev(3, 0)]])).toBeUndefined();
    expect(momStrength([])).toBeUndefined();
  });
});

/**
 * Two categories: search.facts (skills dates, people) and search.other (skill misc). "lucky" won both of its two
 * dates traces but fails elsewhere; "steady" is good everywhere.
 */
function luckyAndSteady() {
  return handbookWith(
    ["search.facts", "search.facts.dates", "search.facts.people", "search.other", "search.other.misc"],
    {
      lucky: {
        modes: ["search"],
        competence: { "search.facts.dates": ev(2, 0), "search.facts.people": ev(2, 8), "search.other.misc": ev(0, 4) },
      },
      steady: { modes: ["search"], competence: { "search.facts.dates": ev(7, 3), "search.facts.people": ev(8, 2) } },
    },
  );
}
const DATES = [{ id: "search.facts.dates", weight: 1 }];

describe("selection with hierarchical shrinkage", () => {
  it("the plain posterior lets the lucky agent win; shrinkage to its parent does not (hand-computed)", () => {
    const h = luckyAndSteady();
    const plain = selectAgent(h, { mode: "search", skills: DATES, shrinkage: "none" });
    expect(plain.chosen).toBe("lucky"); // 3/4 against 8/12
    expect(plain.params.shrinkage).toBeUndefined();
    expect(plain.candidates[0]!.perSkill[0]!.prior).toBeUndefined();

    const r = selectAgent(h, { mode: "search", skills: DATES, shrinkage: { strength: 4 } });
    expect(r.params.shrinkage).toEqual({ setting: "fixed", strengths: [4, 4] });
    // lucky: mode pool without search.facts = misc (0, 4) → category centre (1 + 0)/(2 + 4) = 1/6 (flat prior);
    // facts without dates = people (2, 8) → dates centre (4·1/6 + 2)/(4 + 10); dates = (4·centre + 2)/(4 + 2).
    const luckyCentre = (4 / 6 + 2) / 14;
    const lucky = (4 * luckyCentre + 2) / 6;
    // steady: nothing outside search.facts → category centre 1/2; people (8, 2) → dates centre (2 + 8)/14.
    const steadyCentre = 10 / 14;
    const steady = (4 * steadyCentre + 7) / 14;
    const by = Object.fromEntries(r.candidates.map((c) => [c.agent, c]));
    expect(by.lucky!.competence).toBeCloseTo(lucky, 12);
    expect(by.steady!.competence).toBeCloseTo(steady, 12);
    expect(by.lucky!.perSkill[0]!.prior!.alpha).toBeCloseTo(4 * luckyCentre, 12);
    expect(by.lucky!.perSkill[0]!.prior!.beta).toBeCloseTo(4 * (1 - luckyCentre), 12);
    expect(by.lucky!.perSkill[0]!.evidence).toEqual(ev(2, 0)); // evidence stays exact
    expect(r.chosen).toBe("steady");
  });

  it("quantile and Thompson estimators draw from the shrunk posterior", () => {
    const h = luckyAndSteady();
    const r = selectAgent(h, {
      mode: "search",
      skills: DATES,
      shrinkage: { strength: 4 },
      estimator: { kind: "quantile", q: 0.3 },
    });
    for (const c of r.candidates) {
      const s = c.perSkill[0]!;
      expect(s.competence).toBeCloseTo(posteriorQuantile(s.evidence, 0.3, s.prior!), 12);
    }
    const t = selectAgent(h, {
      mode: "search",
      skills: DATES,
      shrinkage: { strength: 4 },
      estimator: { kind: "thompson", seed: 3 },
    });
    expect(t).toEqual(
      selectAgent(h, {
        mode: "search",
        skills: DATES,
        shrinkage: { strength: 4 },
        estimator: { kind: "thompson", seed: 3 },
      }),
    );
  });

  it('"auto" is the default and fits the strength per depth from the sibling groups', () => {
    const h = luckyAndSteady();
    const r = selectAgent(h, { mode: "search", skills: DATES });
    expect(r.params.shrinkage?.setting).toBe("auto");
    // Depth 1: per agent, the categories' subtree evidence; depth 2: per agent and category, its skills'.
    const depth1 = momStrength([
      [ev(4, 8), ev(0, 4)],
      [ev(15, 5), ev(0, 0)],
    ]);
    const depth2 = momStrength([[ev(2, 0), ev(2, 8)], [ev(0, 4)], [ev(7, 3), ev(8, 2)], []]);
    expect(r.params.shrinkage!.strengths).toEqual([depth1, depth2]);
    const m = depth2!;
    // The dates centre of lucky: its category's estimate without dates, shrunk to the mode with depth1's strength.
    const catCentre = 1 / 6;
    const dCentre = (depth1! * catCentre + 2) / (depth1! + 10);
    const lucky = r.candidates.find((c) => c.agent === "lucky")!;
    expect(lucky.competence).toBeCloseTo((m * dCentre + 2) / (m + 2), 12);
    expect(r.chosen).toBe("steady");
  });

  it("a depth with no informative group borrows the nearest depth's strength", () => {
    // Each category has one skill: no sibling group at depth 2, so depth 2 takes depth 1's strength.
    const h = handbookWith(["search.a", "search.a.x", "search.b", "search.b.y"], {
      p: { modes: ["search"], competence: { "search.a.x": ev(7, 3), "search.b.y": ev(3, 7) } },
      q: { modes: ["search"], competence: { "search.a.x": ev(5, 5), "search.b.y": ev(6, 4) } },
    });
    const r = selectAgent(h, { mode: "search", skills: [{ id: "search.a.x", weight: 1 }] });
    const m = momStrength([
      [ev(7, 3), ev(3, 7)],
      [ev(5, 5), ev(6, 4)],
    ])!;
    expect(r.params.shrinkage!.strengths).toEqual([m, m]);
    // An only child shrinks straight to its grandparent: p's category a has nothing besides x, so x's centre is
    // a's own centre, the mode pool without a: b.y (3, 7) → 4/12.
    const p = r.candidates.find((c) => c.agent === "p")!;
    expect(p.competence).toBeCloseTo((m * (4 / 12) + 7) / (m + 10), 12);
  });

  it("mode-level selection and the cascade ignore shrinkage; bad settings are one-line errors", () => {
    const h = luckyAndSteady();
    expect(selectAgent(h, { mode: "search", shrinkage: { strength: 4 } })).toEqual(
      selectAgent(h, { mode: "search", shrinkage: "none" }),
    );
    expect(selectAgent(h, { mode: "search", skills: DATES, strategy: "cascade", shrinkage: { strength: 4 } })).toEqual(
      selectAgent(h, { mode: "search", skills: DATES, strategy: "cascade", shrinkage: "none" }),
    );
    expect(() => selectAgent(h, { mode: "search", skills: DATES, shrinkage: { strength: 0 } })).toThrow(
      /^select: \$\.shrinkage: must be "none", "auto" or \{ strength: m \}/,
    );
    expect(() => selectAgent(h, { mode: "search", skills: DATES, shrinkage: "some" as never })).toThrow(
      /^select: \$\.shrinkage:/,
    );
  });
});
