import type { Handbook } from "../../handbook/schema.js";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import { sandboxRunner, type CodeRunner } from "../../graphs/orchestrator/resources.js";
import type { CandidateEvaluator } from "../learning/choose.js";
import { assignedAgents, type Assignment } from "../explore/assignments.js";
import type { Evaluation } from "../learning/evaluate.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { worldIndex } from "../explore/index.js";
import { MODES, type Mode } from "../core/modes.js";
import type { Agent } from "../providers/types.js";
import type { ExecutionRecord } from "../records/schema.js";
import type { SimTask, World } from "../sim/index.js";
import { normalisedEntropy } from "./metrics.js";

/**
 * Orchestration benchmarks on the SIMULATED world: held-out tasks run through the real orchestrator graph, scored
 * by the world, with regret against the world's ground truth and collapse per step index. Every figure here is
 * simulated.
 */

export interface SimStepTaken {
  index: number;
  mode: Mode;
  agent: string;
  costUsd: number;
  failed: boolean;
  /** The latent skill the step stands for (see latentSkills); undefined when the plan has no step of that mode. */
  skill?: string;
}

export interface SimTrajectory {
  taskId: string;
  family: string;
  score: number;
  costUsd: number;
  stopReason: string;
  steps: SimStepTaken[];
  /** The answer's consultation (handbook consult rule): agents consulted after the first, and the state accepted in. */
  consult?: { consults: number; accepted: string; reason: string };
}

/**
 * The latent skill of each step: the n-th step taken in a mode stands for the n-th step of that mode in the task's
 * plan (the last one when the run takes more steps of the mode than the plan has); none when the plan has no step
 * of that mode (an off-plan step).
 */
export function latentSkills(task: SimTask, modes: readonly Mode[]): (string | undefined)[] {
  const seen: Partial<Record<Mode, number>> = {};
  return modes.map((mode) => {
    const nth = seen[mode] ?? 0;
    seen[mode] = nth + 1;
    const plan = task.steps.filter((s) => s.mode === mode);
    return plan.length === 0 ? undefined : plan[Math.min(nth, plan.length - 1)]!.skill;
  });
}

export interface OrchestrateOptions {
  world: World;
  tasks: readonly SimTask[];
  handbook: Handbook;
  agents: Map<string, Agent>;
  lambda: number;
  maxSteps?: number;
  /** Code runner; default the sandbox. */
  runCode?: CodeRunner;
}

/** Run each task through the orchestrator graph (real search index over the world's corpus, real sandbox). */
export async function orchestrateTasks(opts: OrchestrateOptions): Promise<SimTrajectory[]> {
  const graph = await createOrchestrator({
    handbook: opts.handbook,
    agents: opts.agents,
    search: worldIndex(opts.world),
    defaults: { lambda: opts.lambda, maxSteps: opts.maxSteps ?? 8 },
    ...(opts.runCode ? { runCode: opts.runCode } : {}),
  });
  const out: SimTrajectory[] = [];
  for (const task of opts.tasks) {
    const state = (await graph.invoke({
      task: { id: task.id, text: task.text, family: task.family },
    })) as OrchestratorStateType;
    const skills = latentSkills(
      task,
      state.steps.map((s) => s.mode),
    );
    out.push({
      taskId: task.id,
      family: task.family,
      score: state.finalAnswer !== null ? opts.world.check(task, state.finalAnswer) : 0,
      costUsd: state.costUsd,
      stopReason: state.stopReason ?? "none",
      ...consultOf(state),
      steps: state.steps.map((s, i) => ({
        index: i,
        mode: s.mode,
        agent: s.agent,
        costUsd: s.costUsd,
        failed: s.error !== undefined,
        ...(skills[i] !== undefined ? { skill: skills[i] } : {}),
      })),
    });
  }
  return out;
}

/** The consultation of a run's answer, from its decisions (absent: the answer was not judged by a consult rule). */
function consultOf(state: OrchestratorStateType): Pick<SimTrajectory, "consult"> {
  const judged = state.decisions.filter((d) => d.consult);
  const accept = judged.find((d) => d.consult!.action === "accept");
  if (!accept) return {};
  return {
    consult: {
      consults: judged.filter((d) => d.consult!.action === "consult").length,
      accepted: accept.consult!.state,
      reason: accept.consult!.reason,
    },
  };
}

export interface StepCollapse {
  index: number;
  /** Trajectories that took a step at this index. */
  calls: number;
  modes: Partial<Record<Mode, number>>;
  topAgent: string | null;
  topShare: number;
  /** H(agent shares at this index) / ln(pool size). */
  entropy: number;
}

