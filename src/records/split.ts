import { rngFor, shuffled } from "../core/random.js";
import type { ExecutionRecord } from "./schema.js";

/**
 * A seeded train/test split of execution records by query: every record of a query goes to the same side, and
 * each task contributes round(share × its queries) test queries, so the split is stratified by task. The draw of
 * a task depends only on the seed, the task and its queries (in order of first appearance), not on other tasks.
 * Records keep their file order on each side.
 */

export interface SplitOptions {
  /** Share of each task's queries that go to test, strictly between 0 and 1. */
  testShare: number;
  seed: number;
}

export interface SplitTask {
  task: string;
  trainQueries: number;
  testQueries: number;
}

export interface SplitResult {
  train: ExecutionRecord[];
  test: ExecutionRecord[];
  trainQueries: number;
  testQueries: number;
  /** Per task, sorted by task. */
  tasks: SplitTask[];
}

export function splitByQuery(records: ReadonlyArray<ExecutionRecord>, opts: SplitOptions): SplitResult {
  if (!(opts.testShare > 0 && opts.testShare < 1))
    throw new RangeError(`splitByQuery: testShare must be in (0, 1), got ${opts.testShare}`);
  // A query belongs to the task of its first record.
  const queriesOf = new Map<string, string[]>();
  const taskOf = new Map<string, string>();
  for (const r of records) {
    if (taskOf.has(r.queryId)) continue;
    taskOf.set(r.queryId, r.task);
    let q = queriesOf.get(r.task);
    if (!q) queriesOf.set(r.task, (q = []));
    q.push(r.queryId);
  }
  const testIds = new Set<string>();
  const tasks: SplitTask[] = [];
  for (const task of [...queriesOf.keys()].sort()) {
    const ids = queriesOf.get(task)!;
    const n = Math.round(ids.length * opts.testShare);
    for (const id of shuffled(rngFor("records-split", opts.seed, task), ids).slice(0, n)) testIds.add(id);
    tasks.push({ task, trainQueries: ids.length - n, testQueries: n });
  }
  const train: ExecutionRecord[] = [];
  const test: ExecutionRecord[] = [];
  for (const r of records) (testIds.has(r.queryId) ? test : train).push(r);
  return { train, test, trainQueries: taskOf.size - testIds.size, testQueries: testIds.size, tasks };
}
