import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { evaluate, type RouterSpec } from "../../src/eval/evaluate.js";
import { formatEvaluation, formatResultsTable, formatUsd } from "../../src/eval/format.js";
import { frontierAuc } from "../../src/core/frontier.js";
import type { Router } from "../../src/eval/replay.js";
import { BASELINE_FAMILIES, testRecords, trainRecords } from "./helpers.js";

/** A stand-in for a learned router: per-task choice that turns to the cheapest agent when λ >= 0.5. */
const ours: RouterSpec = {
  name: "ours",
  label: "ours",
  make: (): Router => ({
    name: "ours",
    route: (q, lambda = 0) => (lambda >= 0.5 ? "C" : q.task === "fruit" ? "A" : "C"),
  }),
};

describe("evaluate", () => {
  it("puts every router side by side with hand-computed figures", async () => {
    const ev = await evaluate({
      train: trainRecords(),
      test: testRecords(),
      lambdas: [1, 0, 0.4],
      seeds: [1, 2, 3],
      k: 2,
      routers: [ours],
    });
    expect(ev.queries).toBe(4);
    expect(ev.trainQueries).toBe(4);
    expect(ev.pool).toEqual(["A", "B", "C"]);
    expect(ev.lambdas).toEqual([0, 0.4, 1]);
    expect(ev.bestSingle).toEqual({ agent: "B", accuracy: expect.closeTo(0.3, 12) });
    expect(ev.oracle).toBeCloseTo(0.85, 12);
    expect(ev.agentCosts).toEqual({ A: 0.03, B: 0.02, C: 0.01 });

    const row = (id: string) => ev.rows.find((r) => r.id === id)!;
    expect(ev.rows.map((r) => r.id)).toEqual([
      "ours@λ=0",
      "ours@λ=0.4",
      "ours@λ=1",
      "best-single",
      "cheapest",
      "random",
      "knn@λ=0",
      "knn@λ=0.4",
      "knn@λ=1",
      "knn-50@λ=0",
      "knn-50@λ=0.4",
      "knn-50@λ=1",
      "per-task",
      "per-cluster-task@λ=0",
      "per-cluster-task@λ=0.4",
      "per-cluster-task@λ=1",
      "per-cluster-kmeans@λ=0",
      "per-cluster-kmeans@λ=0.4",
      "per-cluster-kmeans@λ=1",
      "logistic@λ=0",
      "logistic@λ=0.4",
      "logistic@λ=1",
      "cascade-frugal@λ=0",
      "cascade-frugal@λ=0.4",
      "cascade-frugal@λ=1",
      "per-task-hindsight",
      "oracle",
      "oracle-cheapest-correct",
    ]);
    expect(row("best-single")).toMatchObject({ agent: "B", kind: "baseline", label: "best single (B)" });
    expect(row("best-single").gapRecovered!.mean).toBe(0);
    expect(row("oracle").gapRecovered!.mean).toBe(1);
    expect(row("oracle").kind).toBe("bound");
    expect(row("per-task-hindsight").kind).toBe("hindsight");
    expect(row("cheapest").accuracy.mean).toBeCloseTo(0.5, 12);
    expect(row("oracle-cheapest-correct").meanCostUsd.mean).toBeCloseTo(0.015, 12);

    // ours at λ = 0: fruit → A, cars → C: 1 + 0.4 + 1 + 0 = 0.6 at 0.02; λ = 1: all C: 0.5 at 0.01.
    expect(row("ours@λ=0").accuracy.mean).toBeCloseTo(0.6, 12);
    expect(row("ours@λ=0").gapRecovered!.mean).toBeCloseTo(0.3 / 0.55, 12);
    expect(row("ours@λ=1").accuracy.mean).toBeCloseTo(0.5, 12);
    expect(row("ours@λ=1").collapse).toMatchObject({ topAgent: "C", topShare: 1, entropy: 0, expensiveShare: 0 });
    expect(row("ours@λ=0").seeds).toEqual([]);

    // kNN (k = 2): λ 0 and 0.4 → A, A, B, B (0.6 at 0.025); λ 1 → C, C, B, B (0.5 at 0.015).
    expect(row("knn@λ=0.4").accuracy.mean).toBeCloseTo(0.6, 12);
    expect(row("knn@λ=1").accuracy.mean).toBeCloseTo(0.5, 12);
    expect(row("knn@λ=1").meanCostUsd.mean).toBeCloseTo(0.015, 12);

    // Random over three seeds: a spread, one run per seed.
    expect(row("random").seeds).toEqual([1, 2, 3]);
    expect(row("random").runs).toHaveLength(3);
    expect(row("random").accuracy.n).toBe(3);

    // Frontiers: shared AUC range [0, the largest mean cost of any row].
    const hi = Math.max(...ev.rows.map((r) => r.meanCostUsd.mean));
    expect(ev.aucRange).toEqual({ lo: 0, hi });
    const knn = ev.frontiers.find((f) => f.family === "knn")!;
    expect(knn.frontier.map((p) => p.id)).toEqual(["knn@λ=1", "knn@λ=0"]);
    expect(knn.auc).toBeCloseTo((0.5 * (0.025 - 0.015) + 0.6 * (hi - 0.025)) / hi, 12);
    const o = ev.frontiers.find((f) => f.family === "ours")!;
    expect(o.kind).toBe("ours");
    expect(o.frontier.map((p) => p.lambda)).toEqual([1, 0]);
    expect(o.auc).toBeCloseTo((0.5 * 0.01 + 0.6 * (hi - 0.02)) / hi, 12);
    // Per-cluster with the task inferred from the text: every test query's words put it in its own task, whose
    // train means are fruit A 1, B 0.5, C 0.5 and cars A 0, B 1, C 0.5. λ = 0 and 0.4: A, A, B, B (0.6 at 0.025);
    // λ = 1 (Ĉ = 1, 2/3, 1/3): fruit → C (0.5 − 1/3), cars → B (1 − 2/3) → C, C, B, B: 0.5 at 0.015.
    expect(row("per-cluster-task@λ=0.4").accuracy.mean).toBeCloseTo(0.6, 12);
    expect(row("per-cluster-task@λ=0.4").meanCostUsd.mean).toBeCloseTo(0.025, 12);
    expect(row("per-cluster-task@λ=1").accuracy.mean).toBeCloseTo(0.5, 12);
    expect(row("per-cluster-task@λ=1").meanCostUsd.mean).toBeCloseTo(0.015, 12);
    // kNN at k = 50: only the train queries sharing a term are neighbours, the same two as at k = 2.
    for (const l of [0, 0.4, 1]) expect(row(`knn-50@λ=${l}`).calls).toEqual(row(`knn@λ=${l}`).calls);
    expect(ev.ks).toEqual([2, 50]);
    expect(ev.labelledQueries).toBeUndefined();
    expect(ev.frontiers.map((f) => f.family)).toEqual(["ours", ...BASELINE_FAMILIES]);
    for (const f of ev.frontiers) expect(f.auc).toBeCloseTo(frontierAuc(f.points, ev.aucRange), 12);
  });

  it("labelledIds: every deployable baseline is seeded and chosen on that seed's labelled queries; the gap's origin is not", async () => {
    // Seed 1 labels r1, r3 (A 0.5, B 1, C 0.5 → best single B); seed 2 labels r2, r4 (all 0.5 → the cheapest, C).
    const labelled: Record<number, string[]> = { 1: ["r1", "r3"], 2: ["r2", "r4"] };
    const asked: number[] = [];
    const ev = await evaluate({
      train: trainRecords(),
      test: testRecords(),
      seeds: [1, 2],
      lambdas: [0, 1],
      k: 1,
      labelledIds: async (seed) => {
        asked.push(seed);
        return new Set(labelled[seed]);
      },
    });
    expect([...new Set(asked)].sort()).toEqual([1, 2]);
    expect(ev.labelledQueries).toEqual({ "1": 2, "2": 2 });
    expect(ev.bestSingle).toEqual({ agent: "B", accuracy: expect.closeTo(0.3, 12) });
    const row = (id: string) => ev.rows.find((r) => r.id === id)!;
    const best = row("best-single");
    expect(best.seeds).toEqual([1, 2]);
    expect(best.label).toBe("best single (per seed: B, C)");
    expect(best.agent).toBeUndefined();
    // B on test 0.3, C on test 0.5.
    expect(best.runs.map((r) => r.accuracy)).toEqual([expect.closeTo(0.3, 12), expect.closeTo(0.5, 12)]);
    expect(best.note).toContain("labelled");
    for (const id of [
      "cheapest",
      "knn@λ=0",
      "knn-50@λ=1",
      "per-task",
      "per-cluster-task@λ=0",
      "per-cluster-kmeans@λ=1",
      "logistic@λ=0",
      "cascade-frugal@λ=1",
    ])
      expect(row(id).seeds, id).toEqual([1, 2]);
    // kNN k = 1 at seed 1 sees r1 and r3 only: fruit queries → r1 (A, B tie at 1 → B, cheaper), car queries → r3
    // (B, C tie → C): B, B, C, C → 0 + 0.2 + 1 + 0.
    expect(row("knn@λ=0").runs[0]!.calls).toEqual({ A: 0, B: 2, C: 2 });
    expect(row("knn@λ=0").runs[0]!.accuracy).toBeCloseTo(0.3, 12);
    // Per-task at seed 2: fruit has r2 only (A 1, B 0, C 1 → C, cheaper), cars r4 only (B) → C, C, B, B → 0.5.
    expect(row("per-task").runs[1]!.accuracy).toBeCloseTo(0.5, 12);
    // Bounds and hindsight are unchanged by the labelled split.
    expect(row("oracle").seeds).toEqual([]);
    await expect(
      evaluate({ train: trainRecords(), test: testRecords(), labelledIds: () => new Set(["nope"]) }),
    ).rejects.toThrow(/none of the 1 labelled query ids/);
  });

  it("labels estimated and simulated costs in every table", async () => {
    const ev = await evaluate({ train: trainRecords(), test: testRecords({ costEstimated: true, simulated: true }) });
    expect(ev.costEstimated).toBe(true);
    expect(ev.simulated).toBe(true);
    expect(ev.rows.every((r) => r.costEstimated && r.simulated)).toBe(true);
    const text = formatResultsTable(ev);
    expect(text.split("\n")[0]).toContain("USD/query (estimated, simulated)");
    const md = formatEvaluation(ev, { format: "markdown" });
    expect(md).toContain("USD/query (estimated, simulated)");
    expect(md).toContain("Every USD figure is estimated");
    expect(md).toContain("Every outcome and USD figure is simulated");
    const plain = await evaluate({ train: trainRecords(), test: testRecords() });
    expect(formatEvaluation(plain)).not.toMatch(/estimated|simulated/);
  });

  it("rejects bad λ, seeds and duplicate router names", async () => {
    const base = { train: trainRecords(), test: testRecords() };
    await expect(evaluate({ ...base, lambdas: [0, -1] })).rejects.toThrow(
      new InputError("eval: lambdas[1]: must be a finite number >= 0, got -1"),
    );
    await expect(evaluate({ ...base, seeds: [1.5] })).rejects.toThrow(/seeds\[0\]: must be an integer/);
    await expect(evaluate({ ...base, routers: [{ ...ours, name: "knn" }] })).rejects.toThrow(/two routers named knn/);
    await expect(evaluate({ ...base, ks: [20, 0] })).rejects.toThrow(/ks\[1\]: must be a positive integer/);
  });
});