export interface SimRouterMetrics {
  router: string;
  lambda: number;
  tasks: number;
  accuracy: number;
  meanCostUsd: number;
  meanSteps: number;
  callsByMode: Partial<Record<Mode, number>>;
  callsByAgent: Record<string, number>;
  /** Mean per-step regret at λ: utility of the world's best agent for the step's latent skill − the chosen one's. */
  meanRegret: number;
  /** Steps with a latent skill (regret is their mean); off-plan steps have none. */
  regretSteps: number;
  offPlanSteps: number;
  failedSteps: number;
  topAgent: string | null;
  topShare: number;
  entropy: number;
  byStep: StepCollapse[];
  stopReasons: Record<string, number>;
  /** Runs whose answer was judged by the consult rule, by how many agents were consulted after the first, and by the state the answer was accepted in. */
  consults: {
    judged: number;
    byConsults: Record<string, number>;
    acceptedIn: Record<string, number>;
    example?: string;
  };
}

/** Per-step regrets at λ of the steps with a latent skill. */
export function regretsOf(world: World, t: SimTrajectory, lambda: number): number[] {
  const out: number[] = [];
  for (const s of t.steps) {
    if (s.skill === undefined) continue;
    const standings = world.groundTruth.standings(s.skill, lambda);
    const chosen = standings.find((a) => a.agent === s.agent);
    if (!chosen) throw new RangeError(`sim: agent ${s.agent} does not serve the mode of skill ${s.skill}`);
    out.push(standings[0]!.utility - chosen.utility);
  }
  return out;
}

function top(calls: Record<string, number>): { agent: string | null; share: number } {
  let agent: string | null = null;
  let total = 0;
  for (const a of Object.keys(calls).sort()) {
    total += calls[a]!;
    if (agent === null || calls[a]! > calls[agent]!) agent = a;
  }
  return { agent, share: agent === null || total === 0 ? 0 : calls[agent]! / total };
}

/** The figures of one router's trajectories; regret at `lambda`; entropies normalised by the pool's size. */
export function simMetrics(
  router: string,
  world: World,
  trajectories: readonly SimTrajectory[],
  lambda: number,
  pool: readonly string[],
): SimRouterMetrics {
  const callsByMode: Partial<Record<Mode, number>> = {};
  const callsByAgent: Record<string, number> = Object.fromEntries(pool.map((a) => [a, 0]));
  const stopReasons: Record<string, number> = {};
  const perIndex: { calls: Record<string, number>; modes: Partial<Record<Mode, number>> }[] = [];
  let score = 0;
  let cost = 0;
  let steps = 0;
  let failed = 0;
  let offPlan = 0;
  const regrets: number[] = [];
  const consults: SimRouterMetrics["consults"] = { judged: 0, byConsults: {}, acceptedIn: {} };
  for (const t of trajectories) {
    if (t.consult) {
      consults.judged++;
      consults.byConsults[t.consult.consults] = (consults.byConsults[t.consult.consults] ?? 0) + 1;
      consults.acceptedIn[t.consult.accepted] = (consults.acceptedIn[t.consult.accepted] ?? 0) + 1;
      // The first run that consulted, as an example of why an answer was accepted.
      if (consults.example === undefined && t.consult.consults > 0)
        consults.example = `${t.taskId}: ${t.consult.reason}`;
    }
    score += t.score;
    cost += t.costUsd;
    steps += t.steps.length;
    stopReasons[t.stopReason] = (stopReasons[t.stopReason] ?? 0) + 1;
    regrets.push(...regretsOf(world, t, lambda));
    for (const s of t.steps) {
      callsByMode[s.mode] = (callsByMode[s.mode] ?? 0) + 1;
      callsByAgent[s.agent] = (callsByAgent[s.agent] ?? 0) + 1;
      if (s.failed) failed++;
      if (s.skill === undefined) offPlan++;
      const at = (perIndex[s.index] ??= { calls: {}, modes: {} });
      at.calls[s.agent] = (at.calls[s.agent] ?? 0) + 1;
      at.modes[s.mode] = (at.modes[s.mode] ?? 0) + 1;
    }
  }
  const n = trajectories.length;
  const all = top(callsByAgent);
  const ordered = (m: Partial<Record<Mode, number>>) =>
    Object.fromEntries(MODES.filter((x) => m[x] !== undefined).map((x) => [x, m[x]!]));
  return {
    router,
    lambda,
    tasks: n,
    accuracy: n ? score / n : 0,
    meanCostUsd: n ? cost / n : 0,
    meanSteps: n ? steps / n : 0,
    callsByMode: ordered(callsByMode),
    callsByAgent,
    meanRegret: regrets.length ? regrets.reduce((a, b) => a + b, 0) / regrets.length : 0,
    regretSteps: regrets.length,
    offPlanSteps: offPlan,
    failedSteps: failed,
    topAgent: all.agent,
    topShare: all.share,
    entropy: normalisedEntropy(Object.values(callsByAgent), pool.length),
    byStep: perIndex.map((at, index) => {
      const t = top(at.calls);
      return {
        index,
        calls: Object.values(at.calls).reduce((a, b) => a + b, 0),
        modes: ordered(at.modes),
        topAgent: t.agent,
        topShare: t.share,
        entropy: normalisedEntropy(Object.values(at.calls), pool.length),
      };
    }),
    stopReasons,
    consults,
  };
}

