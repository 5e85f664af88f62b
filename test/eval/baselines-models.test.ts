import { describe, expect, it } from "vitest";
import {
  chooseByValue,
  costModel,
  fitLogistic,
  knnRouter,
  logisticRouter,
  perClusterByTask,
  perClusterKMeans,
  restrictTable,
  sphericalKMeans,
} from "../../src/eval/baselines.js";
import { textFeatures } from "../../src/eval/baselines/features.js";
import { buildReplayTable, routeAll } from "../../src/eval/replay.js";
import type { ExecutionRecord } from "../../src/records/schema.js";
import { rec } from "./helpers.js";

/** Records of `n` queries per group; `outcome(group, i)` gives each agent's [score, cost] on the i-th query. */
function table(
  groups: { task: string; words: string[] }[],
  n: number,
  outcome: (task: string, i: number) => Record<string, [number, number]>,
): ExecutionRecord[] {
  const out: ExecutionRecord[] = [];
  for (const g of groups)
    for (let i = 0; i < n; i++) {
      // Each query: two of the group's words plus a word of its own.
      const text = `${g.words[i % g.words.length]} ${g.words[(i + 1) % g.words.length]} item${g.task}${i}`;
      for (const [agent, [score, cost]] of Object.entries(outcome(g.task, i)))
        out.push(rec(`${g.task}-${i}`, text, g.task, agent, score, cost));
    }
  return out;
}

const GROUPS = [
  { task: "code", words: ["python", "function", "list", "loop"] },
  { task: "trivia", words: ["capital", "river", "country", "king"] },
];

describe("shared cost model", () => {
  it("Ĉ: each agent's mean train cost over the largest candidate's; value p̂ − λ·Ĉ; ties to the cheaper, then the smaller id", () => {
    const t = buildReplayTable([
      rec("q1", "a", "t", "X", 1, 0.1),
      rec("q2", "b", "t", "X", 1, 0.3),
      rec("q1", "a", "t", "Y", 0, 0.05),
      rec("q1", "a", "t", "Z", 0, 0.05),
    ]);
    const cost = costModel(t);
    expect(cost.agents).toEqual(["X", "Y", "Z"]);
    expect(cost.meanCostUsd.get("X")).toBeCloseTo(0.2, 12);
    /** chooseByValue on task t with these candidates' p̂ (in the order written), at this λ. */
    const choose = (scores: Record<string, number>, lambda: number) =>
      chooseByValue("t", Object.entries(scores), cost, lambda);
    const c = choose({ X: 0.9, Y: 0.6, Z: 0.6 }, 1);
    expect(c.candidates.map((x) => [x.agent, x.normalisedCost])).toEqual([
      ["X", 1],
      ["Y", 0.25],
      ["Z", 0.25],
    ]);
    // X 0.9 − 1 = −0.1; Y and Z 0.6 − 0.25 = 0.35, tied on value and cost → Y.
    expect(c.chosen).toBe("Y");
    expect(choose({ X: 0.9, Y: 0.6 }, 0).chosen).toBe("X");
    // The maximum runs over the decision's candidates: without X, Y's Ĉ is 1.
    expect(choose({ Y: 0.6, Z: 0.5 }, 1).candidates[0]!.normalisedCost).toBe(1);
    // An agent with no train record is not a candidate.
    expect(choose({ W: 1, Z: 0 }, 0).chosen).toBe("Z");
    expect(() => choose({ W: 1 }, 0)).toThrow(/no candidate agent/);
    expect(() => choose({ X: 1 }, -1)).toThrow(/lambda must be a finite number >= 0/);
  });

  it("kNN weighs cost by the agent's mean over the whole train table, not over the neighbours", () => {
    // X is cheap on the "alpha" queries and dear elsewhere: mean 0.06; Y costs 0.04 everywhere.
    const t = buildReplayTable([
      rec("a1", "alpha one", "t", "X", 1, 0.01),
      rec("a1", "alpha one", "t", "Y", 0.8, 0.04),
      rec("b1", "beta two", "t", "X", 1, 0.11),
      rec("b1", "beta two", "t", "Y", 0.8, 0.04),
    ]);
    const ex = knnRouter(t, { k: 1 }).explain({ id: "q", text: "alpha" }, 0.5);
    expect(ex.neighbours).toEqual(["a1"]);
    const x = ex.candidates.find((c) => c.agent === "X")!;
    expect(x.meanCostUsd).toBeCloseTo(0.06, 12);
    expect(x.normalisedCost).toBe(1);
    // X 1 − 0.5 = 0.5; Y 0.8 − 0.5·(0.04/0.06) = 0.467 → X. With neighbour costs it would have been Y's 0.8 − 0.5 vs X's 1 − 0.125.
    expect(ex.chosen).toBe("X");
    expect(knnRouter(t, { k: 1 }).explain({ id: "q", text: "alpha" }, 1).chosen).toBe("Y");
  });

  it("restrictTable keeps the labelled queries only, agents recomputed", () => {
    const t = buildReplayTable([rec("q1", "a", "t", "X", 1, 0.1), rec("q2", "b", "t", "Y", 1, 0.3)]);
    const r = restrictTable(t, new Set(["q2", "zz"]));
    expect(r.queries.map((q) => q.id)).toEqual(["q2"]);
    expect(r.agents).toEqual(["Y"]);
    expect(() => restrictTable(t, new Set(["zz"]))).toThrow(/none of the 1 labelled query ids/);
  });
});

