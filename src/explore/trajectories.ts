import pLimit from "p-limit";
import { InputError } from "../core/errors.js";
import { MODES, type Mode, type ToolMode } from "../core/modes.js";
import type { AgentSpec } from "../pool/schema.js";
import type { Agent, StepResult } from "../providers/types.js";
import { existsSync } from "node:fs";
import { loadRecords, RecordWriter } from "../records/io.js";
import { recordKey, type ExecutionRecord, type ExecutionRecordInput } from "../records/schema.js";
import { assignedAgents, assignmentKey, plannedTrajectories, type Assignment } from "./assignments.js";
import { estimateTrajectory, seenKey, type CallEstimate, type ExpectedDocuments } from "./estimate.js";
import { progressSink } from "./progress.js";
import { SpendLedger, spentIn } from "./spend.js";
import type { ExploreProgress, ExploreTask } from "./types.js";

/** What a trajectory through the orchestrator ended with. */
export interface TrajectoryEnd {
  answer: string | null;
  stopReason: string;
}

/**
 * Runs one task through the orchestrator with the given agents (one per mode, already metered): the CLI's runner
 * is the orchestrator graph (src/eval/live.ts).
 */
export type TrajectoryRunner = (
  task: ExploreTask,
  agents: Map<string, Agent>,
  options: { signal?: AbortSignal },
) => Promise<TrajectoryEnd>;

/** Scores a final answer against the task's references with the task's metric (0..1). */
export type AnswerScorer = (answer: string, task: ExploreTask) => number | Promise<number>;

/** One call of a trajectory, as the provider reported it. */
export interface TrajectoryCall {
  mode: Mode;
  agent: string;
  output: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  costEstimated: boolean;
  latencyMs: number;
  simulated: boolean;
  provider: string;
}

/** A finished trajectory, as kept in its records' `meta.trajectory` (so a resumed run reuses it). */
export interface TrajectoryOutcome {
  id: string;
  assignment: Assignment;
  reference: boolean;
  answer: string | null;
  score: number;
  stopReason: string;
  costUsd: number;
  calls: TrajectoryCall[];
}

export interface ExploreTrajectoriesOptions {
  agents: readonly Agent[];
  tasks: readonly ExploreTask[];
  /** The agent each mode is held at while another mode's agent varies. */
  reference: Assignment;
  /** Modes whose agents are varied (default all). */
  modes?: readonly Mode[];
  /** Tool modes a task runs before answering when it names none (`task.modes`). */
  defaultPlan: readonly ToolMode[];
  run: TrajectoryRunner;
  score: AnswerScorer;
  out: string;
  /** Trajectories run at once (default 2); each agent's own limit (`concurrency` in the pool) applies as well. */
  concurrency?: number;
  /** USD for the whole exploration, across resumed runs: no trajectory starts that its estimate would take past it. */
  capUsd?: number;
  /** The passages a task's search is expected to show, for the estimates. */
  documents?: ExpectedDocuments;
  progress?: boolean | "auto" | ((p: ExploreProgress) => void);
  signal?: AbortSignal;
}

export interface ExplorationPlan {
  /** Trajectories still to run, and the calls and USD they are estimated to take. */
  trajectories: number;
  calls: number;
  costUsd: number;
  /** Pairs to write (some come from a trajectory already run: the reference one of a resumed task). */
  pairs: number;
  /** Pairs already in the records file. */
  resumed: number;
  /** USD already spent by earlier runs (the spend ledger). */
  spentUsd: number;
  /** The cheapest single call estimated. */
  cheapestCallUsd: number;
  /** Where reply lengths came from: the assumed REPLY_TOKENS, or calls seen in earlier runs. */
  replies: "assumed" | "seen";
}

export interface ExploreTrajectoriesSummary extends ExplorationPlan {
  written: number;
  failures: { queryId: string; assignment: string; error: string }[];
  /** Calls and USD of this run. */
  callsMade: number;
  costUsdRun: number;
  costEstimated: boolean;
  simulated: boolean;
  interrupted: boolean;
  /** True when the cap held trajectories back; `left` says how many, and their estimate. */
  capped: boolean;
  left: { trajectories: number; pairs: number; costUsd: number };
}

