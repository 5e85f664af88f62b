import { describe, expect, it } from "vitest";
import { chooseHandbook, chooseHandbookWith, paretoIndices } from "../../src/learning/choose.js";
import type { Evaluation } from "../../src/learning/evaluate.js";
import { evaluateHandbook, replayBaselines, replayIndex } from "../../src/learning/evaluate.js";
import { identifyAll } from "../../src/learning/identify.js";
import { profile, skeletonHandbook } from "../../src/learning/profile.js";
import { groupRecords } from "../../src/learning/queries.js";
import { skill } from "../handbook/helpers.js";
import { synthRecords, TYPES } from "./helpers.js";

const AGENTS = ["alpha", "beta", "gamma"].map((id) => ({ id, modes: ["answer" as const] }));
const train = groupRecords(synthRecords({ perType: 30, seed: "t" }));
const test = synthRecords({ perType: 20, seed: "e", prefix: "e" });
const skills = [
  skill("answer.cat_0"),
  ...TYPES.map((t) => skill(`answer.cat_0.${t.name}`, { indicators: t.words, examples: [t.words.join(" ")] })),
];

function learned() {
  const h = skeletonHandbook(skills, AGENTS);
  return profile(h, train, identifyAll(h, train));
}

describe("replay evaluation", () => {
  it("routes each query by its skills and scores the recorded outcome of the chosen agent", () => {
    const h = learned();
    const e = evaluateHandbook(h, test, undefined, { lambda: 0 });
    const base = replayBaselines(replayIndex(test));
    expect(e.points).toBe(60);
    expect(e.missing).toBe(0);
    // Each type goes to its own specialist: better than any single agent, close to the oracle.
    expect(Object.keys(e.calls).sort()).toEqual(["alpha", "beta", "gamma"]);
    for (const a of Object.values(base.agents)) expect(e.accuracy).toBeGreaterThan(a.accuracy + 0.2);
    expect(e.accuracy).toBeLessThanOrEqual(base.oracle.accuracy);
    // The accuracy is exactly the mean recorded score of the agents it called.
    const idx = replayIndex(test);
    let sum = 0;
    const calls: Record<string, number> = {};
    for (const p of idx.points) {
      const type = TYPES.find((t) => p.queryId.startsWith(`e-${t.name}-`))!;
      const agent = Object.entries(type.success).sort((x, y) => y[1] - x[1])[0]![0];
      calls[agent] = (calls[agent] ?? 0) + 1;
      sum += idx.outcomes.get(p.key)!.get(agent)!.score;
    }
    expect(e.calls).toEqual(calls);
    expect(e.accuracy).toBeCloseTo(sum / 60, 12);
  });

  it("a cost penalty moves calls to cheaper agents and is reported in the objective", () => {
    const h = learned();
    const free = evaluateHandbook(h, test, undefined, { lambda: 0 });
    const priced = evaluateHandbook(h, test, undefined, { lambda: 10 });
    expect(priced.meanCostUsd).toBeLessThan(free.meanCostUsd);
    expect(priced.calls.gamma).toBe(60);
    expect(priced.objective).toBeCloseTo(priced.accuracy - 10 * (priced.meanCostUsd / priced.maxMeanCostUsd), 12);
    expect(priced.costEstimated).toBe(true);
  });

  it("evaluates only the given queries", () => {
    const e = evaluateHandbook(learned(), test, ["e-poem-0", "e-poem-1"]);
    expect(e.points).toBe(2);
    expect(e.calls).toEqual({ gamma: 2 });
  });
});

