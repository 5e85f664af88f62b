import type { ExecutionRecord } from "./schema.js";

export interface AgentSummary {
  agent: string;
  /** Number of records. */
  count: number;
  /** Mean score. */
  accuracy: number;
  /** Share of records with success = true. */
  successRate: number;
  meanCostUsd: number;
  /** True when any of the agent's records has an estimated cost. */
  costEstimated: boolean;
  /** True when any of the agent's records is simulated. */
  simulated: boolean;
}

export interface TaskSummary {
  task: string;
  /** Distinct queries of the task. */
  queries: number;
  /** Number of records. */
  count: number;
  /** Agent with the highest mean score on the task (ties: lower mean cost, then name). */
  bestAgent: string;
  bestAccuracy: number;
  /** Per-agent mean score on this task, best first. */
  agents: { agent: string; accuracy: number; meanCostUsd: number; count: number }[];
}

export interface RecordsSummary {
  records: number;
  queries: number;
  agents: AgentSummary[];
  tasks: TaskSummary[];
}

interface Acc {
  count: number;
  score: number;
  success: number;
  cost: number;
  estimated: boolean;
  simulated: boolean;
}

function add(map: Map<string, Acc>, key: string, r: ExecutionRecord): void {
  let a = map.get(key);
  if (!a) map.set(key, (a = { count: 0, score: 0, success: 0, cost: 0, estimated: false, simulated: false }));
  a.count++;
  a.score += r.score;
  a.success += r.success ? 1 : 0;
  a.cost += r.costUsd;
  a.estimated ||= r.costEstimated;
  a.simulated ||= r.simulated;
}

function byAccuracyThenCost<T extends { accuracy: number; meanCostUsd: number; agent: string }>(a: T, b: T): number {
  return (
    b.accuracy - a.accuracy || a.meanCostUsd - b.meanCostUsd || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)
  );
}

/** Per-agent and per-task figures over a set of records (pure). Agents and tasks come sorted. */
export function summarize(records: Iterable<ExecutionRecord>): RecordsSummary {
  const perAgent = new Map<string, Acc>();
  const perTask = new Map<string, Map<string, Acc>>();
  const taskQueries = new Map<string, Set<string>>();
  const queries = new Set<string>();
  let n = 0;
  for (const r of records) {
    n++;
    queries.add(r.queryId);
    add(perAgent, r.agent, r);
    let t = perTask.get(r.task);
    if (!t) perTask.set(r.task, (t = new Map()));
    add(t, r.agent, r);
    let q = taskQueries.get(r.task);
    if (!q) taskQueries.set(r.task, (q = new Set()));
    q.add(r.queryId);
  }
  const agents: AgentSummary[] = [...perAgent].map(([agent, a]) => ({
    agent,
    count: a.count,
    accuracy: a.score / a.count,
    successRate: a.success / a.count,
    meanCostUsd: a.cost / a.count,
    costEstimated: a.estimated,
    simulated: a.simulated,
  }));
  agents.sort(byAccuracyThenCost);
  const tasks: TaskSummary[] = [...perTask].map(([task, m]) => {
    const rows = [...m].map(([agent, a]) => ({
      agent,
      accuracy: a.score / a.count,
      meanCostUsd: a.cost / a.count,
      count: a.count,
    }));
    rows.sort(byAccuracyThenCost);
    const best = rows[0]!;
    return {
      task,
      queries: taskQueries.get(task)!.size,
      count: rows.reduce((s, r) => s + r.count, 0),
      bestAgent: best.agent,
      bestAccuracy: best.accuracy,
      agents: rows,
    };
  });
  tasks.sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
  return { records: n, queries: queries.size, agents, tasks };
}

function costLabel(a: { costEstimated: boolean; simulated: boolean }): string {
  const tags = [a.simulated ? "simulated" : "", a.costEstimated ? "estimated" : ""].filter(Boolean);
  return tags.length ? ` (${tags.join(", ")})` : "";
}

/** USD with four significant digits (plain decimals, no exponent). */
export function formatUsdPlain(usd: number): string {
  if (usd === 0) return "0";
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(usd))));
  return usd.toFixed(Math.min(digits, 12));
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** Human-readable text of a summary (several lines, ending in a newline). */
export function formatSummary(s: RecordsSummary): string {
  const lines = [`${s.records} records, ${s.queries} queries, ${s.agents.length} agents, ${s.tasks.length} tasks`, ""];
  const agentRows = [["agent", "records", "accuracy", "success", "mean cost USD"]];
  for (const a of s.agents)
    agentRows.push([
      a.agent,
      String(a.count),
      a.accuracy.toFixed(4),
      a.successRate.toFixed(4),
      `${formatUsdPlain(a.meanCostUsd)}${costLabel(a)}`,
    ]);
  lines.push(...table(agentRows), "");
  const taskRows = [["task", "queries", "best agent", "accuracy"]];
  for (const t of s.tasks) taskRows.push([t.task, String(t.queries), t.bestAgent, t.bestAccuracy.toFixed(4)]);
  lines.push(...table(taskRows));
  return `${lines.join("\n")}\n`;
}
