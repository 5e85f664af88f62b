import { resolve } from "node:path";
import { InputError } from "../core/errors.js";
import type { Mode } from "../core/modes.js";
import type { AgentSpec } from "../pool/schema.js";
import { loadRecords } from "../records/io.js";
import type { ExecutionRecord } from "../records/schema.js";
import type { Agent, StepRequest, StepResult } from "./types.js";

/** The records of one file, indexed by (query, agent, mode[, step]). */
export interface RecordIndex {
  source: string;
  get(queryId: string, agent: string, mode: Mode, step?: number): ExecutionRecord | undefined;
  /** Agent names present in the records. */
  agents(): Set<string>;
}

function key(queryId: string, agent: string, mode: Mode, step: number | undefined): string {
  return `${queryId}\u0000${agent}\u0000${mode}\u0000${step ?? ""}`;
}

/** Index records for replay. A record with a step answers that step; one without answers every step. */
export function indexRecords(records: readonly ExecutionRecord[], source: string): RecordIndex {
  const map = new Map<string, ExecutionRecord>();
  const names = new Set<string>();
  for (const r of records) {
    names.add(r.agent);
    const k = key(r.queryId, r.agent, r.mode, r.step);
    // Records files have unique keys; in memory the first one wins, so replay stays deterministic.
    if (!map.has(k)) map.set(k, r);
  }
  return {
    source,
    get: (q, a, m, step) =>
      (step !== undefined ? map.get(key(q, a, m, step)) : undefined) ?? map.get(key(q, a, m, undefined)),
    agents: () => names,
  };
}

/** One load per records file per process, shared by every replay agent reading it. */
const cache = new Map<string, Promise<RecordIndex>>();

/** Load (once) and index a records file. A failed load is not cached, so a fixed file can be retried. */
export function loadRecordIndex(path: string): Promise<RecordIndex> {
  const abs = resolve(path);
  let hit = cache.get(abs);
  if (!hit) {
    hit = loadRecords(abs).then((records) => indexRecords(records, abs));
    hit.catch(() => cache.delete(abs));
    cache.set(abs, hit);
  }
  return hit;
}

/** Forget the loaded records files (e.g. after a file changed on disk). */
export function clearReplayCache(): void {
  cache.clear();
}

/** A replay agent: `act` plus the record behind an answer. */
export interface ReplayAgent extends Agent {
  /** The agent name looked up in the records. */
  readonly recordedAs: string;
  readonly source: string;
  /** The record that answers this (task, mode, step); throws the replay error when there is none. */
  lookup(taskId: string, mode: Mode, step?: number): ExecutionRecord;
}

/**
 * An agent that answers from recorded executions: for (task id, agent, mode[, step]) it returns the recorded response,
 * score (`recordedScore`), tokens, cost (estimated or not, as recorded) and latency. Records come from
 * `spec.replay.records` (loaded once per file and shared), or from `records` when given. A query or agent not in the
 * records is an error naming both; there is no default answer.
 */
export async function createReplayAgent(spec: AgentSpec, records?: readonly ExecutionRecord[]): Promise<ReplayAgent> {
  if (spec.provider !== "replay") throw new InputError(`agent ${spec.id}: provider is ${spec.provider}, not replay`);
  let index: RecordIndex;
  if (records) index = indexRecords(records, spec.replay?.records ?? "(records given in memory)");
  else if (spec.replay) index = await loadRecordIndex(spec.replay.records);
  else throw new InputError(`agent ${spec.id}: $.replay.records: replay agents need a records file`);
  const recordedAs = spec.replay?.recordedAs ?? spec.id;

  const lookup = (taskId: string, mode: Mode, step?: number): ExecutionRecord => {
    if (!spec.modes.includes(mode))
      throw new InputError(`agent ${spec.id} does not serve mode ${mode} (it serves ${spec.modes.join(", ")})`);
    const r = index.get(taskId, recordedAs, mode, step);
    if (r) return r;
    const why = index.agents().has(recordedAs) ? "" : ` (no record at all for agent ${recordedAs})`;
    throw new InputError(
      `replay: no record for query ${taskId} and agent ${recordedAs} (mode ${mode}) in ${index.source}${why}`,
    );
  };

  return {
    spec,
    recordedAs,
    source: index.source,
    lookup,
    async act(request: StepRequest, opts) {
      opts?.signal?.throwIfAborted();
      const r = lookup(request.task.id, request.mode, request.step);
      const result: StepResult = {
        agent: spec.id,
        mode: request.mode,
        output: r.response,
        usage: { promptTokens: r.promptTokens, completionTokens: r.completionTokens },
        costUsd: r.costUsd,
        costEstimated: r.costEstimated,
        latencyMs: r.latencyMs,
        provider: "replay",
        simulated: r.simulated,
        recordedScore: r.score,
      };
      if (request.mode === "code") {
        const lang = r.meta?.language;
        result.language = lang === "javascript" ? "javascript" : "python";
      }
      return result;
    },
  };
}
