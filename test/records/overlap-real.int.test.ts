// The LLMRouter dcrouter test split shares questions with its train split; `records summary --against` counts
// them. Real files read in place from ../shared/data/llmrouter, through the real CLI.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRecords } from "../../src/records/io.js";
import { findOverlap } from "../../src/records/overlap.js";
import { ROOT, startCli } from "../support/cli.js";

const data = resolve(ROOT, "..", "shared", "data", "llmrouter");
const dir = mkdtempSync(join(tmpdir(), "so-overlap-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function importSplit(name: "train" | "test"): Promise<string> {
  const out = join(dir, `${name}.jsonl`);
  const run = await startCli([
    "records",
    "import",
    "llmrouter",
    "--scores",
    join(data, `dcrouter_preprocessed__${name}.json`),
    "--queries",
    join(data, `example_data__query_data__default_query_${name}.jsonl`),
    "--candidates",
    join(data, "example_data__llm_candidates__default_llm.json"),
    "--out",
    out,
    "--pool",
    join(dir, `${name}.pool.json`),
    "--split",
    name,
  ]).done;
  expect(run.code).toBe(0);
  return out;
}

describe("overlap of the real LLMRouter splits", () => {
  it("119 of the 500 test questions appear in train (all verbatim)", async () => {
    const [train, test] = await Promise.all([importSplit("train"), importSplit("test")]);
    const run = await startCli(["records", "summary", test, "--against", train]).done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `overlap with ${train}: 119 queries of ${test} have their text (normalised) in it too (119 queries there)`,
    );

    const trainRecs = await loadRecords(train);
    const testRecs = await loadRecords(test);
    const verbatim = new Set(trainRecs.map((r) => r.query));
    expect(new Set(testRecs.filter((r) => verbatim.has(r.query)).map((r) => r.queryId)).size).toBe(119);
    expect(findOverlap(trainRecs, testRecs).queries).toBe(119);
  }, 240_000);
});