interface Job {
  task: ExploreTask;
  plan: Mode[];
  assignment: Assignment;
  reference: boolean;
  pairs: { agent: string; mode: Mode; key: string }[];
  /** A reference trajectory already run (a resumed task whose other reference records are written). */
  done?: TrajectoryOutcome;
  estimate: CallEstimate[];
}

const trajectoryId = (task: ExploreTask, a: Assignment) => `${task.id}|${assignmentKey(a)}`;

function recordsOf(job: Job, t: TrajectoryOutcome, scoreMetric: string): ExecutionRecordInput[] {
  const { task } = job;
  return job.pairs.map(({ agent, mode }) => {
    const own = t.calls.filter((c) => c.agent === agent && c.mode === mode);
    const acted = own.length > 0;
    const sum = (f: (c: TrajectoryCall) => number) => own.reduce((a, c) => a + f(c), 0);
    const score = acted ? t.score : 0;
    return {
      queryId: task.id,
      query: task.text,
      task: task.family ?? "unknown",
      references: task.references ?? [],
      metric: scoreMetric,
      agent,
      mode,
      response: own.at(-1)?.output ?? "",
      score,
      success: score >= 0.5,
      promptTokens: sum((c) => c.promptTokens),
      completionTokens: sum((c) => c.completionTokens),
      costUsd: sum((c) => c.costUsd),
      costEstimated: own.some((c) => c.costEstimated),
      latencyMs: sum((c) => c.latencyMs),
      provider: own[0]?.provider ?? "openai",
      simulated: own.length > 0 && own.every((c) => c.simulated),
      acted,
      meta: {
        convention: "whole trajectory through the orchestrator graph; the other modes at their reference agents",
        trajectory: t,
      },
    };
  });
}

function outcomeOfRecord(r: ExecutionRecord): TrajectoryOutcome | undefined {
  const t = r.meta?.trajectory as TrajectoryOutcome | undefined;
  return t && typeof t.id === "string" && Array.isArray(t.calls) ? t : undefined;
}

/** The outcome of a trajectory whose varied agent's mode is not in the task's plan: nothing ran, no credit. */
function idleOutcome(task: ExploreTask, assignment: Assignment): TrajectoryOutcome {
  return {
    id: trajectoryId(task, assignment),
    assignment,
    reference: false,
    answer: null,
    score: 0,
    stopReason: "not_run: the varied mode is not in the task's plan",
    costUsd: 0,
    calls: [],
  };
}

/** The tool modes of a task's trajectory, in order, then the answer. */
export function planOf(task: ExploreTask, defaultPlan: readonly ToolMode[]): Mode[] {
  return [...(task.modes ?? defaultPlan), "answer"];
}

function planJobs(o: ExploreTrajectoriesOptions, has: (key: string) => boolean, existing: readonly ExecutionRecord[]) {
  const explored = MODES.filter((m) => (o.modes ?? MODES).includes(m));
  const specs = new Map<string, AgentSpec>(o.agents.map((a) => [a.spec.id, a.spec]));
  // Reply lengths seen in earlier runs replace the assumed ones.
  const seenSums = new Map<string, { n: number; t: number }>();
  const reused = new Map<string, TrajectoryOutcome>();
  for (const r of existing) {
    const t = outcomeOfRecord(r);
    if (!t) continue;
    reused.set(t.id, t);
    for (const c of t.calls) {
      const k = seenKey(c.agent, c.mode);
      const s = seenSums.get(k) ?? { n: 0, t: 0 };
      s.n++;
      s.t += c.completionTokens;
      seenSums.set(k, s);
    }
  }
  const seen = new Map([...seenSums].map(([k, s]) => [k, s.t / s.n]));
  const jobs: Job[] = [];
  let pairs = 0;
  let resumed = 0;
  for (const task of o.tasks) {
    const plan = planOf(task, o.defaultPlan);
    for (const p of plannedTrajectories(o.agents, o.reference, explored)) {
      const keyed = p.pairs.map((x) => ({
        ...x,
        key: recordKey({ queryId: task.id, agent: x.agent, mode: x.mode, step: undefined }),
      }));
      pairs += keyed.length;
      const todo = keyed.filter((x) => !has(x.key));
      resumed += keyed.length - todo.length;
      if (todo.length === 0) continue;
      // A varied mode the task's plan never runs: its agent cannot act, so the trajectory is not run.
      const varied = p.reference ? undefined : p.pairs[0]!.mode;
      const idle = varied !== undefined && !plan.includes(varied);
      const done = idle
        ? idleOutcome(task, p.assignment)
        : todo.length < keyed.length
          ? reused.get(trajectoryId(task, p.assignment))
          : undefined;
      jobs.push({
        task,
        plan,
        assignment: p.assignment,
        reference: p.reference,
        pairs: todo,
        ...(done ? { done } : {}),
        estimate: done ? [] : estimateTrajectory(task, plan, p.assignment, specs, o.documents, seen),
      });
    }
  }
  return { jobs, pairs, resumed, replies: seen.size > 0 ? ("seen" as const) : ("assumed" as const) };
}

