import { LocalSearch } from "../../tools/search/index.js";
import { runProgram, toCodeResult, type RunOptions } from "../../tools/code/index.js";
import type { Mode } from "../core/modes.js";
import type { CodeResult, Document } from "../core/types.js";
import type { Agent, StepRequest, StepResult } from "../providers/types.js";
import type { ExecutionRecordInput } from "../records/schema.js";
import { isDocument, lastLine } from "../sim/act.js";
import type { SimTask } from "../sim/types.js";
import type { World } from "../sim/world.js";
import type { ExploreTask, Runner } from "./types.js";

export interface SimRunnerOptions {
  /** Documents a search returns (default 3); a search step succeeds when its gold document is among them. */
  k?: number;
  /** Extra sandbox options for code steps (e.g. a shorter timeout). */
  sandbox?: Omit<RunOptions, "language" | "source">;
}

/** The world's search index, built once per world. */
const indexes = new WeakMap<World, LocalSearch>();
export function worldIndex(world: World): LocalSearch {
  let idx = indexes.get(world);
  if (!idx) indexes.set(world, (idx = LocalSearch.fromDocuments(world.corpus)));
  return idx;
}

/**
 * Sandbox runs of the world's programs, by world, language and source. The simulated agents write programs from a
 * small fixed set, and a program without input prints the same each run, so each is run once per world (a run that hit a
 * limit is not kept: it is run again).
 */
const programRuns = new WeakMap<World, Map<string, ReturnType<typeof runProgram>>>();
function runWorldProgram(world: World, options: RunOptions): ReturnType<typeof runProgram> {
  let runs = programRuns.get(world);
  if (!runs) programRuns.set(world, (runs = new Map()));
  const key = JSON.stringify(options);
  const cached = runs.get(key);
  if (cached) return cached;
  const run = runProgram(options);
  runs.set(key, run);
  run.then(
    (r) => r.limit !== undefined && runs.delete(key),
    () => runs.delete(key),
  );
  return run;
}

/**
 * The evidence a reference agent would have gathered for the task's answer step: the search results of the good
 * queries (they hold the gold documents, with whatever else ranks near them), and the correct program's output.
 */
export function referenceEvidence(
  world: World,
  task: SimTask,
  k: number,
): { documents: Document[]; codeResults: CodeResult[] } {
  const documents: Document[] = [];
  for (const q of task.facts.goodQueries)
    for (const p of worldIndex(world).search(q, k))
      if (!documents.some((d) => d.id === p.id))
        documents.push({ id: p.id, title: p.title, text: p.text, score: p.score });
  const prog = task.facts.program;
  const codeResults: CodeResult[] = prog
    ? [{ language: "python", program: prog.source, stdout: `${prog.prints}\n`, stderr: "", exitCode: 0 }]
    : [];
  return { documents, codeResults };
}

interface Totals {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  costEstimated: boolean;
  latencyMs: number;
  simulated: boolean;
  provider: string;
}

function add(t: Totals | undefined, r: StepResult): Totals {
  return {
    promptTokens: (t?.promptTokens ?? 0) + r.usage.promptTokens,
    completionTokens: (t?.completionTokens ?? 0) + r.usage.completionTokens,
    costUsd: (t?.costUsd ?? 0) + r.costUsd,
    costEstimated: (t?.costEstimated ?? false) || r.costEstimated,
    latencyMs: (t?.latencyMs ?? 0) + r.latencyMs,
    simulated: (t?.simulated ?? true) && r.simulated,
    provider: r.provider,
  };
}

/**
 * Explore runner for the simulated world. One record per (task, agent, mode), for the mode's part of the task's plan
 * only, with the other modes held at a reference agent that does them right (the exploration convention of the
 * method: vary one mode's agent at a time):
 * - search: the agent writes the query of each search step of the plan (two for a two-hop question, the second
 *   seeing the first's results); the real local index over `world.corpus` runs it; score 1 when every step's gold
 *   document came back in the top k.
 * - code: the agent writes the program; the real sandbox runs it; score 1 when its last output line is the answer.
 * - answer: the agent answers with the reference evidence in its state (the search results of the good queries, or
 *   the correct program's output); score by `world.check` (exact match; numbers by value).
 * Pairs whose mode is not in the task's plan do not apply: an agent is credited only for work it actually did.
 */