describe("per-cluster best agent", () => {
  // Code: P succeeds always (cost 0.1), Q on odd queries (cost 0.01). Trivia: Q always, P never.
  const records = table(GROUPS, 10, (task, i) =>
    task === "code" ? { P: [1, 0.1], Q: [i % 2, 0.01] } : { P: [0, 0.1], Q: [1, 0.01] },
  );
  const train = buildReplayTable(records);

  it("task from the text: a query goes to the task of the nearest centroid, then to that task's best agent", async () => {
    const r = perClusterByTask(train);
    expect(r.groups).toEqual(["code", "trivia"]);
    expect(r.groupOf({ id: "x", text: "a loop over a list" })).toBe("code");
    expect(r.groupOf({ id: "x", text: "which river" })).toBe("trivia");
    expect(r.route({ id: "x", text: "write a python function" })).toBe("P");
    expect(r.route({ id: "x", text: "the capital of a country" })).toBe("Q");
    // The task label of the query is not used: only its text.
    expect(r.route({ id: "x", text: "the capital of a country", task: "code" })).toBe("Q");
    // No shared term: the largest task (a tie: the first, code).
    expect(r.explain({ id: "x", text: "zzz" }).group).toBe("code");
    expect(r.explain({ id: "x", text: "python" }).members).toBe(10);
  });

  it("λ moves the choice to the cheaper agent once the accuracy gap is worth less than the cost gap", () => {
    const r = perClusterByTask(train);
    // Code: P 1 − λ·1, Q 0.5 − λ·0.1 → Q once λ > 0.5/0.9.
    const ex = r.explain({ id: "x", text: "python loop" }, 0.5);
    expect(ex.chosen).toBe("P");
    expect(Object.fromEntries(ex.candidates.map((c) => [c.agent, c.value]))).toEqual({
      P: expect.closeTo(0.5, 12),
      Q: expect.closeTo(0.45, 12),
    });
    expect(r.route({ id: "x", text: "python loop" }, 0.6)).toBe("Q");
  });

  it("k-means without labels finds the two word groups and routes each to its best agent", async () => {
    const r = perClusterKMeans(train, { seed: 3 });
    expect(r.groups).toHaveLength(2);
    const code = r.groupOf({ id: "x", text: "python function" });
    expect(r.groupOf({ id: "x", text: "list loop" })).toBe(code);
    expect(r.groupOf({ id: "x", text: "river king" })).not.toBe(code);
    expect(r.explain({ id: "x", text: "python function" }).members).toBe(10);
    const test = buildReplayTable(
      table(GROUPS, 4, (task) => (task === "code" ? { P: [1, 0.1], Q: [0, 0.01] } : { P: [0, 0.1], Q: [1, 0.01] })),
    );
    expect((await routeAll(r, test)).accuracy).toBe(1);
  });

  it("k-means is deterministic for a seed; k larger than the data keeps non-empty clusters only", () => {
    const f = textFeatures(train.queries.map((q) => q.text));
    expect(sphericalKMeans(f.train, f.dims, 2, 5)).toEqual(sphericalKMeans(f.train, f.dims, 2, 5));
    const small = sphericalKMeans(f.train.slice(0, 3), f.dims, 10, 1);
    expect(small.flat().sort()).toEqual([0, 1, 2]);
    expect(small.every((m) => m.length > 0)).toBe(true);
    expect(() => sphericalKMeans(f.train, f.dims, 0, 1)).toThrow(/k must be a positive integer/);
  });
});

