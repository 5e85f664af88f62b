/**
 * The agent pool as agents: one Agent per pool entry, built by its provider. The graphs only ever see `Agent`.
 * The openai and replay providers are loaded on demand (the openai one brings @langchain/openai and the OpenAI SDK,
 * about 230 modules, which a pool without openai agents never needs; import createChatClient and createOpenAIAgent
 * from ./openai.js). Agents of the simulated world (provider `sim`) are built by the factory
 * the caller passes (`createAgents` in src/sim/create-agents.ts does), so this layer never loads the simulator.
 */
import type { AgentSpec, Pool } from "../pool/schema.js";
import type { ExecutionRecord } from "../records/schema.js";
import type { OpenAIAgentOptions } from "./openai.js";
import type { Agent } from "./types.js";

export type { Agent, StepRequest, StepResult } from "./types.js";
export { AgentCallError, StructuredOutputError, isStructuredOutputError, withRetry } from "./runtime.js";
export type {
  ChatClient,
  ChatOptions,
  ChatResult,
  ChatClientOptions,
  OpenAIAgentOptions,
  ToolDefinition,
} from "./openai.js";

export interface BuildAgentsOptions {
  /** Where openai agents read their key and OPENAI_BASE_URL; default process.env. */
  env?: Record<string, string | undefined>;
  /** Options for every openai agent (backoff, streaming, headers, prompt caps). */
  openai?: OpenAIAgentOptions;
  /** Records for replay agents, instead of each agent's `replay.records` file. */
  records?: readonly ExecutionRecord[];
  /** Builds the agent of each pool entry whose provider is `sim`; absent, such an entry is an error. */
  simAgent?: (spec: AgentSpec) => Promise<Agent>;
}

/** The error for an agent whose provider cannot be loaded. */
export function providerUnavailable(spec: AgentSpec, err: unknown): Error {
  return new Error(
    `agent ${spec.id}: provider ${spec.provider} not available (${err instanceof Error ? err.message : String(err)})`,
    {
      cause: err,
    },
  );
}

/** Build every agent of `pool`, keyed by agent id, in pool order. */
export async function buildAgents(pool: Pool, options: BuildAgentsOptions = {}): Promise<Map<string, Agent>> {
  const agents = new Map<string, Agent>();
  for (const spec of pool.agents) {
    switch (spec.provider) {
      case "openai": {
        const { createOpenAIAgent } = await import("./openai.js");
        agents.set(spec.id, createOpenAIAgent(spec, options.env ?? process.env, options.openai));
        break;
      }
      case "replay": {
        let mod: typeof import("./replay.js");
        try {
          mod = await import("./replay.js");
        } catch (err) {
          throw providerUnavailable(spec, err);
        }
        agents.set(spec.id, await mod.createReplayAgent(spec, options.records));
        break;
      }
      case "sim":
        if (!options.simAgent)
          throw providerUnavailable(spec, new Error("sim agents are built by createAgents (src/sim/create-agents.ts)"));
        agents.set(spec.id, await options.simAgent(spec));
        break;
      default: {
        const never: never = spec.provider;
        throw new Error(`agent ${(spec as AgentSpec).id}: unknown provider ${String(never)}`);
      }
    }
  }
  return agents;
}
