import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { loadPool } from "../../src/pool/load.js";
import { importLlmRouter, textQueryId } from "../../src/records/import-llmrouter.js";
import { formatImportReport, writeImport } from "../../src/records/import-result.js";
import { loadRecords } from "../../src/records/io.js";

const dir = mkdtempSync(join(tmpdir(), "so-llmrouter-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function put(name: string, content: string): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}

const Q1 = "What is the capital of France?"; // 30 chars → 8 tokens
const Q2 = "Solve: 12 * 12 = ?"; // 18 chars → 5 tokens
const Q3 = "Which is a fruit? A) rock B) apple"; // joins two query rows
const queryRows = [
  { task_name: "natural_qa", query: Q1, ground_truth: "Paris", metric: "f1_score", choices: null, task_id: null },
  { task_name: "gsm8k", query: Q2, ground_truth: 144, metric: "GSM8K", choices: null, task_id: "7" },
  { task_name: "mmlu", query: Q3, ground_truth: "B", metric: "em_mc", choices: "['rock', 'apple']", task_id: null },
  { task_name: "arc_challenge", query: Q3, ground_truth: "2", metric: "em_mc", choices: null, task_id: null },
];
const scoreRows = [
  { question: Q1, scores: { m1: 1, m2: 0.4 } },
  { question: Q2, scores: { m1: 0, m2: 1 } },
  { question: "not in the query file", scores: { m1: 1, m2: 1 } },
  { question: Q3, scores: { m1: 0.5, m2: 0 } },
  { question: Q1, scores: { m1: 0, m2: 0 } },
];
const candidates = {
  m1: { input_price: 0.2, output_price: 0.6, model: "vendor/m1", size: "7B" },
  m2: { input_price: 1, output_price: 2 },
  unused: { input_price: 9, output_price: 9 },
};

function files(over: { scores?: string; queries?: string; candidates?: string } = {}) {
  return {
    scores: over.scores ?? put("scores.json", JSON.stringify(scoreRows, null, 2)),
    queries: over.queries ?? put("queries.jsonl", `${queryRows.map((q) => JSON.stringify(q)).join("\n")}\n`),
    candidates: over.candidates ?? put("candidates.json", JSON.stringify(candidates)),
  };
}

describe("importLlmRouter", () => {
  const result = importLlmRouter({ ...files(), split: "dev" });

  it("joins score rows to query rows on exact text and skips the rest, counting why", () => {
    expect(result.rows).toBe(5);
    expect(result.records).toHaveLength(6);
    expect(result.skipped).toEqual([
      { reason: "score rows with no query row of the same text", count: 1 },
      { reason: "score rows repeating an earlier question", count: 1 },
    ]);
    expect(result.notes.some((x) => x.startsWith("1 score rows matched more than one query row"))).toBe(true);
  });

  it("builds records with text-hash ids, references, metric and estimated cost", () => {
    const r = result.records.find((x) => x.query === Q1 && x.agent === "m2")!;
    expect(r).toMatchObject({
      queryId: textQueryId(Q1),
      task: "natural_qa",
      references: ["Paris"],
      metric: "f1_score",
      mode: "answer",
      response: "",
      score: 0.4,
      success: false,
      promptTokens: 8,
      completionTokens: 32,
      costEstimated: true,
      provider: "import:llmrouter",
      meta: { split: "dev", queryLine: 1 },
    });
    expect(r.costUsd).toBeCloseTo((8 * 1 + 32 * 2) / 1e6, 15);
    const g = result.records.find((x) => x.query === Q2 && x.agent === "m1")!;
    expect(g).toMatchObject({ references: ["144"], promptTokens: 5, completionTokens: 256, score: 0, success: false });
    expect(g.meta).toMatchObject({ taskId: "7" });
    expect(g.costUsd).toBeCloseTo((5 * 0.2 + 256 * 0.6) / 1e6, 15);
    const a = result.records.find((x) => x.query === Q3 && x.agent === "m1")!;
    expect(a).toMatchObject({
      task: "mmlu",
      references: ["B"],
      success: true,
      meta: { joinCandidates: 2, choices: "['rock', 'apple']" },
    });
    expect(result.records.every((x) => x.costEstimated)).toBe(true);
  });

  it("gives stable ids from the text alone", () => {
    expect(textQueryId(Q1)).toBe(textQueryId(`${Q1}`));
    expect(textQueryId(Q1)).not.toBe(textQueryId(`${Q1} `));
    expect(textQueryId(Q1)).toMatch(/^q[0-9a-f]{16}$/);
  });

  it("lists scored agents with candidate prices and model names", () => {
    expect(result.agents).toEqual([
      { id: "m1", recordedAs: "m1", model: "vendor/m1", price: { inputPer1M: 0.2, outputPer1M: 0.6 } },
      { id: "m2", recordedAs: "m2", model: "m2", price: { inputPer1M: 1, outputPer1M: 2 } },
    ]);
  });

  it("writes records and a replay pool that load back", async () => {
    const out = join(dir, "out", "r.jsonl");
    const pool = join(dir, "pool.yaml");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, "out"), { recursive: true });
    writeImport(result, out, pool);
    expect(await loadRecords(out)).toEqual(result.records);
    const p = loadPool(pool);
    expect(p.name).toBe("llmrouter-dev");
    expect(p.agents.map((a) => [a.id, a.provider, a.modes, a.replay?.records])).toEqual([
      ["m1", "replay", ["answer"], out],
      ["m2", "replay", ["answer"], out],
    ]);
    const report = formatImportReport(result);
    expect(report).toContain("5 rows read, 6 records, 3 queries, 2 agents, 3 tasks");
    expect(report).toContain("1 score rows with no query row of the same text");
    expect(report).toMatch(/^m1 +3 +0\.5000 .*\(estimated\)$/m);
  });
});