describe("logistic per-agent success predictor", () => {
  // One term separates the agents: R succeeds on "red" queries, S on "blue" ones; both cost the same.
  const words = ["apple", "pear", "plum", "fig", "kiwi", "lime"];
  const recs: ExecutionRecord[] = [];
  for (let i = 0; i < 30; i++) {
    const red = i % 2 === 0;
    // Every other word occurs with both colours equally often.
    const w = Math.floor(i / 2);
    const text = `${red ? "red" : "blue"} ${words[w % words.length]} ${words[(w + 2) % words.length]}`;
    recs.push(rec(`q${i}`, text, "t", "R", red ? 1 : 0, 0.01), rec(`q${i}`, text, "t", "S", red ? 0 : 1, 0.01));
  }
  const train = buildReplayTable(recs);

  it("learns the separating term: p̂ high for the agent the term favours, low for the other", () => {
    const r = logisticRouter(train);
    const red = r.explain({ id: "x", text: "red plum" });
    const p = Object.fromEntries(red.candidates.map((c) => [c.agent, c.estimate]));
    expect(p.R).toBeGreaterThan(0.7);
    expect(p.S).toBeLessThan(0.3);
    expect(red.chosen).toBe("R");
    expect(r.route({ id: "y", text: "blue plum" })).toBe("S");
    // A text with no known term falls back to each agent's base rate (both 0.5): a tie → the smaller id.
    const none = r.explain({ id: "z", text: "zzz" });
    for (const c of none.candidates) expect(c.estimate).toBeCloseTo(0.5, 6);
  });

  it("is deterministic, and a stronger L2 penalty shrinks the predictions toward the base rate", () => {
    const a = logisticRouter(train).model;
    const b = logisticRouter(train).model;
    expect([...a.weights]).toEqual([...b.weights]);
    const f = textFeatures(train.queries.map((q) => q.text));
    const weak = a.predict(f.vector("red"))[0]!;
    const strong = logisticRouter(train, { l2: 1 }).model.predict(f.vector("red"))[0]!;
    expect(strong).toBeGreaterThan(0.5);
    expect(strong).toBeLessThan(weak);
  });

  it("λ moves the choice to the cheaper agent when the predicted gain is worth less", () => {
    // U succeeds on 3 of 4 "hard" queries at cost 0.1, V on 2 of 4 at cost 0.01.
    const rs: ExecutionRecord[] = [];
    for (let i = 0; i < 8; i++)
      rs.push(
        rec(`h${i}`, `hard case${i}`, "t", "U", i % 4 === 0 ? 0 : 1, 0.1),
        rec(`h${i}`, `hard case${i}`, "t", "V", i % 2, 0.01),
      );
    const r = logisticRouter(buildReplayTable(rs));
    const at = (lambda: number) => r.explain({ id: "x", text: "hard" }, lambda);
    const p = Object.fromEntries(at(0).candidates.map((c) => [c.agent, c.estimate]));
    expect(p.U).toBeGreaterThan(p.V!);
    expect(at(0).chosen).toBe("U");
    const gap = (p.U! - p.V!) / (1 - 0.1);
    expect(at(gap * 0.9).chosen).toBe("U");
    expect(at(gap * 1.1).chosen).toBe("V");
  });

  it("leaves a row out of an agent's fit when the agent has no record there", () => {
    const f = textFeatures(["red a", "blue b"]);
    const m = fitLogistic(f.train, f.dims, ["R", "S"], Float64Array.from([1, NaN, 0, 1]), {
      l2: 0.01,
      iterations: 200,
    });
    // S has the single label 1 (its base rate clipped to 0.999): high everywhere.
    expect(m.predict(f.vector("red"))[1]).toBeGreaterThan(0.99);
    expect(m.predict(f.vector("red"))[0]).toBeGreaterThan(m.predict(f.vector("blue"))[0]!);
    expect(() => fitLogistic(f.train, f.dims, ["R"], Float64Array.from([1]), { l2: 0.01, iterations: 1 })).toThrow(
      /1 targets for 2 rows/,
    );
  });
});