describe("selection of a sub-handbook", () => {
  it("computes the Pareto frontier of accuracy against cost", () => {
    const pts = [
      { accuracy: 0.5, meanCostUsd: 1 },
      { accuracy: 0.7, meanCostUsd: 2 },
      { accuracy: 0.6, meanCostUsd: 3 },
      { accuracy: 0.7, meanCostUsd: 2.5 },
      { accuracy: 0.4, meanCostUsd: 1 },
    ];
    expect(paretoIndices(pts)).toEqual([0, 1]);
  });

  it("evaluates granularities 0, 1 and all on validation and chooses by λ or budget", () => {
    const full = learned();
    const val = groupRecords(synthRecords({ perType: 15, seed: "v", prefix: "v" }));
    const queries = [...new Set(val.map((v) => v.queryId))];
    const byLambda = chooseHandbook(full, { index: replayIndex(val), queries }, { lambda: 0 });
    const ids = byLambda.selection.candidates.map((c) => c.id);
    expect(ids).toEqual(["answer=0", "answer=1", "answer=all"]);
    expect(byLambda.selection.chosen).toBe("answer=all");
    expect(byLambda.handbooks.get("answer=0")!.skills).toEqual({});
    expect(byLambda.selection.frontier).toContain("answer=all");
    const all = byLambda.selection.candidates.find((c) => c.id === "answer=all")!;
    const coarse = byLambda.selection.candidates.find((c) => c.id === "answer=0")!;
    expect(all.evaluation.accuracy).toBeGreaterThan(coarse.evaluation.accuracy);
    // A budget below the fine handbook's mean cost picks the most accurate candidate within it.
    const budget =
      (all.evaluation.meanCostUsd + Math.min(...byLambda.selection.candidates.map((c) => c.evaluation.meanCostUsd))) /
      2;
    const byBudget = chooseHandbook(full, { index: replayIndex(val), queries }, { budgetUsd: budget });
    // The budget is met on validation by the chosen candidate routed with the λ solved for it…
    const sel = byBudget.selection;
    const atLambda = evaluateHandbook(byBudget.handbooks.get(sel.chosen)!, replayIndex(val), queries, {
      lambda: sel.lambda,
    });
    expect(atLambda.meanCostUsd).toBeLessThanOrEqual(budget);
    expect(sel.by).toEqual({ budgetUsd: budget });
    // …and no (candidate, λ) within the budget is more accurate: the choice is the frontier's at that cost.
    for (const c of sel.candidates)
      for (const st of c.curve!.steps)
        if (st.meanCostUsd <= budget) expect(st.accuracy).toBeLessThanOrEqual(atLambda.accuracy + 1e-12);
  });

  it("can evaluate the candidates with the target orchestrator instead of replay, and chooses on what it reports", async () => {
    const full = learned();
    // What a target orchestrator might report: the finest view helps it less than the categories do.
    const report: Record<string, { accuracy: number; meanCostUsd: number }> = {
      "answer=0": { accuracy: 0.6, meanCostUsd: 1 },
      "answer=1": { accuracy: 0.8, meanCostUsd: 2 },
      "answer=all": { accuracy: 0.7, meanCostUsd: 3 },
    };
    const seen: string[] = [];
    const evaluate = async (h: typeof full, id: string): Promise<Evaluation> => {
      seen.push(`${id}:${Object.keys(h.skills).length}`);
      const r = report[id]!;
      return {
        points: 10,
        ...r,
        maxMeanCostUsd: 4,
        costEstimated: false,
        objective: r.accuracy - 0.5 * (r.meanCostUsd / 4),
        missing: 0,
        calls: {},
      };
    };
    const { selection, handbooks } = await chooseHandbookWith(full, evaluate, { lambda: 0.5 });
    // Every view was handed to the evaluator, each as its own handbook.
    expect(seen.map((x) => x.split(":")[0])).toEqual(["answer=0", "answer=1", "answer=all"]);
    expect(seen.map((x) => Number(x.split(":")[1]))).toEqual(
      ["answer=0", "answer=1", "answer=all"].map((id) => Object.keys(handbooks.get(id)!.skills).length),
    );
    // objective: 0.6 − 0.125 = 0.475; 0.8 − 0.25 = 0.55; 0.7 − 0.375 = 0.325.
    expect(selection.chosen).toBe("answer=1");
    expect(selection.frontier).toEqual(["answer=0", "answer=1"]);
    const byBudget = await chooseHandbookWith(full, evaluate, { budgetUsd: 1.5 });
    expect(byBudget.selection.chosen).toBe("answer=0");
  });
});