const total = (e: readonly CallEstimate[]) => e.reduce((a, c) => a + c.costUsd, 0);

/** The figures of a plan: what is still to run, its estimate, and what earlier runs spent. */
function planFigures(p: ReturnType<typeof planJobs>, spentUsd: number): ExplorationPlan {
  const calls = p.jobs.flatMap((j) => j.estimate);
  return {
    trajectories: p.jobs.filter((j) => !j.done).length,
    calls: calls.length,
    costUsd: total(calls),
    pairs: p.pairs - p.resumed,
    resumed: p.resumed,
    spentUsd,
    cheapestCallUsd: calls.length ? Math.min(...calls.map((c) => c.costUsd)) : 0,
    replies: p.replies,
  };
}

/** What an exploration would still do, and its estimated calls and cost, without calling any model or writing. */
export async function planExploration(o: ExploreTrajectoriesOptions): Promise<ExplorationPlan> {
  const existing = existsSync(o.out) ? await loadRecords(o.out) : [];
  const keys = new Set(existing.map((r) => recordKey(r)));
  return planFigures(
    planJobs(o, (k) => keys.has(k), existing),
    await spentIn(`${o.out}.spend.jsonl`),
  );
}

/**
 * Explore by whole trajectories (method §3 step 1): per task, the reference trajectory once (its records serve each
 * mode's reference agent), then per explored mode one trajectory per other agent serving it, the other modes held
 * at the reference. Each trajectory's final answer is scored against the task's references with its metric; each
 * record carries the varied agent's own calls (tokens, USD, latency as reported) and whether it acted: an agent
 * whose mode never ran gets no credit and no cost.
 *
 * Resumable: a pair already in the records file is never run again; a reference trajectory is kept in its records,
 * so a task resumed halfway reuses it. Every call's cost goes to a spend ledger beside the records as it returns,
 * so the cap holds across runs and nothing is counted twice. Records are written in job order.
 */
