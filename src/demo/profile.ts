import { createHandbook, recordOutcome, type Handbook } from "../../handbook/index.js";
import type { Mode } from "../core/modes.js";
import type { Pool } from "../pool/schema.js";
import type { ExecutionRecord } from "../records/schema.js";

const STOP = new Set(
  "a an and are as at be by for from has have how in is it its many much of on or the to was were what which who whom why with".split(
    " ",
  ),
);

/**
 * Words of a text for the by-task profile's indicators: letters only, longer than two. Kept apart from
 * handbook/text.ts's terms because the demo's and the benchmarks' by-task figures were measured with these.
 */
function terms(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z]+/)
      .filter((w) => w.length > 2 && !STOP.has(w)),
  );
}

/** The words most specific to one group of texts against the rest: document-frequency share in minus share out. */
export function distinctiveWords(inside: readonly string[], outside: readonly string[], k = 8): string[] {
  const df = (texts: readonly string[]) => {
    const m = new Map<string, number>();
    for (const t of texts) for (const w of terms(t)) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  const a = df(inside);
  const b = df(outside);
  return [...a.entries()]
    .map(([w, n]) => [w, n / Math.max(1, inside.length) - (b.get(w) ?? 0) / Math.max(1, outside.length)] as const)
    .filter(([, s]) => s > 0)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, k)
    .map(([w]) => w);
}

/**
 * A handbook by direct profiling of explored records, with each (mode, task) pair as one skill `mode.task`:
 * indicators are the task's most distinctive query words, examples its queries (up to 50), and every record of an agent
 * that acted is one weighted Beta update of its competence on that skill plus one cost observation.
 * This is the no-discovery baseline the learning graph improves on (it needs task labels; discovery does not).
 */
export function profileByTask(records: readonly ExecutionRecord[], pool: Pool, now?: string): Handbook {
  let h = createHandbook({
    ...(now ? { now } : {}),
    modes: {
      search: { description: "retrieve documents" },
      code: { description: "run a program" },
      answer: { description: "give the final answer" },
    },
  });
  const byKey = new Map<string, { mode: Mode; task: string; queries: Map<string, string> }>();
  for (const r of records) {
    const key = `${r.mode}.${r.task}`;
    const g = byKey.get(key) ?? { mode: r.mode, task: r.task, queries: new Map() };
    g.queries.set(r.queryId, r.query);
    byKey.set(key, g);
  }
  const skills: Handbook["skills"] = {};
  for (const [id, g] of byKey) {
    const inside = [...g.queries.values()];
    const outside = [...byKey.values()]
      .filter((o) => o.mode === g.mode && o.task !== g.task)
      .flatMap((o) => [...o.queries.values()]);
    skills[id] = {
      id,
      name: g.task.replace(/_/g, " "),
      description: `${g.mode} steps of ${g.task.replace(/_/g, " ")} tasks`,
      indicators: distinctiveWords(inside, outside),
      examples: inside.slice(0, 50),
      mode: g.mode,
      provenance: {
        discoveredFrom: [...g.queries.keys()],
        history: [
          {
            op: "discover",
            from: [],
            at: h.metadata.createdAt,
            note: "one skill per (mode, task) by direct profiling",
          },
        ],
      },
    };
  }
  const agents: Handbook["agents"] = {};
  for (const a of pool.agents)
    agents[a.id] = { modes: a.modes, competence: {}, costs: {}, strengths: [], weaknesses: [], routingSignals: [] };
  h = { ...h, skills, agents };
  for (const r of records) {
    if (!r.acted || !agents[r.agent]) continue;
    h = recordOutcome(h, {
      agent: r.agent,
      mode: r.mode,
      skills: [{ id: `${r.mode}.${r.task}`, weight: 1 }],
      score: r.score,
      cost: {
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        costUsd: r.costUsd,
        latencyMs: r.latencyMs,
        estimated: r.costEstimated,
      },
    });
  }
  return {
    ...h,
    metadata: {
      ...h.metadata,
      learning: {
        method: "direct profiling by task",
        records: records.length,
        simulated: records.some((r) => r.simulated),
      },
    },
  };
}