/** One agent per mode (the pick for each mode), each serving only the modes it was picked for. */
export function pinnedAgents(
  agents: Map<string, Agent>,
  pick: (mode: Mode, serving: Agent[]) => Agent,
): Map<string, Agent> {
  const assignment: Assignment = {};
  for (const mode of MODES) {
    const serving = [...agents.values()].filter((a) => a.spec.modes.includes(mode));
    if (serving.length > 0) assignment[mode] = pick(mode, serving).spec.id;
  }
  return assignedAgents(agents, assignment);
}

/** Always-strongest: per mode, the agent of highest mean recorded score in that mode (ties: first served). */
export function strongestByRecords(records: readonly ExecutionRecord[]): (mode: Mode, serving: Agent[]) => Agent {
  const sums = new Map<string, { n: number; s: number }>();
  for (const r of records) {
    if (!r.acted) continue;
    const k = `${r.mode}\u0000${r.agent}`;
    const x = sums.get(k) ?? { n: 0, s: 0 };
    x.n++;
    x.s += r.score;
    sums.set(k, x);
  }
  const mean = (mode: Mode, agent: string) => {
    const x = sums.get(`${mode}\u0000${agent}`);
    return x ? x.s / x.n : 0;
  };
  return (mode, serving) => serving.reduce((best, a) => (mean(mode, a.spec.id) > mean(mode, best.spec.id) ? a : best));
}

/** Always-cheapest: per mode, the agent of lowest output price (ties: lower input price, then first served). */
export function cheapestByPrice(_mode: Mode, serving: Agent[]): Agent {
  return serving.reduce((best, a) =>
    a.spec.price.outputPer1M < best.spec.price.outputPer1M ||
    (a.spec.price.outputPer1M === best.spec.price.outputPer1M && a.spec.price.inputPer1M < best.spec.price.inputPer1M)
      ? a
      : best,
  );
}

/** Always-dearest: per mode, the agent of highest output price (the cost normaliser of orchestrated evaluation). */
export function dearestByPrice(_mode: Mode, serving: Agent[]): Agent {
  return serving.reduce((best, a) => (a.spec.price.outputPer1M > best.spec.price.outputPer1M ? a : best));
}

/**
 * The sandbox, remembering each (language, program)'s result: for evaluating many candidate handbooks on the same
 * simulated tasks, whose agents write the same deterministic programs again and again. Not for live runs.
 */
export function memoisedSandbox(): CodeRunner {
  const seen = new Map<string, ReturnType<CodeRunner>>();
  return (language, source, signal) => {
    const key = `${language}\u0000${source}`;
    let r = seen.get(key);
    if (!r) {
      r = sandboxRunner(language, source, signal);
      seen.set(key, r);
      r.catch(() => seen.delete(key));
    }
    return r;
  };
}

/**
 * Select's candidate evaluator for the simulated world: whole trajectories of the validation tasks through the
 * orchestrator graph with the candidate handbook. Cost is normalised by the mean cost per task of always taking
 * the most expensive agent in each mode, measured once. Every figure is simulated.
 */
export function orchestratorEvaluator(opts: Omit<OrchestrateOptions, "handbook">): CandidateEvaluator {
  const runCode = opts.runCode ?? memoisedSandbox();
  let normaliser: number | undefined;
  const mean = (ts: readonly SimTrajectory[], f: (t: SimTrajectory) => number) =>
    ts.length ? ts.reduce((a, t) => a + f(t), 0) / ts.length : 0;
  return async (handbook): Promise<Evaluation> => {
    if (normaliser === undefined) {
      const dear = await orchestrateTasks({
        ...opts,
        runCode,
        handbook,
        agents: pinnedAgents(opts.agents, dearestByPrice),
      });
      normaliser = Math.max(
        mean(dear, (t) => t.costUsd),
        Number.MIN_VALUE,
      );
    }
    const ts = await orchestrateTasks({ ...opts, runCode, handbook });
    const accuracy = mean(ts, (t) => t.score);
    const meanCostUsd = mean(ts, (t) => t.costUsd);
    const calls: Record<string, number> = {};
    for (const t of ts) for (const s of t.steps) calls[s.agent] = (calls[s.agent] ?? 0) + 1;
    return {
      points: ts.length,
      accuracy,
      meanCostUsd,
      maxMeanCostUsd: normaliser,
      costEstimated: false,
      objective: accuracy - opts.lambda * (meanCostUsd / normaliser),
      missing: 0,
      calls,
    };
  };
}
