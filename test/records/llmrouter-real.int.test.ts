// Imports the real LLMRouter recorded outcomes from ../shared/data/llmrouter (read in place, never copied).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadPool } from "../../src/pool/load.js";
import { importLlmRouter } from "../../src/records/import-llmrouter.js";
import { writeImport } from "../../src/records/import-result.js";
import { loadRecords } from "../../src/records/io.js";
import { summarize } from "../../src/records/summary.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const data = resolve(root, "..", "shared", "data", "llmrouter");
const split = (name: "train" | "test") => ({
  scores: join(data, `dcrouter_preprocessed__${name}.json`),
  queries: join(data, `example_data__query_data__default_query_${name}.jsonl`),
  candidates: join(data, "example_data__llm_candidates__default_llm.json"),
  split: name,
});
const dir = mkdtempSync(join(tmpdir(), "so-llmrouter-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AGENTS = [
  "qwen2.5-7b-instruct",
  "llama3-chatqa-1.5-8b",
  "llama-3.1-nemotron-51b-instruct",
  "llama3-chatqa-1.5-70b",
  "mistral-7b-instruct-v0.3",
  "gemma-2-9b-it",
  "codegemma-7b",
  "llama-3.1-8b-instruct",
  "llama-3.3-nemotron-super-49b-v1",
].sort();

describe("LLMRouter import of the real data", () => {
  it("test split: 500 queries × 9 agents; best single agent llama-3.1-nemotron-51b-instruct at 0.563", async () => {
    const result = importLlmRouter(split("test"));
    expect(result.rows).toBe(500);
    expect(result.skipped.every((s) => s.count === 0)).toBe(true);
    const out = join(dir, "test.jsonl");
    const poolPath = join(dir, "test.pool.json");
    writeImport(result, out, poolPath);

    const records = await loadRecords(out);
    expect(records).toHaveLength(4500);
    const s = summarize(records);
    expect(s.queries).toBe(500);
    expect(s.agents.map((a) => a.agent).sort()).toEqual(AGENTS);
    expect(s.agents.every((a) => a.count === 500 && a.costEstimated)).toBe(true);
    const best = s.agents[0]!;
    expect(best.agent).toBe("llama-3.1-nemotron-51b-instruct");
    // Measured 0.5626 (281.3 / 500); the data's README gives 0.563.
    expect(best.accuracy).toBeCloseTo(0.5626, 4);
    expect(best.accuracy.toFixed(3)).toBe("0.563");
    // Per-query oracle: README figure 0.743.
    const bestPerQuery = new Map<string, number>();
    for (const r of records) bestPerQuery.set(r.queryId, Math.max(bestPerQuery.get(r.queryId) ?? 0, r.score));
    const oracle = [...bestPerQuery.values()].reduce((a, b) => a + b, 0) / bestPerQuery.size;
    expect(oracle.toFixed(3)).toBe("0.743");

    const pool = loadPool(poolPath);
    expect(pool.agents).toHaveLength(9);
    expect(pool.agents.every((a) => a.provider === "replay" && a.replay?.records === out)).toBe(true);
    const nemotron = pool.agents.find((a) => a.id === "llama-3.1-nemotron-51b-instruct")!;
    expect(nemotron.price).toEqual({ inputPer1M: 0.9, outputPer1M: 0.9 });
  });

  it("train split: 5,608 queries × 9 agents; the 8 texts shared by two query rows join to the first", () => {
    const result = importLlmRouter(split("train"));
    expect(result.rows).toBe(5608);
    expect(result.records).toHaveLength(5608 * 9);
    expect(new Set(result.records.map((r) => r.queryId)).size).toBe(5608);
    expect(result.skipped.every((s) => s.count === 0)).toBe(true);
    const ambiguous = new Set(result.records.filter((r) => r.meta?.joinCandidates === 2).map((r) => r.queryId));
    expect(ambiguous.size).toBe(8);
    expect(new Set(result.records.map((r) => r.task)).size).toBe(14);
  });
});