describe("importLlmRouter bad input", () => {
  it("names the file and JSON path of a bad score", () => {
    const scores = put(
      "scores.json",
      JSON.stringify([
        { question: Q1, scores: { m1: 1 } },
        { question: Q2, scores: { m1: "yes" } },
      ]),
    );
    expect(() => importLlmRouter(files({ scores }))).toThrow(new RegExp(`^${scores}: \\$\\[1\\]\\.scores\\.m1: `));
  });

  it("names the line of unparsable JSON", () => {
    const scores = put("scores.json", '[\n  {"question": "x",\n  "scores": }\n]');
    const err = (() => {
      try {
        importLlmRouter(files({ scores }));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.message).toMatch(new RegExp(`^${scores}: invalid JSON at line 3, column 13: `));
  });

  it("names the line and field of a bad query row", () => {
    const queries = put("q.jsonl", `${JSON.stringify(queryRows[0])}\n{"query": "x", "ground_truth": "y"}\n`);
    expect(() => importLlmRouter(files({ queries }))).toThrow(new RegExp(`^${queries}:2: \\$\\.task_name: `));
    const broken = put("q.jsonl", `${JSON.stringify(queryRows[0])}\n{"task_name": \n`);
    expect(() => importLlmRouter(files({ queries: broken }))).toThrow(new RegExp(`^${broken}:2: invalid JSON`));
  });

  it("requires a price for every scored model", () => {
    const cands = put("c.json", JSON.stringify({ m1: candidates.m1 }));
    expect(() => importLlmRouter(files({ candidates: cands }))).toThrow(
      new RegExp(`^${cands}: \\$\\.m2: no entry for model "m2"`),
    );
    const badPrice = put("c.json", JSON.stringify({ m1: candidates.m1, m2: { input_price: -1, output_price: 1 } }));
    expect(() => importLlmRouter(files({ candidates: badPrice }))).toThrow(
      new RegExp(`^${badPrice}: \\$\\.m2\\.input_price: `),
    );
  });

  it("reports a missing file", () => {
    const missing = join(dir, "nope.json");
    expect(() => importLlmRouter(files({ scores: missing }))).toThrow(`${missing}: cannot read scores file (ENOENT)`);
  });
});
