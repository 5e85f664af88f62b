import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetricContext } from "../../src/eval/metrics.js";
import { buildReplayTable, type ReplayTable } from "../../src/eval/replay.js";
import { formatRecordLine } from "../../src/records/io.js";
import { ExecutionRecordSchema, type ExecutionRecord, type ExecutionRecordInput } from "../../src/records/schema.js";

/** One answer-mode record; cost in USD. */
export function rec(
  queryId: string,
  query: string,
  task: string,
  agent: string,
  score: number,
  costUsd: number,
  extra: Partial<ExecutionRecordInput> = {},
): ExecutionRecord {
  return ExecutionRecordSchema.parse({
    queryId,
    query,
    task,
    agent,
    mode: "answer",
    score,
    success: score >= 0.5,
    promptTokens: 10,
    completionTokens: 5,
    costUsd,
    provider: "replay",
    ...extra,
  });
}

/** Per-call cost of the three agents of the fixture: A is the most expensive, C the cheapest. */
export const COST = { A: 0.03, B: 0.02, C: 0.01 } as const;
type Agent = keyof typeof COST;

function rows(
  qs: [string, string, string, Record<Agent, number>][],
  extra: Partial<ExecutionRecordInput> = {},
): ExecutionRecord[] {
  return qs.flatMap(([id, text, task, scores]) =>
    (Object.keys(scores) as Agent[]).map((a) => rec(id, text, task, a, scores[a], COST[a], extra)),
  );
}

/**
 * Train: mean scores A 0.5, B 0.75, C 0.5 → best single B, cheapest C.
 * Per task on train: fruit → A (1.0), cars → B (1.0).
 */
export function trainRecords(extra: Partial<ExecutionRecordInput> = {}): ExecutionRecord[] {
  return rows(
    [
      ["r1", "apple banana fruit", "fruit", { A: 1, B: 1, C: 0 }],
      ["r2", "banana fruit salad", "fruit", { A: 1, B: 0, C: 1 }],
      ["r3", "engine motor car", "cars", { A: 0, B: 1, C: 1 }],
      ["r4", "car engine oil", "cars", { A: 0, B: 1, C: 0 }],
    ],
    extra,
  );
}

/**
 * Test. Best single (B) 0.3; oracle t1 C, t2 A (0.4, nobody succeeds), t3 C, t4 A → 0.85 at 0.02 USD/query;
 * oracle-cheapest-correct t1 C, t2 C, t3 C, t4 A → 0.75 at 0.015.
 */
export function testRecords(extra: Partial<ExecutionRecordInput> = {}): ExecutionRecord[] {
  return rows(
    [
      ["t1", "banana split", "fruit", { A: 1, B: 0, C: 1 }],
      ["t2", "fruit bowl", "fruit", { A: 0.4, B: 0.2, C: 0 }],
      ["t3", "car repair", "cars", { A: 0, B: 1, C: 1 }],
      ["t4", "engine noise", "cars", { A: 1, B: 0, C: 0 }],
    ],
    extra,
  );
}

/** The baseline families of an evaluation's frontiers, in their order, after those of our router. */
export const BASELINE_FAMILIES = [
  "knn",
  "knn-50",
  "per-cluster-task",
  "per-cluster-kmeans",
  "logistic",
  "cascade-frugal",
];

/** The test records' replay table, and the metric context of routing on it (best single and oracle: see testRecords). */
export function testTable(): { table: ReplayTable; ctx: MetricContext } {
  const table = buildReplayTable(testRecords());
  return { table, ctx: { pool: table.agents, agentCosts: { ...COST }, bestSingle: 0.3, oracle: 0.85 } };
}

/** The hand-made train and test records and a replay pool of agents A, B, C, written into a fresh directory. */
export function writeEvalFiles(prefix: string): { dir: string; train: string; test: string; pool: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = { dir, train: join(dir, "train.jsonl"), test: join(dir, "test.jsonl"), pool: join(dir, "pool.json") };
  writeFileSync(files.train, trainRecords().map(formatRecordLine).join(""));
  writeFileSync(files.test, testRecords().map(formatRecordLine).join(""));
  const agents = ["A", "B", "C"].map((id) => ({
    id,
    modes: ["answer"],
    provider: "replay",
    model: id,
    price: { inputPer1M: 1, outputPer1M: 1 },
    replay: { records: "train.jsonl" },
  }));
  writeFileSync(files.pool, JSON.stringify({ version: 1, agents }));
  return files;
}