export function simRunner(world: World, options: SimRunnerOptions = {}): Runner {
  const k = options.k ?? 3;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`simRunner: k must be a whole number >= 1, got ${k}`);
  const worldTask = (t: ExploreTask): SimTask | undefined => {
    try {
      return world.task(t.id);
    } catch {
      return undefined;
    }
  };
  return {
    name: "sim",
    applies(_agent, task, mode) {
      return worldTask(task)?.steps.some((s) => s.mode === mode) ?? false;
    },
    async run(agent: Agent, exploreTask: ExploreTask, mode: Mode, opts = {}): Promise<ExecutionRecordInput> {
      const task = world.task(exploreTask.id);
      const taskRef = { id: task.id, text: task.text, family: task.family };
      const signal = opts.signal ? { signal: opts.signal } : {};
      const steps = task.steps.map((s, i) => ({ ...s, i })).filter((s) => s.mode === mode);
      if (steps.length === 0) throw new RangeError(`simRunner: task ${task.id} (${task.family}) has no ${mode} step`);
      let totals: Totals | undefined;
      let response: string;
      let score: number;
      let metric: string;
      const meta: Record<string, unknown> = {
        split: task.split,
        family: task.family,
        skills: steps.map((s) => s.skill),
        convention: "other modes held at a reference agent",
        world: `sim seed ${world.seed}`,
      };

      if (mode === "search") {
        const documents: Document[] = [];
        const queries: string[] = [];
        for (const s of steps) {
          const req: StepRequest = {
            mode,
            task: taskRef,
            step: s.i,
            documents: [...documents],
            codeResults: [],
            attempts: [],
          };
          const r = await agent.act(req, signal);
          totals = add(totals, r);
          queries.push(r.output);
          for (const p of worldIndex(world).search(r.output, k))
            if (!documents.some((d) => d.id === p.id))
              documents.push({ id: p.id, title: p.title, text: p.text, score: p.score });
          if (!documents.some((d) => isDocument(d, s.goldDocId!))) break;
        }
        response = queries.join("\n");
        score = steps.every((s) => documents.some((d) => isDocument(d, s.goldDocId!))) ? 1 : 0;
        metric = `gold_document_in_top_${k}`;
        meta.retrieved = documents.map((d) => d.id);
      } else if (mode === "code") {
        const codeResults: CodeResult[] = [];
        for (const s of steps) {
          const req: StepRequest = {
            mode,
            task: taskRef,
            step: s.i,
            documents: [],
            codeResults: [...codeResults],
            attempts: [],
          };
          const r = await agent.act(req, signal);
          totals = add(totals, r);
          const language = r.language ?? "python";
          const run = await runWorldProgram(world, { ...options.sandbox, language, source: r.output });
          codeResults.push(toCodeResult(language, r.output, run));
        }
        const last = codeResults[codeResults.length - 1]!;
        response = last.program;
        score = last.exitCode === 0 ? world.check(task, lastLine(last.stdout)) : 0;
        metric = "program_output_em";
        meta.stdout = last.stdout.slice(0, 500);
        meta.exitCode = last.exitCode;
      } else {
        const evidence = referenceEvidence(world, task, k);
        const s = steps[steps.length - 1]!;
        const req: StepRequest = { mode, task: taskRef, step: s.i, ...evidence, attempts: [] };
        const r = await agent.act(req, signal);
        totals = add(totals, r);
        response = r.output;
        score = world.check(task, r.output);
        metric = "em";
      }
      const t = totals!;
      return {
        queryId: task.id,
        query: task.text,
        task: task.family,
        references: [task.answer],
        metric,
        agent: agent.spec.id,
        mode,
        response,
        score,
        success: score >= 0.5,
        promptTokens: t.promptTokens,
        completionTokens: t.completionTokens,
        costUsd: t.costUsd,
        costEstimated: t.costEstimated,
        latencyMs: t.latencyMs,
        provider: t.provider,
        simulated: t.simulated,
        acted: true,
        meta,
      };
    },
  };
}
