import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { evaluate, type RouterSpec } from "../../src/eval/evaluate.js";
import { formatEvaluation, formatResultsTable, formatUsd } from "../../src/eval/format.js";
import type { Router } from "../../src/eval/replay.js";
import { testRecords, trainRecords } from "./helpers.js";

/** A stand-in for a learned router: per-task choice that turns to the cheapest agent when λ >= 0.5. */
const ours: RouterSpec = {
  name: "ours",
  label: "ours",
  make: (): Router => ({ name: "ours", route: (q, lambda = 0) => (lambda >= 0.5 ? "C" : q.task === "fruit" ? "A" : "C") }),
};

describe("evaluate", () => {
  it("puts every router side by side with hand-computed figures", async () => {
    const ev = await evaluate({ train: trainRecords(), test: testRecords(), lambdas: [1, 0, 0.4], seeds: [1, 2, 3], k: 2, routers: [ours] });
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
      "per-task",
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
    expect(ev.frontiers.map((f) => f.family)).toEqual(["ours", "knn"]);
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
    await expect(evaluate({ ...base, lambdas: [0, -1] })).rejects.toThrow(new InputError("eval: lambdas[1]: must be a finite number >= 0, got -1"));
    await expect(evaluate({ ...base, seeds: [1.5] })).rejects.toThrow(/seeds\[0\]: must be an integer/);
    await expect(evaluate({ ...base, routers: [{ ...ours, name: "knn" }] })).rejects.toThrow(/two routers named knn/);
  });
});

describe("results tables", () => {
  it("text: aligned columns, ± spread for seeded routers; markdown: a pipe table with one line per router", async () => {
    const ev = await evaluate({ train: trainRecords(), test: testRecords(), seeds: [1, 2], lambdas: [0], k: 2 });
    const text = formatResultsTable(ev).trimEnd().split("\n");
    expect(text).toHaveLength(2 + ev.rows.length);
    expect(text[0]).toMatch(/^router\s+accuracy\s+USD\/query\s+gap recovered/);
    const oracleLine = text.find((l) => l.startsWith("per-query oracle"))!;
    expect(oracleLine).toMatch(/0\.850\s+0\.0200\s+1\.000/);
    expect(oracleLine).toContain("bound; upper bound on accuracy");
    expect(text.find((l) => l.startsWith("random"))).toMatch(/± /);
    expect(text.find((l) => l.startsWith("random"))).toContain("2 seeds");
    expect(text.find((l) => l.startsWith("per-task best (hindsight)"))).toContain("hindsight");

    const md = formatResultsTable(ev, { format: "markdown" }).trimEnd().split("\n");
    expect(md).toHaveLength(2 + ev.rows.length);
    expect(md[1]).toBe("|---|---:|---:|---:|---:|---:|---:|---|");
    expect(md.every((l) => l.startsWith("| ") || l.startsWith("|---"))).toBe(true);
    expect(md.find((l) => l.startsWith("| best single (B) |"))).toBe("| best single (B) | 0.300 | 0.0200 | 0.000 | 1.000 | 0.000 | 0.000 | chosen on train |");
  });

  it("formats USD with three significant figures", () => {
    expect(formatUsd(0)).toBe("0");
    expect(formatUsd(0.000194)).toBe("0.000194");
    expect(formatUsd(0.0123456)).toBe("0.0123");
    expect(formatUsd(1.5)).toBe("1.5000");
    expect(formatUsd(2.5e-8)).toBe("2.50e-8");
  });
});
