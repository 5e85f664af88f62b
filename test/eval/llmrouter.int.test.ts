// Baselines on the real LLMRouter recorded outcomes, read in place from ../shared/data/llmrouter (never copied).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate, type RouterComparison } from "../../src/eval/evaluate.js";
import { formatResultsTable } from "../../src/eval/format.js";
import { importLlmRouter } from "../../src/records/import-llmrouter.js";
import { BASELINE_FAMILIES } from "./helpers.js";

const data = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "data", "llmrouter");
const split = (name: "train" | "test") => ({
  scores: join(data, `dcrouter_preprocessed__${name}.json`),
  queries: join(data, `example_data__query_data__default_query_${name}.jsonl`),
  candidates: join(data, "example_data__llm_candidates__default_llm.json"),
  split: name,
});

let ev: RouterComparison;
beforeAll(async () => {
  ev = await evaluate({
    train: importLlmRouter(split("train")).records,
    test: importLlmRouter(split("test")).records,
    lambdas: [0, 0.5],
    seeds: [0, 1],
    k: 20,
  });
}, 60_000);

const row = (id: string) => {
  const r = ev.rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id}`);
  return r;
};

describe("evaluation on the LLMRouter test split (500 queries, 9 agents)", () => {
  it("best single agent chosen on train: llama-3.1-nemotron-51b-instruct at 0.563", () => {
    expect(ev.queries).toBe(500);
    expect(ev.trainQueries).toBe(5608);
    expect(ev.pool).toHaveLength(9);
    expect(ev.bestSingle.agent).toBe("llama-3.1-nemotron-51b-instruct");
    expect(ev.bestSingle.accuracy.toFixed(3)).toBe("0.563");
    expect(row("best-single").collapse).toMatchObject({ topShare: 1, entropy: 0 });
  });

  it("per-query oracle 0.743; oracle-cheapest-correct is cheaper per query", () => {
    expect(ev.oracle.toFixed(3)).toBe("0.743");
    expect(row("oracle").gapRecovered!.mean).toBe(1);
    expect(row("oracle-cheapest-correct").meanCostUsd.mean).toBeLessThanOrEqual(row("oracle").meanCostUsd.mean);
  });

  it("TF-IDF kNN (k = 20, λ = 0): 0.576, between the best single agent and the oracle; λ = 0.5 is cheaper", () => {
    // Measured 0.5757 (the team's own kNN gives about 0.58).
    expect(row("knn@λ=0").accuracy.mean.toFixed(3)).toBe("0.576");
    expect(row("knn@λ=0").gapRecovered!.mean).toBeGreaterThan(0);
    expect(row("knn@λ=0.5").meanCostUsd.mean).toBeLessThan(row("knn@λ=0").meanCostUsd.mean);
    expect(ev.frontiers.map((f) => f.family)).toEqual(BASELINE_FAMILIES);
  });

  it("per-task best: 0.587 chosen on train (the data README's figure), 0.615 chosen on test with hindsight", () => {
    expect(row("per-task").accuracy.mean.toFixed(3)).toBe("0.587");
    // 10 tasks × 50 queries, each task's best agent on test (checked independently: mean of per-task maxima).
    expect(row("per-task-hindsight").accuracy.mean.toFixed(3)).toBe("0.615");
    expect(row("per-task-hindsight").kind).toBe("hindsight");
  });

  it("labels every cost as estimated", () => {
    expect(ev.costEstimated).toBe(true);
    expect(ev.rows.every((r) => r.costEstimated)).toBe(true);
    expect(formatResultsTable(ev)).toContain("USD/query (estimated)");
  });
});
