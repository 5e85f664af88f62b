// `skillorchestra eval` on the real LLMRouter splits, read in place from ../shared/data/llmrouter (never copied):
// imported into records in a temporary directory, then evaluated at a small labelled budget.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { evalCommand, type EvalReport } from "../../src/cli/eval.js";
import { importLlmRouter } from "../../src/records/import-llmrouter.js";
import { writeImport } from "../../src/records/import-result.js";

const data = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "data", "llmrouter");
const dir = mkdtempSync(join(tmpdir(), "so-eval-llmr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function importSplit(split: "train" | "test"): string {
  const records = join(dir, `${split}.jsonl`);
  const result = importLlmRouter({
    scores: join(data, `dcrouter_preprocessed__${split}.json`),
    queries: join(data, `example_data__query_data__default_query_${split}.jsonl`),
    candidates: join(data, "example_data__llm_candidates__default_llm.json"),
    split,
  });
  writeImport(result, records, join(dir, `${split}.pool.json`));
  return records;
}

let ev: EvalReport;
let text = "";
beforeAll(async () => {
  const train = importSplit("train");
  const test = importSplit("test");
  const json = join(dir, "eval.json");
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    await evalCommand()
      .exitOverride()
      .parseAsync(
        [
          "--train",
          train,
          "--test",
          test,
          "--pool",
          join(dir, "train.pool.json"),
          "--labelled",
          "10",
          "--lambdas",
          "0,0.2",
          "--seeds",
          "1",
          "--json",
          json,
          "--no-progress",
        ],
        { from: "user" },
      );
  } finally {
    vi.restoreAllMocks();
  }
  ev = JSON.parse(readFileSync(json, "utf8")) as EvalReport;
}, 120_000);

describe("eval on the LLMRouter splits at 10 labelled queries per task", () => {
  it("reports the baselines' known figures on the 500 test queries", () => {
    expect(ev.queries).toBe(500);
    expect(ev.trainQueries).toBe(5608);
    expect(ev.bestSingle.accuracy.toFixed(3)).toBe("0.563");
    expect(ev.oracle.toFixed(3)).toBe("0.743");
    expect(text).toContain(
      "best single agent (chosen on train) llama-3.1-nemotron-51b-instruct 0.563, per-query oracle 0.743",
    );
    expect(ev.rows.find((r) => r.id === "knn@λ=0")!.accuracy.mean.toFixed(3)).toBe("0.576");
    expect(text).toContain("USD/query (estimated)");
  });

  it("reports ours, learned from 10 queries per task (14 train tasks)", () => {
    expect(ev.learning.labelled).toBe(10);
    expect(ev.learning.handbooks).toHaveLength(1);
    expect(ev.learning.handbooks[0]!.trainQueries + ev.learning.handbooks[0]!.validationQueries).toBe(140);
    for (const id of [
      "skillorchestra-mean@λ=0",
      "skillorchestra-mean@λ=0.2",
      "skillorchestra-quantile@λ=0",
      "skillorchestra-thompson@λ=0",
      "reference-cascade",
    ]) {
      const r = ev.rows.find((x) => x.id === id);
      expect(r, id).toBeDefined();
      expect(Object.values(r!.calls).reduce((a, b) => a + b, 0)).toBe(500);
      expect(r!.accuracy.mean).toBeGreaterThan(0.3);
      expect(r!.accuracy.mean).toBeLessThanOrEqual(ev.oracle);
    }
    expect(text).toMatch(/ours \(posterior mean\) λ=0 +0\.\d{3}/);
  });
});
