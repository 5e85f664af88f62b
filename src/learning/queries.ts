import { MODES, type Mode } from "../core/modes.js";
import type { ExecutionRecord } from "../records/schema.js";

/**
 * Records grouped into routing points: one query (in one mode, at one step) with the outcome of every agent that
 * ran on it. Learning works on these; the records themselves are not copied.
 */

export interface AgentOutcome {
  agent: string;
  score: number;
  /** False when the agent was in the trajectory but never ran (it gets no credit and no cost). */
  acted: boolean;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  costEstimated: boolean;
  latencyMs: number;
  /** What the agent answered (shown to the learning model as contrastive evidence). */
  response: string;
}

export interface QueryItem {
  /** `queryId` + mode (+ step): one routing point. */
  key: string;
  queryId: string;
  mode: Mode;
  step?: number;
  task: string;
  text: string;
  outcomes: AgentOutcome[];
}

export function itemKey(queryId: string, mode: Mode, step?: number): string {
  return step === undefined ? `${queryId}\u0000${mode}` : `${queryId}\u0000${mode}\u0000${step}`;
}

/**
 * Group records into routing points, in order of first appearance. `agentOf` maps a record's agent name to a
 * pool agent id (default: unchanged); records whose agent it maps to undefined are skipped.
 */
export function groupRecords(
  records: Iterable<ExecutionRecord>,
  agentOf: (name: string) => string | undefined = (n) => n,
): QueryItem[] {
  const byKey = new Map<string, QueryItem>();
  for (const r of records) {
    const agent = agentOf(r.agent);
    if (agent === undefined) continue;
    const key = itemKey(r.queryId, r.mode, r.step);
    let item = byKey.get(key);
    if (!item) {
      item = { key, queryId: r.queryId, mode: r.mode, task: r.task, text: r.query, outcomes: [] };
      if (r.step !== undefined) item.step = r.step;
      byKey.set(key, item);
    }
    item.outcomes.push({
      agent,
      score: r.score,
      acted: r.acted,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      costUsd: r.costUsd,
      costEstimated: r.costEstimated,
      latencyMs: r.latencyMs,
      response: r.response,
    });
  }
  return [...byKey.values()];
}

/** The modes present in a set of items, in the canonical order. */
export function modesOf(items: readonly QueryItem[]): Mode[] {
  const present = new Set(items.map((i) => i.mode));
  return MODES.filter((m) => present.has(m));
}

/** Agents that acted per mode (sorted ids). */
export function agentsByMode(items: readonly QueryItem[]): Map<Mode, string[]> {
  const sets = new Map<Mode, Set<string>>();
  for (const it of items) {
    let s = sets.get(it.mode);
    if (!s) sets.set(it.mode, (s = new Set()));
    for (const o of it.outcomes) if (o.acted) s.add(o.agent);
  }
  return new Map([...sets].map(([m, s]) => [m, [...s].sort()]));
}
