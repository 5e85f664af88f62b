/**
 * The deadline of one run of the orchestrator graph: the time its first node started, plus `deadlineMs`.
 *
 * A run is one `invoke`/`stream` call (a resume from a checkpoint or an interrupt is a new one, so a human's wait at
 * an interrupt is not counted). Nodes tell runs apart by the stream writer in their runtime, which LangGraph creates
 * once per invoke/stream and hands to every node of it (checked in LangGraph.js 1.7; test/orchestrator/faults.int.test.ts
 * holds a run of several nodes to one deadline).
 */
const starts = new WeakMap<object, number>();

export function runDeadlineAt(runtime: { writer?: unknown }, deadlineMs: number, now: number = Date.now()): number {
  const key = typeof runtime.writer === "function" ? (runtime.writer as object) : undefined;
  if (!key) return now + deadlineMs;
  let start = starts.get(key);
  if (start === undefined) {
    start = now;
    starts.set(key, start);
  }
  return start + deadlineMs;
}
