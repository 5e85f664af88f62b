/**
 * `learn --evaluate live`: select weighs each candidate handbook by running the orchestrator graph on the validation
 * tasks with the real pool (src/eval/live.ts), under a USD cap of its own.
 */
import { readFileSync } from "node:fs";
import { LocalSearch, readCorpus } from "../../tools/search/index.js";
import { InputError } from "../core/errors.js";
import { MODES, TOOL_MODES, type ToolMode } from "../core/modes.js";
import { liveEvaluator } from "../eval/live.js";
import { loadTasks } from "../explore/tasks.js";
import type { ExploreTask } from "../explore/types.js";
import { artefactPaths } from "../learning/artefacts.js";
import type { CandidateEvaluator } from "../learning/choose.js";
import { LearningLog, readLog } from "../learning/log.js";
import { loadPool } from "../pool/load.js";
import { buildAgents } from "../providers/index.js";
import { loadRecords } from "../records/io.js";
import type { ExecutionRecord } from "../records/schema.js";
import { checkKeys } from "./explore-live.js";

export interface LiveLearnFlags {
  evaluate?: string;
  tasks?: string;
  corpus?: string;
  evaluateMaxUsd?: string;
}

/**
 * The mean cost of a task when every mode takes its dearest agent, from the explored records: per mode, the highest
 * mean own cost of an agent's acted records, summed over the modes. The one cost normaliser of every candidate.
 */
export function dearestCostPerTask(records: readonly ExecutionRecord[]): number {
  let total = 0;
  for (const mode of MODES) {
    const sums = new Map<string, { n: number; c: number }>();
    for (const r of records) {
      if (r.mode !== mode || !r.acted) continue;
      const s = sums.get(r.agent) ?? { n: 0, c: 0 };
      s.n++;
      s.c += r.costUsd;
      sums.set(r.agent, s);
    }
    total += Math.max(0, ...[...sums.values()].map((s) => s.c / s.n));
  }
  return total;
}

/** The live evaluator of `learn --evaluate live`, or undefined for the default (replay). Checks input first. */
export async function liveEvaluation(
  f: LiveLearnFlags,
  s: { records: string; pool?: string | undefined; lambda: number },
  out: string,
): Promise<(CandidateEvaluator & { spentUsd: () => number }) | undefined> {
  const mode = f.evaluate ?? "replay";
  if (mode === "replay") {
    for (const [flag, v] of [
      ["--tasks", f.tasks],
      ["--corpus", f.corpus],
      ["--evaluate-max-usd", f.evaluateMaxUsd],
    ] as const)
      if (v !== undefined) throw new InputError(`${flag}: only with --evaluate live`);
    return undefined;
  }
  if (mode !== "live") throw new InputError(`--evaluate: unknown evaluator "${mode}" (use replay or live)`);
  if (!s.pool) throw new InputError("--evaluate live: needs --pool (the real pool to run the validation tasks with)");
  if (!f.tasks) throw new InputError("--evaluate live: needs --tasks (the tasks file with references)");
  const cap = f.evaluateMaxUsd === undefined ? undefined : Number(f.evaluateMaxUsd);
  if (cap !== undefined && !(Number.isFinite(cap) && cap > 0))
    throw new InputError(`--evaluate-max-usd: must be a USD amount > 0, got "${f.evaluateMaxUsd}"`);
  const pool = loadPool(s.pool);
  checkKeys(pool, s.pool);
  const tasks = loadTasks(f.tasks, { scored: true });
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const serving = (m: ToolMode) => pool.agents.some((a) => a.modes.includes(m));
  if (serving("search") && !f.corpus)
    throw new InputError("--corpus: the pool has search agents; give the corpus (JSONL of {id, title, text})");
  const search = f.corpus ? LocalSearch.fromDocuments((await readCorpus(f.corpus)).documents) : undefined;
  const defaultPlan = TOOL_MODES.filter((m) => serving(m) && (m !== "search" || search));
  const records = await loadRecords(s.records);
  const agents = await buildAgents(pool);
  const paths = artefactPaths(out);
  const splitPath = paths.split;
  let validation: ExploreTask[] | undefined;
  return liveEvaluator({
    agents,
    ...(search ? { search } : {}),
    defaultPlan,
    lambda: s.lambda,
    normaliserUsd: dearestCostPerTask(records),
    ...(cap !== undefined ? { capUsd: cap } : {}),
    // Each candidate's validation runs go to the learning log of the run under way (select has started it).
    onCandidate: (c) => {
      const run = readLog(paths.log).at(-1)?.run;
      if (run)
        new LearningLog(paths.log, run).write({
          event: "validation",
          candidate: c.id,
          runs: c.runs,
          costUsd: c.costUsd,
          costEstimated: c.costEstimated,
        });
    },
    tasks: () => {
      if (validation) return validation;
      const split = JSON.parse(readFileSync(splitPath, "utf8")) as { validationIds?: string[] };
      const ids = split.validationIds ?? [];
      const missing = ids.filter((id) => !byId.has(id));
      if (missing.length > 0)
        throw new InputError(
          `${f.tasks}: no task for validation quer${missing.length === 1 ? "y" : "ies"} ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} (the tasks file must hold the explored tasks)`,
        );
      validation = ids.map((id) => byId.get(id)!);
      return validation;
    },
  });
}
