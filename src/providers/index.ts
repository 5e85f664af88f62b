/**
 * The agent pool as agents: one Agent per pool entry, built by its provider. The graphs only ever see `Agent`.
 * Replay and sim providers are loaded on demand, so a pool of real agents never loads the simulator.
 */
import type { AgentSpec, Pool } from "../pool/schema.js";
import type { ExecutionRecord } from "../records/schema.js";
import type { World } from "../sim/world.js";
import { createOpenAIAgent, type OpenAIAgentOptions } from "./openai.js";
import type { SimAgentOptions } from "./sim/agent.js";
import type { Agent } from "./types.js";

export type { Agent, StepRequest, StepResult, Usage, Document, CodeResult } from "./types.js";
export { AgentCallError, StructuredOutputError, isStructuredOutputError, withRetry } from "./runtime.js";
export { createChatClient, createOpenAIAgent } from "./openai.js";
export type { ChatClient, ChatOptions, ChatResult, ChatClientOptions, OpenAIAgentOptions, ToolDefinition } from "./openai.js";

export interface CreateAgentsOptions {
  /** Where openai agents read their key and OPENAI_BASE_URL; default process.env. */
  env?: Record<string, string | undefined>;
  /** Options for every openai agent (backoff, streaming, headers, prompt caps). */
  openai?: OpenAIAgentOptions;
  /** The simulated world of sim agents; default: one built from each agent's `sim.seed` (default 7). */
  world?: World;
  sim?: SimAgentOptions;
  /** Records for replay agents, instead of each agent's `replay.records` file. */
  records?: readonly ExecutionRecord[];
}

function unavailable(spec: AgentSpec, err: unknown): Error {
  return new Error(`agent ${spec.id}: provider ${spec.provider} not available (${err instanceof Error ? err.message : String(err)})`, {
    cause: err,
  });
}

/** Build every agent of `pool`, keyed by agent id, in pool order. */
export async function createAgents(pool: Pool, options: CreateAgentsOptions = {}): Promise<Map<string, Agent>> {
  const agents = new Map<string, Agent>();
  const worlds = new Map<number, World>();
  for (const spec of pool.agents) {
    switch (spec.provider) {
      case "openai":
        agents.set(spec.id, createOpenAIAgent(spec, options.env ?? process.env, options.openai));
        break;
      case "replay": {
        let mod: typeof import("./replay.js");
        try {
          mod = await import("./replay.js");
        } catch (err) {
          throw unavailable(spec, err);
        }
        agents.set(spec.id, await mod.createReplayAgent(spec, options.records));
        break;
      }
      case "sim": {
        let mod: typeof import("./sim/agent.js");
        let worldMod: typeof import("../sim/world.js");
        try {
          [mod, worldMod] = await Promise.all([import("./sim/agent.js"), import("../sim/world.js")]);
        } catch (err) {
          throw unavailable(spec, err);
        }
        let world = options.world;
        if (!world) {
          const seed = spec.sim?.seed ?? 7;
          world = worlds.get(seed) ?? worldMod.createWorld({ seed });
          worlds.set(seed, world);
        }
        agents.set(spec.id, mod.createSimAgent(spec, world, options.sim));
        break;
      }
      default: {
        const never: never = spec.provider;
        throw new Error(`agent ${(spec as AgentSpec).id}: unknown provider ${String(never)}`);
      }
    }
  }
  return agents;
}
