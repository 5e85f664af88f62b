import { setTimeout as sleep } from "node:timers/promises";
import { InputError } from "../core/errors.js";
import { costOf, type AgentSpec } from "../pool/schema.js";
import { decideSimStep, type SimDecision } from "./act.js";
import { decideFreeText } from "./free-text.js";
import { simLatencyMs, simUsage } from "./usage.js";
import type { World } from "./world.js";
import type { Agent, StepRequest, StepResult } from "../providers/types.js";

export interface SimAgentOptions {
  /**
   * Really wait for the simulated latency, scaled by this factor (e.g. 0.01 waits 1% of it). Default 0: no waiting;
   * the latency is only reported, as simulated.
   */
  sleepScale?: number;
}

/** A simulated agent: `act` plus the decision behind its last outputs, for tests and explanations. */
export interface SimAgent extends Agent {
  /** The world the agent lives in. */
  readonly world: World;
  /** Decide a step without cost accounting (pure; same decision `act` would make). */
  decide(request: StepRequest): SimDecision;
}

function promptChars(r: StepRequest): number {
  let n = r.task.text.length;
  for (const d of r.documents) n += d.title.length + d.text.length;
  for (const c of r.codeResults) n += c.program.length + c.stdout.length + c.stderr.length;
  for (const a of r.attempts) n += a.length;
  return n;
}

/**
 * A simulated agent of `world`, found by the spec's model name (else its id). The step's skill is the world's
 * latent one for the task and the point of its plan the state has reached (not the orchestrator's guess); the
 * outcome is a deterministic draw against the agent's latent competence. Usage comes from text lengths and the
 * agent's verbosity, cost from the spec's price. Every output is labelled `simulated: true`, provider "sim".
 */
export function createSimAgent(spec: AgentSpec, world: World, options: SimAgentOptions = {}): SimAgent {
  if (spec.provider !== "sim") throw new InputError(`agent ${spec.id}: provider is ${spec.provider}, not sim`);
  if (spec.sim?.seed !== undefined && spec.sim.seed !== world.seed)
    throw new InputError(`agent ${spec.id}: sim.seed ${spec.sim.seed} differs from the world's seed ${world.seed}`);
  const profile = (() => {
    try {
      return world.agent(spec.model);
    } catch {
      return world.agent(spec.id);
    }
  })();
  for (const m of spec.modes)
    if (!profile.modes.includes(m))
      throw new InputError(
        `agent ${spec.id}: simulated model ${profile.model} does not serve mode ${m} (it serves ${profile.modes.join(", ")})`,
      );
  const scale = options.sleepScale ?? 0;
  if (!(scale >= 0)) throw new RangeError(`sim agent ${spec.id}: sleepScale must be >= 0, got ${scale}`);

  const decide = (request: StepRequest): SimDecision => {
    if (!spec.modes.includes(request.mode))
      throw new InputError(`agent ${spec.id} does not serve mode ${request.mode} (it serves ${spec.modes.join(", ")})`);
    // A task of the world follows its plan; any other text gets a deterministic free-text step (free-text.ts).
    const task = world.isTask(request.task.id) ? world.task(request.task.id) : undefined;
    return task
      ? decideSimStep(world, profile, task, request)
      : decideFreeText(world.seed, profile, request.task, request);
  };

  return {
    spec,
    world,
    decide,
    async act(request, opts) {
      opts?.signal?.throwIfAborted();
      const d = decide(request);
      const usage = simUsage(profile, request.mode, promptChars(request), d.output.length);
      const latencyMs = simLatencyMs(profile, usage);
      if (scale > 0) await sleep(latencyMs * scale, undefined, opts?.signal ? { signal: opts.signal } : {});
      const result: StepResult = {
        agent: spec.id,
        mode: request.mode,
        output: d.output,
        usage,
        costUsd: costOf(spec.price, usage.promptTokens, usage.completionTokens),
        costEstimated: false,
        latencyMs,
        provider: "sim",
        simulated: true,
      };
      if (d.language) result.language = d.language;
      return result;
    },
  };
}
