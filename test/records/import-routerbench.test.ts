import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { loadPool } from "../../src/pool/load.js";
import { formatImportReport, writeImport } from "../../src/records/import-result.js";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import { loadRecords } from "../../src/records/io.js";
import { summarize } from "../../src/records/summary.js";

const dir = mkdtempSync(join(tmpdir(), "so-routerbench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const put = (content: string): string => {
  const p = join(dir, `${n++}.csv`);
  writeFileSync(p, content);
  return p;
};

// Two models; gpt-x misses row s3 entirely and has a score without cost on s4; "meta/llama 2" needs a pool id.
const HEADER =
  "sample_id,prompt,eval_name,oracle,gpt-x,gpt-x|model_response,gpt-x|total_cost,meta/llama 2,meta/llama 2|model_response,meta/llama 2|total_cost";
const CSV = [
  HEADER,
  's1,"What is 2+2? Answer briefly.",arith,x,1.0,4,0.0004,0,five,0.0001',
  's2,"Name a colour,\nplease",words,x,0.25,red-ish,0.0002,1,blue,0.0001',
  's3,"Empty for gpt-x",arith,x,,,,0.5,"multi\nline",0.0003',
  's4,"Cost missing",words,x,0.75,yes,,0.6,ok,0.0002',
  "",
].join("\n");

describe("importRouterBench", () => {
  it("imports recorded scores and costs, skipping empty cells (never reading them as 0)", async () => {
    const csv = put(CSV);
    const result = await importRouterBench({ csv, split: "0shot" });
    expect(result.rows).toBe(4);
    expect(result.records).toHaveLength(6);
    expect(result.repeatedIds).toBe(0);
    expect(result.skipped).toEqual([
      { reason: "(row, model) cells with an empty score: the model has no record for that row", count: 1 },
      { reason: "(row, model) cells with a score but an empty cost", count: 1 },
    ]);
    const s = summarize(result.records);
    const gpt = s.agents.find((a) => a.agent === "gpt-x")!;
    expect(gpt.count).toBe(2);
    expect(gpt.accuracy).toBe((1 + 0.25) / 2);
    expect(gpt.successRate).toBe(0.5);
    expect(gpt.meanCostUsd).toBeCloseTo((0.0004 + 0.0002) / 2, 15);
    expect(gpt.costEstimated).toBe(false);
    const llama = s.agents.find((a) => a.agent === "meta/llama 2")!;
    expect(llama.count).toBe(4);
    expect(llama.accuracy).toBeCloseTo((0 + 1 + 0.5 + 0.6) / 4, 15);
    expect(llama.successRate).toBe(0.75);
    expect(llama.meanCostUsd).toBeCloseTo(0.0007 / 4, 15);

    const r = result.records.find((x) => x.queryId === "s2" && x.agent === "gpt-x")!;
    expect(r).toMatchObject({
      query: "Name a colour,\nplease",
      task: "words",
      response: "red-ish",
      score: 0.25,
      success: false,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0.0002,
      costEstimated: false,
      provider: "import:routerbench",
      mode: "answer",
      meta: { csvLine: 4, split: "0shot" },
    });
    expect(result.records.find((x) => x.queryId === "s3" && x.agent === "meta/llama 2")!.response).toBe("multi\nline");
  });

  it("estimates a blended price from recorded cost over estimated tokens, and maps odd names to pool ids", async () => {
    const result = await importRouterBench({ csv: put(CSV) });
    const gpt = result.agents.find((a) => a.recordedAs === "gpt-x")!;
    // s1: prompt 28 chars → 7 tokens, response "4" → 1; s2: prompt 21 → 6, "red-ish" → 2. 16 tokens, 0.0006 USD.
    expect(gpt.price.inputPer1M).toBeCloseTo((0.0006 / 16) * 1e6, 9);
    expect(gpt.price.outputPer1M).toBe(gpt.price.inputPer1M);
    expect(gpt.priceNote).toMatch(/^estimated 37\.50 USD\/1M tokens/);
    const llama = result.agents.find((a) => a.recordedAs === "meta/llama 2")!;
    expect(llama.id).toBe("meta/llama-2");

    const out = join(dir, "rb.jsonl");
    const poolPath = join(dir, "rb.pool.yml");
    writeImport(result, out, poolPath);
    expect(await loadRecords(out)).toEqual(result.records);
    const pool = loadPool(poolPath);
    expect(pool.agents.map((a) => [a.id, a.replay])).toEqual([
      ["gpt-x", { records: out }],
      ["meta/llama-2", { records: out, recordedAs: "meta/llama 2" }],
    ]);
    expect(formatImportReport(result)).toMatch(/^gpt-x +2 +0\.6250 +0\.5000 +0\.0003000$/m);
  });

  it("prices a model with no usable cost at 0, with a note", async () => {
    const csv = put(`${HEADER}\ns1,p,t,x,,,,1,r,0.001\n`);
    const result = await importRouterBench({ csv });
    const gpt = result.agents.find((a) => a.id === "gpt-x")!;
    expect(gpt.price).toEqual({ inputPer1M: 0, outputPer1M: 0 });
    expect(gpt.priceNote).toMatch(/^0: /);
  });

  it("rejects bad input with one line naming file, line and column", async () => {
    const noEval = put("sample_id,prompt,m,m|model_response,m|total_cost\ns1,p,1,r,0.1\n");
    await expect(importRouterBench({ csv: noEval })).rejects.toThrow(
      `${noEval}:1: column "eval_name": missing from the header`,
    );
    const noScore = put("sample_id,prompt,eval_name,m|model_response,m|total_cost\ns1,p,t,r,0.1\n");
    await expect(importRouterBench({ csv: noScore })).rejects.toThrow(
      `${noScore}:1: column "m": missing from the header (model m)`,
    );
    const noCost = put("sample_id,prompt,eval_name,m,m|model_response\ns1,p,t,1,r\n");
    await expect(importRouterBench({ csv: noCost })).rejects.toThrow(`${noCost}:1: column "m|total_cost": missing`);
    const badScore = put(`${HEADER}\ns1,p,t,x,1.5,r,0.1,1,r,0.1\n`);
    await expect(importRouterBench({ csv: badScore })).rejects.toThrow(
      `${badScore}:2: column "gpt-x": "1.5" is not a number in [0, 1]`,
    );
    const badCost = put(`${HEADER}\ns1,p,t,x,1,r,free,1,r,0.1\n`);
    await expect(importRouterBench({ csv: badCost })).rejects.toThrow(
      `${badCost}:2: column "gpt-x|total_cost": "free"`,
    );
    const short = put(`${HEADER}\ns1,p,t,x,1\n`);
    const err = await importRouterBench({ csv: short }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${short}:2: invalid CSV: `));
    const empty = put("");
    await expect(importRouterBench({ csv: empty })).rejects.toThrow(`${empty}:1: empty file: no header`);
    const missing = join(dir, "absent.csv");
    await expect(importRouterBench({ csv: missing })).rejects.toThrow(`${missing}: cannot read CSV file (ENOENT)`);
  });

  it("keeps rows with a repeated sample_id under stable new ids (id#2, id#3 in file order) and counts them", async () => {
    const csv = put(
      [
        HEADER,
        "s1,first,t,x,1,a,0.1,0,b,0.2",
        "s1,second,t,x,0,c,0.3,1,d,0.4",
        "s2,other,t,x,1,e,0.1,1,f,0.1",
        "s1,third,t,x,1,g,0.5,,,",
        // A literal id that a renamed row already took is itself a repeat: it moves on to the next free suffix.
        "s1#2,fourth,t,x,1,h,0.1,1,i,0.1",
        "",
      ].join("\n"),
    );
    const result = await importRouterBench({ csv });
    expect(result.rows).toBe(5);
    expect(result.repeatedIds).toBe(3);
    expect(result.records).toHaveLength(9);
    const byQuery = new Map<string, string>();
    for (const r of result.records) byQuery.set(r.queryId, r.query);
    expect([...byQuery]).toEqual([
      ["s1", "first"],
      ["s1#2", "second"],
      ["s2", "other"],
      ["s1#3", "third"],
      ["s1#2#2", "fourth"],
    ]);
    const renamed = result.records.find((r) => r.queryId === "s1#3")!;
    expect(renamed.meta).toEqual({ csvLine: 5, sampleId: "s1" });
    expect(result.records.find((r) => r.queryId === "s1")!.meta).toEqual({ csvLine: 2 });
    const report = formatImportReport(result);
    expect(report).toContain("repeated ids: 3 rows renamed id#2, id#3, … (none dropped)");
    expect(report).toContain(
      "note: 3 rows repeat an earlier sample_id and were kept under a new id (line 3: s1 → s1#2; line 5: s1 → s1#3; line 6: s1#2 → s1#2#2)",
    );
    // Importing twice gives the same ids.
    expect((await importRouterBench({ csv })).records.map((r) => r.queryId)).toEqual(
      result.records.map((r) => r.queryId),
    );
  });

  it("unwraps Python list-literal prompts and responses; other cells are kept as they are", async () => {
    const csv = put(
      [
        HEADER,
        // CSV doubles the quotes: the prompt cell is ['Line one\nIt\'s "two"'] and gpt-x answered ['C'].
        `s1,"['Line one\\nIt\\'s ""two""']",t,x,1,['C'],0.1,0,"[""x = '\\\\d'"", 'second']",0.1`,
        `s2,plain prompt,t,x,1,not a list,0.1,1,"['unterminated",0.1`,
        "",
      ].join("\n"),
    );
    const result = await importRouterBench({ csv });
    const get = (q: string, a: string) => result.records.find((r) => r.queryId === q && r.agent === a)!;
    expect(get("s1", "gpt-x").query).toBe(`Line one\nIt's "two"`);
    expect(get("s1", "gpt-x").response).toBe("C");
    expect(get("s1", "meta/llama 2").response).toBe("x = '\\d'\nsecond");
    expect(get("s2", "gpt-x").query).toBe("plain prompt");
    expect(get("s2", "gpt-x").response).toBe("not a list");
    expect(get("s2", "meta/llama 2").response).toBe("['unterminated");
  });
});
