import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordsCommand } from "../../src/cli/records.js";
import { InputError } from "../../src/core/errors.js";
import { loadPool } from "../../src/pool/load.js";
import { loadRecords } from "../../src/records/io.js";
import { rec } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "so-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string> {
  let out = "";
  const cmd = recordsCommand({ out: (t) => void (out += t) });
  cmd.exitOverride();
  for (const sub of cmd.commands) {
    sub.exitOverride();
    for (const s of sub.commands) s.exitOverride().configureOutput({ writeErr: () => {} });
  }
  await cmd.parseAsync(args, { from: "user" });
  return out;
}

describe("skillorchestra records", () => {
  it("import llmrouter writes records and pool and prints a summary", async () => {
    const scores = join(dir, "s.json");
    const queries = join(dir, "q.jsonl");
    const candidates = join(dir, "c.json");
    writeFileSync(
      scores,
      JSON.stringify([
        { question: "q one", scores: { a: 1, b: 0 } },
        { question: "q two", scores: { a: 0.5, b: 1 } },
      ]),
    );
    writeFileSync(
      queries,
      [
        '{"task_name":"t1","query":"q one","ground_truth":"x","metric":"em_mc","choices":null,"task_id":null}',
        '{"task_name":"t2","query":"q two","ground_truth":"y","metric":"f1_score","choices":null,"task_id":null}',
      ].join("\n"),
    );
    writeFileSync(
      candidates,
      JSON.stringify({ a: { input_price: 1, output_price: 1 }, b: { input_price: 2, output_price: 2 } }),
    );
    const out = join(dir, "r.jsonl");
    const pool = join(dir, "p.json");
    const text = await run([
      "import",
      "llmrouter",
      "--scores",
      scores,
      "--queries",
      queries,
      "--candidates",
      candidates,
      "--out",
      out,
      "--pool",
      pool,
      "--split",
      "tiny",
    ]);
    expect(text).toContain("import llmrouter (split tiny): 2 rows read, 4 records, 2 queries, 2 agents, 2 tasks");
    expect(text).toMatch(/^a +2 +0\.7500 +1\.0000 +\S+ \(estimated\)$/m);
    expect(text).toMatch(/^t2 +1 +b +1\.0000$/m);
    expect(await loadRecords(out)).toHaveLength(4);
    expect(loadPool(pool).agents.map((x) => x.id)).toEqual(["a", "b"]);

    const summary = await run(["summary", out]);
    expect(summary.split("\n")[0]).toBe("4 records, 2 queries, 2 agents, 2 tasks");
    expect(summary).toMatch(/^b +2 +0\.5000 +0\.5000 +\S+ \(estimated\)$/m);
  });

  it("import routerbench and summary of a simulated file", async () => {
    const csv = join(dir, "rb.csv");
    writeFileSync(
      csv,
      "sample_id,prompt,eval_name,m,m|model_response,m|total_cost\ns1,hello,t,0.8,hi,0.002\ns2,bye,t,,,\n",
    );
    const text = await run([
      "import",
      "routerbench",
      "--csv",
      csv,
      "--out",
      join(dir, "rb.jsonl"),
      "--pool",
      join(dir, "rb.yaml"),
    ]);
    expect(text).toContain("1 (row, model) cells with an empty score");
    expect(text).toMatch(/^m +1 +0\.8000 +1\.0000 +0\.002000$/m);

    const sim = join(dir, "sim.jsonl");
    writeFileSync(sim, `${JSON.stringify(rec({ simulated: true, costEstimated: true }))}\n`);
    expect(await run(["summary", sim])).toMatch(/^a +1 +1\.0000 +1\.0000 +0\.001000 \(simulated, estimated\)$/m);
  });

  it("surfaces bad input as an InputError for main to report", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify(rec())}\n{"queryId": 3}\n`);
    const err = await run(["summary", bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${bad}:2: $.queryId: Invalid input: expected string, received number`);
  });

  it("requires the import options", async () => {
    await expect(run(["import", "llmrouter", "--scores", "x"])).rejects.toMatchObject({
      code: "commander.missingMandatoryOptionValue",
    });
  });
});
