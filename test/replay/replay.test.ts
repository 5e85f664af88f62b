import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explore } from "../../src/explore/explore.js";
import { replayRunner } from "../../src/explore/runners.js";
import { loadPool } from "../../src/pool/load.js";
import type { Pool } from "../../src/pool/schema.js";
import { clearReplayCache, createReplayAgent, loadRecordIndex } from "../../src/providers/replay.js";
import type { StepRequest } from "../../src/providers/types.js";
import { textQueryId, importLlmRouter } from "../../src/records/import-llmrouter.js";
import { writeImport } from "../../src/records/import-result.js";
import { loadRecords } from "../../src/records/io.js";

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/data/llmrouter");
const raw = JSON.parse(readFileSync(join(DATA, "dcrouter_preprocessed__test.json"), "utf8")) as {
  question: string;
  scores: Record<string, number>;
}[];

let dir: string;
let recordsPath: string;
let pool: Pool;

function ask(id: string, mode: StepRequest["mode"] = "answer"): StepRequest {
  return { mode, task: { id, text: "" }, step: 0, documents: [], codeResults: [], attempts: [] };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "replay-"));
  recordsPath = join(dir, "llmrouter-test.jsonl");
  const result = importLlmRouter({
    scores: join(DATA, "dcrouter_preprocessed__test.json"),
    queries: join(DATA, "example_data__query_data__default_query_test.jsonl"),
    candidates: join(DATA, "example_data__llm_candidates__default_llm.json"),
    split: "test",
  });
  writeImport(result, recordsPath, join(dir, "pool.json"));
  pool = loadPool(join(dir, "pool.json"));
  clearReplayCache();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("replay agents on the recorded LLMRouter test split", () => {
  it("return the recorded score of every (query, model) as the raw files have it", async () => {
    expect(pool.agents.length).toBe(9);
    const agents = await Promise.all(pool.agents.map((spec) => createReplayAgent(spec)));
    const seen = new Set<string>();
    let checked = 0;
    for (const row of raw) {
      const id = textQueryId(row.question);
      if (seen.has(id)) continue; // a repeated question keeps its first row
      seen.add(id);
      for (const [model, score] of Object.entries(row.scores)) {
        const a = agents.find((x) => x.recordedAs === model)!;
        const r = await a.act(ask(id));
        expect(r.recordedScore).toBe(score);
        expect(r.provider).toBe("replay");
        expect(r.simulated).toBe(false);
        expect(r.costEstimated).toBe(true);
        expect(r.agent).toBe(a.spec.id);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4000);
  });

  it("returns tokens and cost as recorded, and the same answer every time", async () => {
    const records = await loadRecords(recordsPath);
    const rec = records[123]!;
    const spec = pool.agents.find((a) => (a.replay?.recordedAs ?? a.id) === rec.agent)!;
    const a = await createReplayAgent(spec);
    const r = await a.act(ask(rec.queryId));
    expect(r.usage).toEqual({ promptTokens: rec.promptTokens, completionTokens: rec.completionTokens });
    expect(r.costUsd).toBe(rec.costUsd);
    expect(r.output).toBe(rec.response);
    expect(await a.act({ ...ask(rec.queryId), step: 5 })).toEqual(r);
  });

  it("errors clearly on a query or an agent not in the records: no default answer", async () => {
    const spec = pool.agents[0]!;
    const a = await createReplayAgent(spec);
    await expect(a.act(ask("q-not-recorded"))).rejects.toThrow(
      `replay: no record for query q-not-recorded and agent ${a.recordedAs} (mode answer) in ${recordsPath}`,
    );
    const ghost = await createReplayAgent({
      ...spec,
      id: "ghost",
      replay: { records: recordsPath, recordedAs: "gpt-ghost" },
    });
    const known = textQueryId(raw[0]!.question);
    await expect(ghost.act(ask(known))).rejects.toThrow(
      `replay: no record for query ${known} and agent gpt-ghost (mode answer) in ${recordsPath} (no record at all for agent gpt-ghost)`,
    );
    await expect(a.act(ask(known, "search"))).rejects.toThrow(`agent ${spec.id} does not serve mode search`);
    await expect(createReplayAgent({ ...spec, replay: { records: join(dir, "missing.jsonl") } })).rejects.toThrow(
      /missing\.jsonl: cannot read records file/,
    );
  });

  it("loads each records file once and shares it between agents", async () => {
    const small = join(dir, "small.jsonl");
    const lines = readFileSync(recordsPath, "utf8").split("\n").slice(0, 18);
    writeFileSync(small, `${lines.join("\n")}\n`);
    const spec = { ...pool.agents[0]!, replay: { records: small, recordedAs: JSON.parse(lines[0]!).agent as string } };
    expect(loadRecordIndex(small)).toBe(loadRecordIndex(small));
    const first = await createReplayAgent(spec);
    const q = JSON.parse(lines[0]!).queryId as string;
    const before = await first.act(ask(q));
    // The file changes on disk; a second agent on it still answers from the one load.
    writeFileSync(small, "");
    const second = await createReplayAgent({ ...spec, id: "second" });
    expect((await second.act(ask(q))).recordedScore).toBe(before.recordedScore);
    clearReplayCache();
    const third = await createReplayAgent({ ...spec, id: "third" });
    await expect(third.act(ask(q))).rejects.toThrow(/no record for query/);
  });

  it("explore with the replay runner copies the recorded outcomes under the pool's ids", async () => {
    const records = await loadRecords(recordsPath);
    const queries = [...new Map(records.map((r) => [r.queryId, r])).values()].slice(0, 15);
    const agents = await Promise.all(pool.agents.map((spec) => createReplayAgent(spec)));
    const out = join(dir, "explored.jsonl");
    const s = await explore({
      agents,
      tasks: queries.map((r) => ({ id: r.queryId, text: r.query, family: r.task })),
      run: replayRunner(),
      out,
      progress: false,
    });
    expect(s).toMatchObject({ pairs: 15 * 9, written: 15 * 9, failures: [], resumed: 0 });
    const written = await loadRecords(out);
    for (const w of written) {
      const spec = pool.agents.find((a) => a.id === w.agent)!;
      const orig = records.find((r) => r.queryId === w.queryId && r.agent === (spec.replay?.recordedAs ?? spec.id))!;
      expect(w.score).toBe(orig.score);
      expect(w.costUsd).toBe(orig.costUsd);
      expect(w.costEstimated).toBe(true);
      expect(w.provider).toBe("replay");
      expect(w.meta?.recordedProvider).toBe("import:llmrouter");
    }
  });
});
