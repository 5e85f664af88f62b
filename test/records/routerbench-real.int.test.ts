// Imports the real RouterBench train files from ../shared/data/routerbench (read in place, never copied), through
// the real CLI.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import { loadRecords } from "../../src/records/io.js";
import { summarize } from "../../src/records/summary.js";
import { ROOT, startCli } from "../support/cli.js";

const data = resolve(ROOT, "..", "shared", "data", "routerbench");
const dir = mkdtempSync(join(tmpdir(), "so-routerbench-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("RouterBench import of the real ARC train file", () => {
  it("keeps all 1,039 rows (7 repeated ids renamed), skips the 92 empty cells, unwraps every list literal", async () => {
    const out = join(dir, "arc.jsonl");
    const pool = join(dir, "arc.pool.json");
    const csv = join(data, "arc_challenge_train.csv");
    const run = await startCli([
      "records",
      "import",
      "routerbench",
      "--csv",
      csv,
      "--out",
      out,
      "--pool",
      pool,
      "--split",
      "train",
    ]).done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "import routerbench (split train): 1039 rows read, 11337 records, 1039 queries, 11 agents, 1 tasks",
    );
    expect(run.stdout).toContain("repeated ids: 7 rows renamed id#2, id#3, … (none dropped)");
    expect(run.stdout).toContain("92 (row, model) cells with an empty score: the model has no record for that row");
    expect(run.stdout).toContain("line 224: arc-challenge.val.174 → arc-challenge.val.174#2");

    const records = await loadRecords(out);
    expect(records).toHaveLength(1039 * 11 - 92);
    const renamed = [...new Set(records.filter((r) => r.queryId.includes("#")).map((r) => r.queryId))].sort();
    expect(renamed).toEqual(
      [
        "arc-challenge.val.174",
        "arc-challenge.val.194",
        "arc-challenge.val.208",
        "arc-challenge.val.226",
        "arc-challenge.val.274",
        "arc-challenge.val.44",
        "arc-challenge.val.55",
      ].map((id) => `${id}#2`),
    );
    // The README says the repeated ids carry different prompts.
    const promptOf = (id: string) => records.find((r) => r.queryId === id)!.query;
    expect(promptOf("arc-challenge.val.174#2")).not.toBe(promptOf("arc-challenge.val.174"));
    expect(records.find((r) => r.queryId === "arc-challenge.val.174#2")!.meta).toMatchObject({
      sampleId: "arc-challenge.val.174",
    });

    // No text is left wrapped in a list literal; answers are bare letters; escapes are decoded.
    expect(records.filter((r) => /^\[['"]/.test(r.query) || /^\[['"]/.test(r.response))).toEqual([]);
    const gpt4 = records.filter((r) => r.agent === "gpt-4-1106-preview");
    // Every GPT-4 answer is a bare letter but one, which the file records as the text "You have".
    expect(gpt4.filter((r) => !/^[ABCD]$/.test(r.response)).map((r) => r.response)).toEqual(["You have"]);
    expect(records.some((r) => r.query.includes("\\n"))).toBe(false);
    expect(promptOf("arc-challenge.val.294")).toContain("sodium chloride (NaCl). AgNO3 \u0002+ NaCl (Reactants)");
    expect(
      promptOf("arc-challenge.val.208").endsWith(
        'Print only a single choice  from "A" or "B" or "C" or "D" without explanation.\nAnswer:',
      ),
    ).toBe(true);

    // Per-model accuracy over the rows with a record, as in the data's README.
    const s = summarize(records);
    const acc = Object.fromEntries(s.agents.map((a) => [a.agent, a.accuracy.toFixed(3)]));
    expect(acc).toMatchObject({
      "gpt-4-1106-preview": "0.953",
      "zero-one-ai/Yi-34B-Chat": "0.897",
      "mistralai/mixtral-8x7b-chat": "0.851",
      "claude-v2": "0.570",
    });
    expect(s.agents.reduce((n, a) => n + (1039 - a.count), 0)).toBe(92);
  }, 180_000);

  it("winogrande and MBPP: unique ids, no empty cells, every cell unwrapped", async () => {
    for (const [file, rows] of [
      ["winograde_train.csv", 887],
      ["mbpp_train.csv", 299],
    ] as const) {
      const result = await importRouterBench({ csv: join(data, file) });
      expect(result.rows).toBe(rows);
      expect(result.repeatedIds).toBe(0);
      expect(result.records).toHaveLength(rows * 11);
      expect(result.skipped.every((x) => x.count === 0)).toBe(true);
      expect(result.records.filter((r) => /^\[['"]/.test(r.query) || /^\[['"]/.test(r.response))).toEqual([]);
    }
  }, 120_000);
});
