// `skillorchestra eval` as its own process on the real recorded data, read in place from ../shared/data (never
// copied): the train/test overlap of the LLMRouter splits and --dedupe; RouterBench ARC, whose empty cells leave
// queries where a router's choice has no record.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalReport } from "../../src/cli/eval.js";
import { importLlmRouter } from "../../src/records/import-llmrouter.js";
import { writeImport } from "../../src/records/import-result.js";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import { formatRecordLine } from "../../src/records/io.js";
import { splitByQuery } from "../../src/records/split.js";
import { ROOT, startCli } from "../support/cli.js";

const shared = resolve(ROOT, "..", "shared", "data");
const dir = mkdtempSync(join(tmpdir(), "so-eval-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = ["--labelled", "10", "--lambdas", "0", "--seeds", "1", "--no-progress"];

describe("eval on the LLMRouter splits: overlap and --dedupe", () => {
  const f = (name: string) => join(dir, name);
  beforeAll(() => {
    for (const split of ["train", "test"] as const)
      writeImport(
        importLlmRouter({
          scores: join(shared, "llmrouter", `dcrouter_preprocessed__${split}.json`),
          queries: join(shared, "llmrouter", `example_data__query_data__default_query_${split}.jsonl`),
          candidates: join(shared, "llmrouter", "example_data__llm_candidates__default_llm.json"),
          split,
        }),
        f(`llm-${split}.jsonl`),
        f(`llm-${split}.pool.json`),
      );
  });

  it("reports the 119 shared questions; --dedupe drops them from train before learning and the baselines", async () => {
    const base = [
      "eval",
      "--train",
      f("llm-train.jsonl"),
      "--test",
      f("llm-test.jsonl"),
      "--pool",
      f("llm-train.pool.json"),
      ...SMALL,
    ];
    const [plain, deduped] = await Promise.all([
      startCli([...base, "--json", f("plain.json")]).done,
      startCli([...base, "--dedupe", "--json", f("dedupe.json")]).done,
    ]);
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(0);
    expect(deduped.stderr).toBe("");
    expect(deduped.code).toBe(0);
    expect(plain.stdout).toContain(
      "overlap: 119 test queries have their text (normalised) in train too (kept; --dedupe drops them from train).",
    );
    expect(plain.stdout).toContain("500 test queries, 5608 train queries, pool of 9 agents");
    expect(deduped.stdout).toContain(
      "overlap: 119 test queries have their text (normalised) in train too; --dedupe dropped 119 train queries (1071 records) before learning and the baselines.",
    );
    expect(deduped.stdout).toContain("500 test queries, 5489 train queries, pool of 9 agents");

    const p = JSON.parse(readFileSync(f("plain.json"), "utf8")) as EvalReport;
    const d = JSON.parse(readFileSync(f("dedupe.json"), "utf8")) as EvalReport;
    expect(p.overlap).toEqual({ queries: 119, dedupe: false, droppedTrainQueries: 0, droppedTrainRecords: 0 });
    expect(d.overlap).toEqual({ queries: 119, dedupe: true, droppedTrainQueries: 119, droppedTrainRecords: 1071 });
    expect(d.trainQueries).toBe(5489);
    expect(d.rows.every((r) => r.missing.max === 0)).toBe(true);
  }, 600_000);
});

describe("eval on RouterBench ARC: queries with no record of the chosen agent", () => {
  it("scores them as misses, counted per router, instead of failing", async () => {
    const imported = await importRouterBench({ csv: join(shared, "routerbench", "arc_challenge_train.csv") });
    const { train, test } = splitByQuery(imported.records, { testShare: 0.3, seed: 7 });
    const trainPath = join(dir, "arc-train.jsonl");
    const testPath = join(dir, "arc-test.jsonl");
    const poolPath = join(dir, "arc.pool.json");
    writeImport({ ...imported, records: train }, trainPath, poolPath);
    writeFileSync(testPath, test.map(formatRecordLine).join(""));
    // Of the 8 ARC rows where only gpt-3.5-turbo-1106 has a record, 3 fall in this test split.
    const holes = new Set(test.filter((r) => r.agent === "gpt-3.5-turbo-1106").map((r) => r.queryId));
    const onlyGpt35 = [...holes].filter((q) => test.filter((r) => r.queryId === q).length === 1);
    expect(onlyGpt35).toHaveLength(3);

    const json = join(dir, "arc.json");
    const run = await startCli([
      "eval",
      "--train",
      trainPath,
      "--test",
      testPath,
      "--pool",
      poolPath,
      ...SMALL,
      "--json",
      json,
    ]).done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "312 test queries, 727 train queries, pool of 11 agents; best single agent (chosen on train) gpt-4-1106-preview",
    );
    const header = run.stdout.split("\n").find((l) => l.startsWith("router ") && l.includes("accuracy"))!;
    expect(header).toMatch(/\s+entropy\s+missing\s+note$/);
    expect(run.stdout).toMatch(/^best single \(gpt-4-1106-preview\)\s.*\s3\s+chosen on train$/m);
    expect(run.stdout).toMatch(/^per-query oracle\s.*\s0\s+bound; upper bound on accuracy$/m);
    expect(run.stdout).toContain(
      "missing: test queries for which the router chose an agent with no record on them, each scored 0 at cost 0.",
    );

    const ev = JSON.parse(readFileSync(json, "utf8")) as EvalReport;
    const best = ev.rows.find((r) => r.id === "best-single")!;
    expect(best.missing).toEqual({ mean: 3, std: 0, min: 3, max: 3, n: 1 });
    expect(best.runs[0]!.byTask["arc-challenge"]!.missing).toBe(3);
    expect(ev.rows.find((r) => r.id === "oracle")!.missing.max).toBe(0);
    // gpt-4's accuracy over its 309 recorded test queries, with the 3 holes scored 0 out of 312.
    const gpt4 = test.filter((r) => r.agent === "gpt-4-1106-preview");
    expect(gpt4).toHaveLength(309);
    expect(best.accuracy.mean).toBeCloseTo(gpt4.reduce((s, r) => s + r.score, 0) / 312, 12);
    expect(ev.overlap.queries).toBe(0);
  }, 600_000);
});
