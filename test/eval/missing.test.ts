// Routers choosing an agent with no record on a test query: evaluate() counts each such query as a miss per router,
// in the rows, the text and markdown tables, and the JSON of the evaluation.
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/eval/evaluate.js";
import { formatEvaluation, formatResultsTable } from "../../src/eval/format.js";
import type { Router } from "../../src/eval/replay.js";
import { testRecords, trainRecords } from "./helpers.js";

// B (the best single agent on train) has no record on test query t3; A none on t4.
const holes = () =>
  testRecords().filter((r) => !((r.agent === "B" && r.queryId === "t3") || (r.agent === "A" && r.queryId === "t4")));
const always = (agent: string): Router => ({ name: `always-${agent}`, route: () => agent });

describe("evaluate() with holes in the test records", () => {
  it("does not crash; every router's missing count is in its row, the tables and the JSON", async () => {
    const ev = await evaluate({
      train: trainRecords(),
      test: holes(),
      lambdas: [0],
      seeds: [1, 2],
      k: 2,
      routers: [{ name: "always-a", label: "always A", sweep: false, make: () => always("A") }],
    });
    const row = (id: string) => ev.rows.find((r) => r.id === id)!;
    expect(row("best-single").agent).toBe("B");
    expect(row("best-single").missing).toMatchObject({ mean: 1, n: 1 });
    // Best single: t1 0, t2 0.2, t3 missing, t4 0 → 0.05; the gap's origin is that same figure.
    expect(row("best-single").accuracy.mean).toBeCloseTo(0.05, 12);
    expect(ev.bestSingle.accuracy).toBeCloseTo(0.05, 12);
    expect(row("always-a").missing.mean).toBe(1);
    expect(row("always-a").accuracy.mean).toBeCloseTo(1.4 / 4, 12);
    expect(row("always-a").runs[0]!.byTask.cars!.missing).toBe(1);
    // The oracles only choose among recorded outcomes.
    expect(row("oracle").missing.max).toBe(0);
    expect(row("oracle-cheapest-correct").missing.max).toBe(0);

    const json = JSON.parse(JSON.stringify(ev)) as typeof ev;
    expect(json.rows.find((r) => r.id === "always-a")!.missing).toEqual({ mean: 1, std: 0, min: 1, max: 1, n: 1 });

    const text = formatResultsTable(ev).trimEnd().split("\n");
    expect(text[0]).toMatch(/\s+entropy\s+missing\s+note$/);
    expect(text.find((l) => l.startsWith("always A"))).toMatch(/\s1\s*$/);
    expect(text.find((l) => l.startsWith("best single (B)"))).toMatch(/\s1\s+chosen on train$/);
    expect(text.find((l) => l.startsWith("per-query oracle"))).toMatch(/\s0\s+bound; upper bound on accuracy$/);
    const md = formatResultsTable(ev, { format: "markdown" }).split("\n");
    // calls/q (the cascade is multi-step) and missing columns.
    expect(md[1]).toBe("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    expect(formatEvaluation(ev)).toContain(
      "missing: test queries for which the router chose an agent with no record on them, each scored 0 at cost 0.",
    );
  });

  it("without holes the table has no missing column and the notes say so", async () => {
    const ev = await evaluate({ train: trainRecords(), test: testRecords(), lambdas: [0], k: 2 });
    expect(ev.rows.every((r) => r.missing.max === 0)).toBe(true);
    expect(formatResultsTable(ev).split("\n")[0]).not.toContain("missing");
    expect(formatEvaluation(ev)).toContain(
      "missing records: none (every router's choice had a recorded outcome on every test query).",
    );
  });
});
