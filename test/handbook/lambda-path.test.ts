import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { poolAgents } from "../../handbook/pooling.js";
import {
  choiceAt,
  choicePath,
  insideStep,
  lambdaWinners,
  objectiveAt,
  stepAt,
  validationCurve,
  type Curve,
  type LineCandidate,
} from "../../handbook/lambda-path.js";
import { selectAgent } from "../../handbook/select.js";
import { skeletonHandbook } from "../../src/learning/profile.js";

/** The tradeoff rule at one λ, by brute force: best score, then the cheaper, then the smaller id. */
function argmax(cands: readonly LineCandidate[], lambda: number): string {
  return [...cands].sort((a, b) => {
    const d = b.competence - lambda * b.normalisedCost - (a.competence - lambda * a.normalisedCost);
    if (Math.abs(d) > 1e-12) return d;
    if (a.normalisedCost !== b.normalisedCost) return a.normalisedCost - b.normalisedCost;
    return a.agent < b.agent ? -1 : 1;
  })[0]!.agent;
}

const candidates = fc.uniqueArray(
  fc.record({
    agent: fc.constantFrom("a", "b", "c", "d", "e", "f"),
    competence: fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
    normalisedCost: fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
  }),
  { selector: (c) => c.agent, minLength: 1, maxLength: 6 },
);

describe("exact λ paths", () => {
  it("choose, at every λ, what the tradeoff rule chooses", () => {
    fc.assert(
      fc.property(candidates, fc.double({ min: 0, max: 5, noNaN: true }), (cands, lambda) => {
        const path = choicePath(cands);
        // Away from a breakpoint (ties there are settled the same way, but float rounding may differ).
        if (path.some((s) => Math.abs(s.from - lambda) < 1e-9)) return;
        expect(choiceAt(path, lambda)).toBe(argmax(cands, lambda));
      }),
      { numRuns: 500 },
    );
  });

  it("agree with selectAgent's decision on a handbook", () => {
    const h = skeletonHandbook(
      [],
      [
        { id: "cheap", modes: ["answer"] },
        { id: "mid", modes: ["answer"] },
        { id: "strong", modes: ["answer"] },
      ],
    );
    const ev = { cheap: [3, 7], mid: [6, 4], strong: [9, 1] } as const;
    const usd = { cheap: 0.001, mid: 0.004, strong: 0.01 } as const;
    for (const [a, [s, f]] of Object.entries(ev)) {
      h.agents[a]!.competence.answer = { successes: s, failures: f };
      h.agents[a]!.costs.answer = {
        meanPromptTokens: 0,
        meanCompletionTokens: 0,
        meanCostUsd: usd[a as keyof typeof usd],
        meanLatencyMs: 0,
        count: 10,
        estimated: false,
      };
    }
    const d0 = selectAgent(h, { mode: "answer", lambda: 0 });
    const path = choicePath(d0.candidates);
    expect(path.map((s) => s.agent)).toEqual(["strong", "mid", "cheap"]);
    for (const lambda of [0, 0.1, 0.3, 0.5, 0.7, 1, 3])
      expect(choiceAt(path, lambda)).toBe(selectAgent(h, { mode: "answer", lambda }).chosen);
  });

  it("sum to a validation curve whose steps give accuracy and cost at every λ", () => {
    const points = [
      {
        path: [
          { from: 0, agent: "x" },
          { from: 0.5, agent: "y" },
        ],
        outcomes: new Map([
          ["x", { score: 1, costUsd: 2 }],
          ["y", { score: 0, costUsd: 1 }],
        ]),
        maxCostUsd: 2,
      },
      {
        path: [
          { from: 0, agent: "x" },
          { from: 0.2, agent: "y" },
        ],
        outcomes: new Map([
          ["x", { score: 1, costUsd: 2 }],
          ["y", { score: 1, costUsd: 1 }],
        ]),
        maxCostUsd: 2,
      },
      { path: [{ from: 0, agent: "z" }], outcomes: new Map([["x", { score: 1, costUsd: 2 }]]), maxCostUsd: 2 },
    ];
    const c = validationCurve(points);
    expect(c.steps.map((s) => [s.from, s.accuracy, s.meanCostUsd, s.missing])).toEqual([
      [0, 2 / 3, 4 / 3, 1],
      [0.2, 2 / 3, 1, 1],
      [0.5, 1 / 3, 2 / 3, 1],
    ]);
    expect(stepAt(c, 0.3).meanCostUsd).toBe(1);
    expect(insideStep(c.steps[1]!)).toBeCloseTo(0.35, 12);
  });
});

describe("candidates some λ can pick", () => {
  const curve = fc
    .array(
      fc.record({
        gap: fc.integer({ min: 1, max: 100 }).map((x) => x / 100),
        accuracy: fc.integer({ min: 0, max: 100 }).map((x) => x / 100),
        cost: fc.integer({ min: 0, max: 100 }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((steps): Curve => {
      let from = 0;
      const out = steps.map((s, i) => {
        if (i > 0) from += s.gap;
        return { from, to: Infinity, accuracy: s.accuracy, meanCostUsd: s.cost, missing: 0 };
      });
      for (let i = 0; i < out.length; i++) out[i]!.to = out[i + 1]?.from ?? Infinity;
      return { points: 10, maxMeanCostUsd: 100, steps: out };
    });
  it("hold the best objective at every λ", () => {
    fc.assert(
      fc.property(
        fc.array(curve, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 400 }).map((x) => x / 100),
        (curves, lambda) => {
          const winners = lambdaWinners(curves);
          const best = Math.max(...curves.map((c) => objectiveAt(c, lambda)));
          expect(Math.max(...winners.map((i) => objectiveAt(curves[i]!, lambda)))).toBeCloseTo(best, 9);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("agent-pooled competence", () => {
  it("moves an agent's thin evidence towards agents of similar profile, and leaves evidence counts exact plus the pseudo-observations", () => {
    const h = skeletonHandbook(
      [],
      [
        { id: "a", modes: ["answer"] },
        { id: "b", modes: ["answer"] },
        { id: "c", modes: ["answer"] },
      ],
    );
    // a and b agree on two skills; c differs. On skill s3 only b and c were seen much; a once.
    const set = (agent: string, skill: string, s: number, f: number) =>
      (h.agents[agent]!.competence[skill] = { successes: s, failures: f });
    set("a", "answer.s1", 9, 1);
    set("b", "answer.s1", 9, 1);
    set("c", "answer.s1", 1, 9);
    set("a", "answer.s2", 2, 8);
    set("b", "answer.s2", 2, 8);
    set("c", "answer.s2", 8, 2);
    set("a", "answer.s3", 0, 1);
    set("b", "answer.s3", 9, 1);
    set("c", "answer.s3", 1, 9);
    const p = poolAgents(h, { strength: 2 });
    const e = p.agents.a!.competence["answer.s3"]!;
    expect(e.successes + e.failures).toBeCloseTo(3, 12);
    // a is pulled towards b's 0.9, not c's 0.1.
    expect(e.successes).toBeGreaterThan(1.6);
    expect(h.agents.a!.competence["answer.s3"]).toEqual({ successes: 0, failures: 1 });
  });
});
