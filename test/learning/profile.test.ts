import { describe, expect, it } from "vitest";
import { recordOutcome } from "../../handbook/build.js";
import { posteriorMean } from "../../handbook/competence.js";
import { selectAgent } from "../../handbook/select.js";
import type { ActiveSkill } from "../../handbook/select.js";
import { InputError } from "../../src/core/errors.js";
import { modeInsights } from "../../src/learning/insights.js";
import { profile, skeletonHandbook } from "../../src/learning/profile.js";
import { groupRecords } from "../../src/learning/queries.js";
import { skill } from "../handbook/helpers.js";
import { synthRecords } from "./helpers.js";

const skills = [
  skill("answer.maths"),
  skill("answer.maths.sum"),
  skill("answer.maths.product"),
  skill("answer.words"),
  skill("answer.words.rhyme"),
];
const agents = ["alpha", "beta", "gamma"].map((id) => ({ id, modes: ["answer" as const] }));

describe("profiling", () => {
  it("uses the skill weights (fractional updates), exactly as folding recordOutcome trace by trace", () => {
    const items = groupRecords(synthRecords({ perType: 5 }));
    const weights: ActiveSkill[][] = [
      [
        { id: "answer.maths.sum", weight: 0.75 },
        { id: "answer.maths.product", weight: 0.25 },
      ],
      [{ id: "answer.words.rhyme", weight: 2 }],
      [],
    ];
    const ident = new Map(items.map((it, i) => [it.key, weights[i % 3]!]));
    const fast = profile(skeletonHandbook(skills, agents), items, ident);
    let slow = skeletonHandbook(skills, agents);
    for (const it of items)
      for (const o of it.outcomes)
        slow = recordOutcome(slow, {
          agent: o.agent,
          mode: it.mode,
          skills: ident.get(it.key)!,
          score: o.score,
          cost: {
            promptTokens: o.promptTokens,
            completionTokens: o.completionTokens,
            costUsd: o.costUsd,
            latencyMs: o.latencyMs,
            estimated: o.costEstimated,
          },
        });
    for (const a of ["alpha", "beta", "gamma"]) {
      const f = fast.agents[a]!;
      const s = slow.agents[a]!;
      expect(Object.keys(f.competence).sort()).toEqual(Object.keys(s.competence).sort());
      for (const k of Object.keys(s.competence)) {
        expect(f.competence[k]!.successes).toBeCloseTo(s.competence[k]!.successes, 10);
        expect(f.competence[k]!.failures).toBeCloseTo(s.competence[k]!.failures, 10);
      }
      expect(f.costs.answer!.count).toBe(s.costs.answer!.count);
      expect(f.costs.answer!.meanCostUsd).toBeCloseTo(s.costs.answer!.meanCostUsd, 12);
      expect(f.costs.answer!.estimated).toBe(true);
    }
    // A 0.75 / 0.25 trace: fractional evidence, one observation in total.
    const first = items[0]!;
    const one = profile(skeletonHandbook(skills, agents), [first], ident);
    const o = first.outcomes.find((x) => x.agent === "alpha")!;
    expect(one.agents.alpha!.competence["answer.maths.sum"]).toEqual({
      successes: 0.75 * o.score,
      failures: 0.75 * (1 - o.score),
    });
    expect(one.agents.alpha!.competence["answer.maths.product"]).toEqual({
      successes: 0.25 * o.score,
      failures: 0.25 * (1 - o.score),
    });
  });

  it("credits only agents that acted, with neither competence nor cost for the others", () => {
    const items = groupRecords(synthRecords({ perType: 4, idleAgent: "idle" }));
    const h = skeletonHandbook(skills, [...agents, { id: "idle", modes: ["answer"] }]);
    const ident = new Map(items.map((it) => [it.key, [{ id: "answer.maths.sum", weight: 1 }]]));
    const p = profile(h, items, ident);
    expect(p.agents.idle!.competence).toEqual({});
    expect(p.agents.idle!.costs).toEqual({});
    expect(p.agents.alpha!.costs.answer!.count).toBe(items.length);
    // Unseen pairs are the prior, not 0: the idle agent's competence is 0.5 under the flat prior.
    expect(posteriorMean(p.agents.idle!.competence["answer.maths.sum"], p.metadata.prior)).toBe(0.5);
    const d = selectAgent(p, { mode: "answer", skills: [{ id: "answer.maths.sum", weight: 1 }] });
    expect(d.candidates.find((c) => c.agent === "idle")!.competence).toBe(0.5);
  });

  it("rejects outcomes of agents the handbook does not know", () => {
    const items = groupRecords(synthRecords({ perType: 1 }));
    expect(() => profile(skeletonHandbook(skills, agents.slice(0, 1)), items, new Map())).toThrow(InputError);
  });

  it("distils statistical mode insights with evidence ids", () => {
    const digits = synthRecords({
      perType: 40,
      types: [
        {
          name: "num",
          task: "num",
          words: ["12", "7", "300", "total"],
          success: { alpha: 0.9, beta: 0.9, gamma: 0.9 },
        },
      ],
    });
    const words = synthRecords({
      perType: 40,
      types: [
        { name: "txt", task: "txt", words: ["apple", "pear", "plum"], success: { alpha: 0.1, beta: 0.1, gamma: 0.1 } },
      ],
    });
    const insights = modeInsights(groupRecords([...digits, ...words]), "answer");
    const usage = insights.find((i) => i.type === "usage" && i.text.includes("numbers"))!;
    expect(usage.text).toMatch(
      /answer mode: queries containing numbers succeed in 9\d% of traces \(vs \d% otherwise; 40 queries\)/,
    );
    expect(usage.confidence).toBeGreaterThan(0.99);
    expect(usage.evidence.length).toBeGreaterThan(0);
    expect(usage.evidence.every((id) => id.startsWith("q-num-"))).toBe(true);
  });
});