export async function exploreTrajectories(o: ExploreTrajectoriesOptions): Promise<ExploreTrajectoriesSummary> {
  const concurrency = o.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`explore: concurrency must be a whole number >= 1, got ${concurrency}`);
  const byId = new Map(o.agents.map((a) => [a.spec.id, a]));
  const writer = await RecordWriter.open(o.out, { keepExisting: true });
  const ledger = await SpendLedger.open(`${o.out}.spend.jsonl`);
  const existing = writer.existing;
  const planned = planJobs(o, (k) => writer.has(k), existing);
  const { jobs, resumed } = planned;
  const plan = planFigures(planned, ledger.costUsd);
  const spentBefore = plan.spentUsd;
  const cheapest = plan.cheapestCallUsd;
  if (o.capUsd !== undefined && plan.calls > 0 && o.capUsd - spentBefore < cheapest) {
    await writer.close();
    throw new InputError(
      spentBefore > 0
        ? `--max-usd: the cap $${o.capUsd} is spent ($${spentBefore.toFixed(6)} so far); raise it to go on`
        : `--max-usd: $${o.capUsd} is below the estimated cost of one call ($${cheapest.toFixed(6)})`,
    );
  }
  const summary: ExploreTrajectoriesSummary = {
    ...plan,
    written: 0,
    failures: [],
    callsMade: 0,
    costUsdRun: 0,
    costEstimated: false,
    simulated: false,
    interrupted: false,
    capped: false,
    left: { trajectories: 0, pairs: 0, costUsd: 0 },
  };
  const sink = progressSink(o.progress ?? "auto");
  const started = Date.now();
  let finished = 0;
  const progress = (): ExploreProgress => ({
    done: finished,
    total: jobs.length,
    resumed,
    failed: summary.failures.length,
    costUsd: summary.costUsdRun,
    costEstimated: summary.costEstimated,
    simulated: summary.simulated,
    elapsedMs: Date.now() - started,
    calls: summary.callsMade,
    ...(o.capUsd !== undefined ? { capUsd: o.capUsd, spentUsd: ledger.costUsd } : {}),
  });
  const { score } = o;
  const metricOf = (t: ExploreTask) => t.metric ?? "em";

  const runJob = async (job: Job): Promise<TrajectoryOutcome> => {
    if (job.done) return job.done;
    const id = trajectoryId(job.task, job.assignment);
    const made: TrajectoryCall[] = [];
    const metered = new Map<string, Agent>();
    for (const [aid, agent] of assignedAgents(byId, job.assignment))
      metered.set(aid, {
        spec: agent.spec,
        act: async (req, opts) => {
          const r: StepResult = await agent.act(req, opts);
          const call: TrajectoryCall = {
            mode: req.mode,
            agent: aid,
            output: r.output,
            promptTokens: r.usage.promptTokens,
            completionTokens: r.usage.completionTokens,
            costUsd: r.costUsd,
            costEstimated: r.costEstimated,
            latencyMs: r.latencyMs,
            simulated: r.simulated,
            provider: r.provider,
          };
          made.push(call);
          summary.callsMade++;
          summary.costUsdRun += r.costUsd;
          summary.costEstimated ||= r.costEstimated;
          summary.simulated ||= r.simulated;
          await ledger.add({
            trajectory: id,
            agent: aid,
            mode: req.mode,
            promptTokens: call.promptTokens,
            completionTokens: call.completionTokens,
            costUsd: call.costUsd,
            costEstimated: call.costEstimated,
          });
          sink.update(progress());
          return r;
        },
      });
    const end = await o.run({ ...job.task, modes: job.plan.filter((m) => m !== "answer") as ToolMode[] }, metered, {
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const s = end.answer === null ? 0 : await score(end.answer, job.task);
    return {
      id,
      assignment: job.assignment,
      reference: job.reference,
      answer: end.answer,
      score: s,
      stopReason: end.stopReason,
      costUsd: made.reduce((a, c) => a + c.costUsd, 0),
      calls: made,
    };
  };

  // Finished jobs wait here until every job before them is written.
  const outcomes = new Map<number, TrajectoryOutcome | { error: string } | "skipped">();
  let next = 0;
  let flushing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    for (let o2 = outcomes.get(next); o2 !== undefined; o2 = outcomes.get(next)) {
      const job = jobs[next]!;
      outcomes.delete(next);
      next++;
      if (o2 === "skipped") continue;
      if ("error" in o2)
        summary.failures.push({ queryId: job.task.id, assignment: assignmentKey(job.assignment), error: o2.error });
      else
        for (const rec of recordsOf(job, o2, metricOf(job.task))) {
          await writer.append(rec);
          summary.written++;
        }
      finished++;
      sink.update(progress());
    }
  };

  let reserved = 0;
  const limit = pLimit(concurrency);
  try {
    await Promise.all(
      jobs.map((job, i) =>
        limit(async () => {
          const est = total(job.estimate);
          const skip = () => {
            summary.left.trajectories += job.done ? 0 : 1;
            summary.left.pairs += job.pairs.length;
            summary.left.costUsd += est;
            outcomes.set(i, "skipped");
          };
          if (o.signal?.aborted) {
            summary.interrupted = true;
            skip();
          } else if (o.capUsd !== undefined && !job.done && ledger.costUsd + reserved + est > o.capUsd) {
            summary.capped = true;
            skip();
          } else {
            reserved += est;
            try {
              outcomes.set(i, await runJob(job));
            } catch (err) {
              if (o.signal?.aborted) {
                summary.interrupted = true;
                skip();
              } else outcomes.set(i, { error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
            } finally {
              reserved -= est;
            }
          }
          flushing = flushing.then(flush);
          await flushing;
        }),
      ),
    );
  } finally {
    sink.end(progress());
    await ledger.flush();
    await writer.close();
  }
  summary.spentUsd = ledger.costUsd;
  return summary;
}
