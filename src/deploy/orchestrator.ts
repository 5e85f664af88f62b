/**
 * The deployed orchestrator graph, the one langgraph.json names. A run's handbook, pool and corpus come from its
 * context, else from SKILLORCHESTRA_HANDBOOK, SKILLORCHESTRA_POOL and SKILLORCHESTRA_CORPUS (the server's environment,
 * or the `.env` file langgraph.json names). A run with neither fails with one error naming what to set. Any pool
 * works, sim agents included: the simulator is loaded only for a pool that has them.
 */
import { buildOrchestratorGraph, contextResolver, RECURSION_LIMIT } from "../../graphs/orchestrator/graph.js";
import type { Resolve } from "../../graphs/orchestrator/nodes.js";
import type { AgentFactory } from "../../graphs/orchestrator/resources.js";
import { DEFAULT_SEED } from "../core/random.js";
import { createAgents } from "../sim/create-agents.js";

/** Every agent of a pool, sim ones included; for a pool with sim agents, the documents of their world too. */
export const buildPoolAgents: AgentFactory = async (pool) => {
  const sim = pool.agents.find((a) => a.provider === "sim");
  if (!sim) return { agents: await createAgents(pool) };
  const { createWorld } = await import("../sim/index.js");
  const world = createWorld({ seed: sim.sim?.seed ?? DEFAULT_SEED });
  return { agents: await createAgents(pool, { world }), documents: world.corpus };
};

/** Resources from the run's context, else from `env` (default the process's), any pool. */
export function deployedResolver(env: Record<string, string | undefined> = process.env): Resolve {
  return contextResolver({ agentFactory: buildPoolAgents, env });
}

/** Resources from the run's context only (the CLI gives every path), any pool. */
export const resolveFromContext: Resolve = contextResolver({ agentFactory: buildPoolAgents });

/** The deployed graph (langgraph.json): compiled without a checkpointer (the server brings its own). */
export const graph = buildOrchestratorGraph(deployedResolver())
  .compile()
  .withConfig({ recursionLimit: RECURSION_LIMIT });
graph.name = "orchestrator";
