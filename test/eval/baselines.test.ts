import { describe, expect, it } from "vitest";
import {
  bestSingleAgent,
  cheapestAgent,
  knnRouter,
  oracleCheapestCorrectRouter,
  oracleRouter,
  perTaskBest,
  randomRouter,
} from "../../src/eval/baselines.js";
import { buildReplayTable, routeAll } from "../../src/eval/replay.js";
import { rec, testRecords, trainRecords } from "./helpers.js";

const train = buildReplayTable(trainRecords());
const test = buildReplayTable(testRecords());

describe("single-agent baselines (chosen on train)", () => {
  it("best single: highest mean train score (B 0.75); its test accuracy 0.3", async () => {
    const r = bestSingleAgent(train);
    expect(r.agent).toBe("B");
    expect((await routeAll(r, test)).accuracy).toBeCloseTo(0.3, 12);
  });

  it("best single ties go to the cheaper agent, then the smaller id", () => {
    const t = buildReplayTable([
      rec("q", "x", "t", "X", 1, 0.2),
      rec("q", "x", "t", "Y", 1, 0.1),
      rec("q", "x", "t", "Z", 1, 0.1),
    ]);
    expect(bestSingleAgent(t).agent).toBe("Y");
  });

  it("cheapest: lowest mean train cost (C); test accuracy 0.5", async () => {
    const r = cheapestAgent(train);
    expect(r.agent).toBe("C");
    expect((await routeAll(r, test)).accuracy).toBeCloseTo(0.5, 12);
  });
});

describe("random router", () => {
  it("is seeded: the same seed gives the same choices in any order; another seed differs", async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => ({ id: `q${i}`, text: "" }));
    const r1 = randomRouter(["A", "B", "C"], 7);
    const forward = ids.map((q) => r1.route(q));
    const backward = [...ids]
      .reverse()
      .map((q) => randomRouter(["A", "B", "C"], 7).route(q))
      .reverse();
    expect(backward).toEqual(forward);
    const other = ids.map((q) => randomRouter(["A", "B", "C"], 8).route(q));
    expect(other).not.toEqual(forward);
    // Uniform: each agent within 3 points of a third over 3,000 queries.
    for (const a of ["A", "B", "C"])
      expect(Math.abs(forward.filter((x) => x === a).length / 3000 - 1 / 3)).toBeLessThan(0.03);
  });
});

describe("oracles (built on test)", () => {
  it("per-query oracle: best recorded score, cheapest among ties → 0.85 at 0.02 USD/query", async () => {
    const r = await routeAll(oracleRouter(test), test);
    expect(r.decisions.map((d) => d.agent)).toEqual(["C", "A", "C", "A"]);
    expect(r.accuracy).toBeCloseTo(0.85, 12);
    expect(r.meanCostUsd).toBeCloseTo(0.02, 12);
  });

  it("oracle-cheapest-correct: cheapest success, else cheapest → 0.75 at 0.015 USD/query", async () => {
    const r = await routeAll(oracleCheapestCorrectRouter(test), test);
    expect(r.decisions.map((d) => d.agent)).toEqual(["C", "C", "C", "A"]);
    expect(r.accuracy).toBeCloseTo(0.75, 12);
    expect(r.meanCostUsd).toBeCloseTo(0.015, 12);
  });
});

describe("per-task best", () => {
  it("chosen on train: fruit → A, cars → B; unseen task → best single on train", async () => {
    const r = perTaskBest(train);
    expect(r.name).toBe("per-task");
    expect(Object.fromEntries(r.choice)).toEqual({ fruit: "A", cars: "B" });
    expect(r.route({ id: "x", text: "", task: "unknown" })).toBe("B");
    expect(r.route({ id: "x", text: "" })).toBe("B");
    expect((await routeAll(r, test)).accuracy).toBeCloseTo(0.6, 12); // 1 + 0.4 + 1 + 0
  });

  it("hindsight: chosen on test; cars is a three-way tie at 0.5 → the cheapest, C", async () => {
    const r = perTaskBest(test, { hindsight: true });
    expect(r.name).toBe("per-task-hindsight");
    expect(Object.fromEntries(r.choice)).toEqual({ fruit: "A", cars: "C" });
    const res = await routeAll(r, test);
    expect(res.accuracy).toBeCloseTo(0.6, 12); // 1 + 0.4 + 1 + 0
    expect(res.meanCostUsd).toBeCloseTo(0.02, 12);
  });
});

describe("kNN router", () => {
  const knn = knnRouter(train, { k: 2 });

  it("λ = 0: the neighbours' best mean score (fruit queries → A, car queries → B) → 0.6", async () => {
    const ex = knn.explain({ id: "t1", text: "banana split" }, 0);
    expect(ex.neighbours).toEqual(["r1", "r2"]);
    expect(ex.candidates.map((c) => [c.agent, c.meanScore])).toEqual([
      ["A", 1],
      ["B", 0.5],
      ["C", 0.5],
    ]);
    expect(ex.chosen).toBe("A");
    const r = await routeAll(knn, test, { lambda: 0 });
    expect(r.decisions.map((d) => d.agent)).toEqual(["A", "A", "B", "B"]);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    expect(r.meanCostUsd).toBeCloseTo(0.025, 12);
  });

  it("λ = 1: mean score − normalised cost (C: 0.5 − 1/3 beats A: 1 − 1) for fruit; B for cars → 0.5", async () => {
    const ex = knn.explain({ id: "t1", text: "banana split" }, 1);
    const value = Object.fromEntries(ex.candidates.map((c) => [c.agent, c.value]));
    expect(value.A).toBeCloseTo(0, 12);
    expect(value.B).toBeCloseTo(0.5 - 2 / 3, 12);
    expect(value.C).toBeCloseTo(0.5 - 1 / 3, 12);
    expect(ex.chosen).toBe("C");
    const r = await routeAll(knn, test, { lambda: 1 });
    expect(r.decisions.map((d) => d.agent)).toEqual(["C", "C", "B", "B"]);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
  });

  it("no shared term: every train query is a neighbour (→ best single agent B)", () => {
    const ex = knn.explain({ id: "z", text: "the quick zebra" }, 0);
    expect(ex.neighbours).toEqual([]);
    expect(ex.chosen).toBe("B");
  });

  it("k = 1 uses only the nearest train query", () => {
    const one = knnRouter(train, { k: 1 });
    // "apple" occurs only in r1, where A and B succeed: tie on score → the cheaper, B.
    expect(one.explain({ id: "x", text: "apple" }).neighbours).toEqual(["r1"]);
    expect(one.route({ id: "x", text: "apple" })).toBe("B");
    expect(() => knnRouter(train, { k: 0 })).toThrow(/k must be a positive integer/);
  });
});
