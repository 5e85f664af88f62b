/**
 * Live exploration and evaluation with a real pool: trajectories through the orchestrator graph, final answers
 * scored against the tasks' references. Every figure comes from the providers' reported usage (or says it is
 * estimated when a provider reported none).
 */
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { CodeRunner } from "../../graphs/orchestrator/resources.js";
import type { SearchBackend } from "../../tools/search/index.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { createHandbook } from "../../handbook/build.js";
import type { Handbook } from "../../handbook/schema.js";
import { InputError } from "../core/errors.js";
import type { Mode, ToolMode } from "../core/modes.js";
import { scoreAnswer } from "../explore/score.js";
import type { AnswerScorer, TrajectoryRunner } from "../explore/trajectories.js";
import type { ExploreTask } from "../explore/types.js";
import type { CandidateEvaluator } from "../learning/choose.js";
import type { Evaluation } from "../learning/evaluate.js";
import type { Agent } from "../providers/types.js";

export interface LiveRunOptions {
  /** Search over the user's corpus; absent, search mode cannot run. */
  search?: SearchBackend;
  /** Default: the sandbox. */
  runCode?: CodeRunner;
  /**
   * Steps before the one forced answer. Default: exploration, the task's tool modes + 1 (one answer, one more after
   * a rejected one, then the forced one); evaluation, the orchestrator's 8.
   */
  maxSteps?: number;
  /** Time limit of one trajectory in ms (default the orchestrator's). */
  deadlineMs?: number;
}

/** Scores a final answer with the task's metric (default `em`) against its references. */
export const answerScorer: AnswerScorer = (answer, task) => scoreAnswer(answer, task);

/**
 * Exploration's trajectory runner: the orchestrator graph with a handbook of no skills (the pool's agents are one
 * per mode, so selection has one choice), the task's tool modes in order (`task.modes`), then the answer.
 */
export function graphTrajectoryRunner(options: LiveRunOptions = {}): TrajectoryRunner {
  const empty = createHandbook({ now: "1970-01-01T00:00:00.000Z" });
  return async (task, agents, { signal }) => {
    const profiles: Handbook["agents"] = {};
    for (const [id, a] of agents)
      profiles[id] = {
        modes: [...a.spec.modes],
        competence: {},
        costs: {},
        strengths: [],
        weaknesses: [],
        routingSignals: [],
      };
    const graph = await createOrchestrator({
      handbook: { ...empty, agents: profiles },
      agents,
      ...(options.search ? { search: options.search } : {}),
      ...(options.runCode ? { runCode: options.runCode } : {}),
      // The task's modes are the plan, checked against the tools before exploring: no setup warning per trajectory.
      onWarning: () => {},
      defaults: {
        maxSteps: options.maxSteps ?? (task.modes?.length ?? 0) + 1,
        ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      },
    });
    const state = (await graph.invoke(
      {
        task: {
          id: task.id,
          text: task.text,
          ...(task.family ? { family: task.family } : {}),
          modes: task.modes ?? [],
        },
      },
      signal ? { signal } : {},
    )) as OrchestratorStateType;
    return { answer: state.finalAnswer, stopReason: state.stopReason ?? "none" };
  };
}

export interface LiveEvaluatorOptions extends LiveRunOptions {
  agents: Map<string, Agent>;
  /** The validation tasks, read when the first candidate is evaluated (the split is known by then). */
  tasks: () => ExploreTask[] | Promise<ExploreTask[]>;
  /** Tool modes of a task that names none. */
  defaultPlan: readonly ToolMode[];
  lambda: number;
  /**
   * Mean cost per task of always taking the dearest agent in each mode: the cost normaliser of the objective, one
   * for every candidate (e.g. from the exploration's records).
   */
  normaliserUsd: number;
  /** USD for all of the evaluation; a candidate that would go past it is not evaluated (an InputError says so). */
  capUsd?: number;
  /** Called after each candidate: its runs and their cost, for the learning log. */
  onCandidate?: (c: { id: string; runs: number; costUsd: number; costEstimated: boolean; spentUsd: number }) => void;
}

/**
 * Select's evaluator with the target orchestrator and the real pool: each candidate handbook runs every validation
 * task through the orchestrator graph; accuracy is the mean score of the final answers, cost their mean USD.
 */
export function liveEvaluator(o: LiveEvaluatorOptions): CandidateEvaluator & { spentUsd: () => number } {
  let spent = 0;
  const evaluate = async (handbook: Handbook, id: string): Promise<Evaluation> => {
    const tasks = await o.tasks();
    if (tasks.length === 0)
      throw new InputError(
        "learn --evaluate live: the split has no validation queries to run (too few labelled queries; give more tasks, or --validation)",
      );
    if (o.capUsd !== undefined && spent >= o.capUsd)
      throw new InputError(
        `learn --evaluate live: the evaluation cap $${o.capUsd} is spent ($${spent.toFixed(6)}) before candidate ${id}; raise --evaluate-max-usd`,
      );
    const graph = await createOrchestrator({
      handbook,
      agents: o.agents,
      ...(o.search ? { search: o.search } : {}),
      ...(o.runCode ? { runCode: o.runCode } : {}),
      defaults: {
        lambda: o.lambda,
        maxSteps: o.maxSteps ?? 8,
        ...(o.deadlineMs !== undefined ? { deadlineMs: o.deadlineMs } : {}),
      },
    });
    let correct = 0;
    let cost = 0;
    let estimated = false;
    const calls: Record<string, number> = {};
    for (const task of tasks) {
      const modes: Mode[] = task.modes ?? [...o.defaultPlan];
      const state = (await graph.invoke({
        task: { id: task.id, text: task.text, ...(task.family ? { family: task.family } : {}), modes },
      })) as OrchestratorStateType;
      correct += state.finalAnswer === null ? 0 : await answerScorer(state.finalAnswer, task);
      cost += state.costUsd;
      for (const s of state.steps) {
        calls[s.agent] = (calls[s.agent] ?? 0) + 1;
        estimated ||= s.costEstimated;
      }
      spent += state.costUsd;
    }
    o.onCandidate?.({ id, runs: tasks.length, costUsd: cost, costEstimated: estimated, spentUsd: spent });
    const accuracy = correct / tasks.length;
    const meanCostUsd = cost / tasks.length;
    const normaliser = Math.max(o.normaliserUsd, Number.MIN_VALUE);
    return {
      points: tasks.length,
      accuracy,
      meanCostUsd,
      maxMeanCostUsd: normaliser,
      costEstimated: estimated,
      objective: accuracy - o.lambda * (meanCostUsd / normaliser),
      missing: 0,
      calls,
    };
  };
  return Object.assign(evaluate, { spentUsd: () => spent });
}
