import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadHandbook } from "../../handbook/store.js";
import { evaluateHandbook, replayBaselines, replayIndex, type ReplayIndex } from "../../src/learning/evaluate.js";
import { readLog } from "../../src/learning/log.js";
import { groupRecords } from "../../src/learning/queries.js";
import { importLlmRouter } from "../../src/records/import-llmrouter.js";
import { writeImport } from "../../src/records/import-result.js";
import { ROOT, startCli } from "../support/cli.js";

/**
 * Learning on a subset of the real LLMRouter records (../shared/data/llmrouter; costs estimated): four tasks whose
 * best agents differ, 150 training queries each. The learn CLI is killed mid-phase and resumed; the handbook it
 * learns routes the held-out test queries of those tasks by replay.
 */

const DATA = resolve(ROOT, "../shared/data/llmrouter");
const TASKS = new Set(["human_eval", "agentverse-mgsm", "commongen", "trivia_qa"]);
const PER_TASK = 150;

let dir: string;
let records: string;
let pool: string;
let test: ReplayIndex;

function load(split: "train" | "test") {
  return importLlmRouter({
    scores: join(DATA, `dcrouter_preprocessed__${split}.json`),
    queries: join(DATA, `example_data__query_data__default_query_${split}.jsonl`),
    candidates: join(DATA, "example_data__llm_candidates__default_llm.json"),
    split,
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "learn-real-"));
  const train = load("train");
  const taken = new Map<string, Set<string>>();
  train.records = train.records.filter((r) => {
    if (!TASKS.has(r.task)) return false;
    const ids = taken.get(r.task) ?? new Set<string>();
    taken.set(r.task, ids);
    if (!ids.has(r.queryId) && ids.size >= PER_TASK) return false;
    ids.add(r.queryId);
    return true;
  });
  records = join(dir, "train.jsonl");
  pool = join(dir, "pool.json");
  writeImport(train, records, pool);
  test = replayIndex(groupRecords(load("test").records.filter((r) => TASKS.has(r.task))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("learning on real LLMRouter records", () => {
  it("resumes a run killed mid-phase, then routes held-out test queries better than the best single agent", async () => {
    const out = join(dir, "H.json");
    const log = join(dir, "H.learn", "learning.log.jsonl");
    const args = [
      "learn",
      "--records",
      records,
      "--pool",
      pool,
      "--out",
      out,
      "--checkpoint",
      join(dir, "ckpt.sqlite"),
      "--seed",
      "1",
    ];
    const first = startCli(args);
    // Kill as soon as the refine phase has started (SIGKILL: no cleanup, mid-phase).
    await new Promise<void>((res, rej) => {
      const poll = setInterval(() => {
        const started = existsSync(log) && readFileSync(log, "utf8").includes('"event":"phase_start","phase":"refine"');
        if (started) {
          clearInterval(poll);
          first.child.kill("SIGKILL");
          res();
        }
      }, 5);
      void first.done.then((r) => {
        clearInterval(poll);
        if (r.signal !== "SIGKILL") rej(new Error(`first run ended before it was killed: ${r.code} ${r.stderr}`));
      });
    });
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(out)).toBe(false);

    const second = await startCli(args).done;
    expect(second.stderr).toMatch(/learn: resuming thread learn-[0-9a-f]+ at refine/);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/learning cost \(run learn-/);
    const entries = readLog(log);
    const count = (event: string, phase: string) =>
      entries.filter((e) => e.event === event && (e as { phase?: string }).phase === phase).length;
    for (const p of ["split", "discover", "profile", "select"]) expect(count("phase_start", p)).toBe(1);
    expect(count("phase_start", "refine")).toBe(2);
    expect(count("phase_end", "refine")).toBe(1);
    expect(new Set(entries.map((e) => e.run)).size).toBe(1);

    const h = loadHandbook(out);
    const cost = h.metadata.learning.cost as { records: number; queries: number };
    expect(cost).toMatchObject({ records: 4 * PER_TASK * 9, queries: 4 * PER_TASK });
    expect(Object.values(h.agents).every((a) => a.costs.answer?.estimated === true)).toBe(true);
    const e = evaluateHandbook(h, test, undefined, { lambda: 0 });
    const base = replayBaselines(test);
    const best = Math.max(...Object.values(base.agents).map((a) => a.accuracy));
    expect(e.points).toBe(200);
    expect(e.missing).toBe(0);
    expect(e.accuracy).toBeGreaterThan(best + 0.03);
    expect(e.accuracy).toBeLessThan(base.oracle.accuracy);
    // Two learn processes on real records (killed, resumed): past 30 s at a load of 10 or more on 2 cores.
  }, 90_000);
});