describe("results tables", () => {
  it("text: aligned columns, ± spread for seeded routers; markdown: a pipe table with one line per router", async () => {
    const ev = await evaluate({ train: trainRecords(), test: testRecords(), seeds: [1, 2], lambdas: [0], k: 2 });
    const text = formatResultsTable(ev).trimEnd().split("\n");
    expect(text).toHaveLength(2 + ev.rows.length);
    // The cascade is multi-step: a calls/q column, 1 for every single-step router.
    expect(text[0]).toMatch(/^router\s+accuracy\s+USD\/query\s+calls\/q\s+gap recovered/);
    const oracleLine = text.find((l) => l.startsWith("per-query oracle"))!;
    expect(oracleLine).toMatch(/0\.850\s+0\.0200\s+1\s+1\.000/);
    expect(oracleLine).toContain("bound; upper bound on accuracy");
    expect(text.find((l) => l.startsWith("random"))).toMatch(/± /);
    expect(text.find((l) => l.startsWith("random"))).toContain("2 seeds");
    expect(text.find((l) => l.startsWith("per-task best (hindsight)"))).toContain("hindsight");

    const md = formatResultsTable(ev, { format: "markdown" }).trimEnd().split("\n");
    expect(md).toHaveLength(2 + ev.rows.length);
    expect(md[1]).toBe("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    expect(md.every((l) => l.startsWith("| ") || l.startsWith("|---"))).toBe(true);
    expect(md.find((l) => l.startsWith("| best single (B) |"))).toBe(
      "| best single (B) | 0.300 | 0.0200 | 1 | 0.000 | 1.000 | 0.000 | 0.000 | chosen on train |",
    );
  });

  it("formats USD with three significant figures", () => {
    expect(formatUsd(0)).toBe("0");
    expect(formatUsd(0.000194)).toBe("0.000194");
    expect(formatUsd(0.0123456)).toBe("0.0123");
    expect(formatUsd(1.5)).toBe("1.5000");
    expect(formatUsd(2.5e-8)).toBe("2.50e-8");
  });
});
