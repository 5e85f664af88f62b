import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Mode } from "../core/modes.js";

/**
 * The learning log: one JSON object per line, append-only. Every phase logs its start and end (wall time, what it
 * read and made), every learning-model call its tokens and USD, every refinement whether it was kept or rolled
 * back. The learning cost of a run is summed from its log, so a resumed run counts what it really spent.
 */

/** One call of the learning model. */
export interface LlmCall {
  phase: string;
  mode?: Mode;
  purpose: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  costEstimated: boolean;
  latencyMs: number;
  ok: boolean;
  /** Contrastive queries sent in the prompt (discovery). */
  queries?: number;
  error?: string;
}

export type LogEntry =
  | { event: "phase_start"; phase: string }
  | {
      event: "phase_end";
      phase: string;
      wallMs: number;
      records?: number;
      queries?: number;
      summary?: Record<string, unknown>;
    }
  | ({ event: "llm_call" } & LlmCall)
  | {
      event: "refinement";
      op: "split" | "merge";
      skills: string[];
      kept: boolean;
      before: number;
      after: number;
      test: { g: number; df: number; p: number };
      note?: string;
    }
  | { event: "note"; phase: string; text: string }
  /** Runs of the target orchestrator on validation tasks that select made for one candidate (live evaluation). */
  | { event: "validation"; candidate: string; runs: number; costUsd: number; costEstimated: boolean };

export type StampedEntry = LogEntry & { at: string; run: string };

export class LearningLog {
  constructor(
    readonly path: string,
    readonly run: string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  write(entry: LogEntry): void {
    const line: StampedEntry = { ...entry, at: new Date().toISOString(), run: this.run };
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }

  /** Log a phase's start and end around `fn`, with its wall time; `fn` returns what to put in the end entry. */
  async phase<T>(
    phase: string,
    fn: () => Promise<{ result: T; records?: number; queries?: number; summary?: Record<string, unknown> }>,
  ): Promise<T> {
    this.write({ event: "phase_start", phase });
    const t0 = performance.now();
    const out = await fn();
    const end: LogEntry = { event: "phase_end", phase, wallMs: Math.round(performance.now() - t0) };
    if (out.records !== undefined) end.records = out.records;
    if (out.queries !== undefined) end.queries = out.queries;
    if (out.summary !== undefined) end.summary = out.summary;
    this.write(end);
    return out.result;
  }

  calls(calls: readonly LlmCall[]): void {
    for (const c of calls) this.write({ event: "llm_call", ...c });
  }
}

/** What learning cost: the figures method.md §7 asks for. */
export interface LearningCost {
  run: string;
  /** Labelled records used (training + validation). */
  records: number;
  queries: number;
  llmCalls: number;
  llmCallsByMode: Partial<Record<Mode, number>>;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  costEstimated: boolean;
  /** Wall time per phase (ms), summed over every time the phase ran. */
  wallMs: Record<string, number>;
  totalWallMs: number;
  /** Refinements of the last attempt of the refine phase (a resumed run reruns an interrupted one). */
  refinements: { kept: number; rolledBack: number };
  /** Validation runs of the target orchestrator (live evaluation), and their USD. */
  validationRuns: number;
  validationUsd: number;
}

export function readLog(path: string): StampedEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as StampedEntry];
      } catch {
        return []; // a torn last line of a killed run
      }
    });
}

export function learningCost(entries: readonly StampedEntry[], run: string): LearningCost {
  const cost: LearningCost = {
    run,
    records: 0,
    queries: 0,
    llmCalls: 0,
    llmCallsByMode: {},
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
    costEstimated: false,
    wallMs: {},
    totalWallMs: 0,
    refinements: { kept: 0, rolledBack: 0 },
    validationRuns: 0,
    validationUsd: 0,
  };
  for (const e of entries) {
    if (e.run !== run) continue;
    // A resumed run reruns the phase a kill interrupted, and the killed attempt may already have logged its
    // refinements (they are written before the phase's checkpoint): the last attempt's refinements are the ones
    // the handbook holds, so each start of refine counts them afresh. Calls and wall time were really spent in
    // every attempt and stay summed.
    if (e.event === "phase_start" && e.phase === "refine") cost.refinements = { kept: 0, rolledBack: 0 };
    if (e.event === "phase_end") {
      cost.wallMs[e.phase] = (cost.wallMs[e.phase] ?? 0) + e.wallMs;
      cost.totalWallMs += e.wallMs;
      if (e.phase === "split") {
        cost.records = e.records ?? cost.records;
        cost.queries = e.queries ?? cost.queries;
      }
    } else if (e.event === "llm_call") {
      cost.llmCalls++;
      if (e.mode) cost.llmCallsByMode[e.mode] = (cost.llmCallsByMode[e.mode] ?? 0) + 1;
      cost.promptTokens += e.promptTokens;
      cost.completionTokens += e.completionTokens;
      cost.costUsd += e.costUsd;
      cost.costEstimated ||= e.costEstimated;
    } else if (e.event === "validation") {
      cost.validationRuns += e.runs;
      cost.validationUsd += e.costUsd;
      cost.costEstimated ||= e.costEstimated;
    } else if (e.event === "refinement") {
      if (e.kept) cost.refinements.kept++;
      else cost.refinements.rolledBack++;
    }
  }
  return cost;
}

export function formatLearningCost(c: LearningCost): string {
  const phases = Object.entries(c.wallMs)
    .map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}s`)
    .join(", ");
  const byMode = Object.entries(c.llmCallsByMode)
    .map(([m, n]) => `${m} ${n}`)
    .join(", ");
  return [
    `learning cost (run ${c.run}):`,
    `  records used ${c.records} (${c.queries} labelled queries)`,
    `  learning-model calls ${c.llmCalls}${byMode ? ` (${byMode})` : ""}, tokens ${c.promptTokens} prompt + ${c.completionTokens} completion, ` +
      `$${c.costUsd.toFixed(4)}${c.costEstimated ? " (estimated)" : ""}`,
    `  refinements kept ${c.refinements.kept}, rolled back ${c.refinements.rolledBack}`,
    ...(c.validationRuns > 0
      ? [`  validation runs ${c.validationRuns} (target orchestrator, live), $${c.validationUsd.toFixed(4)}`]
      : []),
    `  wall time ${(c.totalWallMs / 1000).toFixed(2)}s${phases ? ` (${phases})` : ""}`,
  ].join("\n");
}
