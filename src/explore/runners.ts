import { isMetric } from "../../tools/answer/metrics.js";
import { InputError } from "../core/errors.js";
import { scoreAnswer } from "./score.js";
import type { Mode } from "../core/modes.js";
import type { ReplayAgent } from "../providers/replay.js";
import type { SimAgent } from "../sim/provider.js";
import type { Agent } from "../providers/types.js";
import type { ExecutionRecordInput } from "../records/schema.js";
import type { World } from "../sim/world.js";
import { simRunner } from "./sim-runner.js";
import type { ExploreTask, Runner } from "./types.js";

function isReplayAgent(agent: Agent): agent is ReplayAgent {
  return agent.spec.provider === "replay" && typeof (agent as Partial<ReplayAgent>).lookup === "function";
}

/**
 * Explore runner for replay agents: copies the recorded outcome of (task, agent, mode) (response, score, tokens,
 * cost as recorded, estimated or not) under the pool's agent id. A pair with no record is an error naming both.
 */
export function replayRunner(): Runner {
  return {
    name: "replay",
    applies: (agent) => isReplayAgent(agent),
    async run(agent, task, mode) {
      if (!isReplayAgent(agent)) throw new InputError(`replayRunner: agent ${agent.spec.id} is not a replay agent`);
      const r = agent.lookup(task.id, mode);
      return {
        ...r,
        query: task.text || r.query,
        agent: agent.spec.id,
        provider: "replay",
        step: undefined,
        meta: { ...r.meta, replayOf: agent.source, recordedAs: agent.recordedAs, recordedProvider: r.provider },
      };
    },
  };
}

export interface AnswerRunnerOptions {
  /** Metric when a task names none (default "em"). */
  metric?: string;
}

/**
 * Explore runner for agents answering directly (e.g. openai agents in answer mode): one answer step with an empty
 * state, scored by tools/answer against the task's references with the task's metric (default `em`).
 */
export function answerRunner(options: AnswerRunnerOptions = {}): Runner {
  return {
    name: "answer",
    applies: (_agent, _task, mode) => mode === "answer",
    async run(agent, task, mode, opts = {}): Promise<ExecutionRecordInput> {
      if (!task.references || task.references.length === 0)
        throw new InputError(`answerRunner: task ${task.id} has no references to score an answer against`);
      const metric = task.metric ?? options.metric ?? "em";
      if (!isMetric(metric) || metric === "code_tests")
        throw new InputError(
          `answerRunner: task ${task.id}: metric ${metric} cannot score a direct answer (use em, f1, containment, mc or math)`,
        );
      const r = await agent.act(
        {
          mode,
          task: { id: task.id, text: task.text, ...(task.family ? { family: task.family } : {}) },
          step: 0,
          documents: [],
          codeResults: [],
          attempts: [],
        },
        opts.signal ? { signal: opts.signal } : {},
      );
      const score = await scoreAnswer(r.output, task, metric);
      return {
        queryId: task.id,
        query: task.text,
        task: task.family ?? "unknown",
        references: task.references,
        metric,
        agent: agent.spec.id,
        mode,
        response: r.output,
        score,
        success: score >= 0.5,
        promptTokens: r.usage.promptTokens,
        completionTokens: r.usage.completionTokens,
        costUsd: r.costUsd,
        costEstimated: r.costEstimated,
        latencyMs: r.latencyMs,
        provider: r.provider,
        simulated: r.simulated,
        acted: true,
      };
    },
  };
}

/**
 * The runner chosen per pair: replay agents replay; a task of the simulated world (a sim agent's own, else `world`)
 * runs through simRunner whatever the agent; otherwise a non-sim agent's answer-mode pair runs through answerRunner.
 * Anything else does not apply (and is counted as such).
 */
export function defaultRunner(options: { world?: World } = {}): Runner {
  const replay = replayRunner();
  const answer = answerRunner();
  const sims = new Map<World, Runner>();
  const simFor = (world: World): Runner => {
    let r = sims.get(world);
    if (!r) sims.set(world, (r = simRunner(world)));
    return r;
  };
  const choose = (agent: Agent, task: ExploreTask, mode: Mode): Runner | undefined => {
    if (replay.applies(agent, task, mode)) return replay;
    const world = (agent as Partial<SimAgent>).world ?? options.world;
    if (world && isWorldTask(world, task)) {
      const sim = simFor(world);
      return sim.applies(agent, task, mode) ? sim : undefined;
    }
    if (agent.spec.provider !== "sim" && answer.applies(agent, task, mode)) return answer;
    return undefined;
  };
  return {
    name: "default",
    applies: (agent, task, mode) => choose(agent, task, mode) !== undefined,
    run(agent, task, mode, opts) {
      const r = choose(agent, task, mode);
      if (!r)
        throw new InputError(
          `explore: no runner for agent ${agent.spec.id} (${agent.spec.provider}) on task ${task.id} in mode ${mode}`,
        );
      return r.run(agent, task, mode, opts);
    },
  };
}

function isWorldTask(world: World, task: ExploreTask): boolean {
  try {
    world.task(task.id);
    return true;
  } catch {
    return false;
  }
}
