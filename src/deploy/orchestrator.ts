/**
 * The deployed orchestrator graph, the one langgraph.json names. A run's handbook, pool and corpus come from its
 * context, else from SKILLORCHESTRA_HANDBOOK, SKILLORCHESTRA_POOL and SKILLORCHESTRA_CORPUS (the server's environment;
 * langgraph.json's `env` and its image's `ENV` lines name the simulated example, examples/sim/, so a fresh clone
 * answers). The graph itself has no default: a run with neither fails with one error naming what to set. Relative
 * paths, in the context or the environment, are from the project root, wherever the server runs. Any pool works, sim
 * agents included: the simulator is loaded only for a pool that has them.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { OrchestratorContextType } from "../../graphs/orchestrator/configuration.js";
import { buildOrchestratorGraph, contextResolver, RECURSION_LIMIT } from "../../graphs/orchestrator/graph.js";
import type { Resolve } from "../../graphs/orchestrator/nodes.js";
import { RESOURCE_ENV, type AgentFactory } from "../../graphs/orchestrator/resources.js";
import { DEFAULT_SEED } from "../core/random.js";
import { createAgents } from "../sim/create-agents.js";

/** The project root (this file is src/deploy/orchestrator.ts): where relative resource paths start. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Every agent of a pool, sim ones included; for a pool with sim agents, the documents of their world too. */
export const buildPoolAgents: AgentFactory = async (pool) => {
  const sim = pool.agents.find((a) => a.provider === "sim");
  if (!sim) return { agents: await createAgents(pool) };
  const { createWorld } = await import("../sim/index.js");
  const world = createWorld({ seed: sim.sim?.seed ?? DEFAULT_SEED });
  return { agents: await createAgents(pool, { world }), documents: world.corpus };
};

/** A resource path from the project root; empty (unset) and published handbooks (`store:NAME`) as they are. */
export const fromRoot = (p: string | undefined): string | undefined =>
  !p || p.startsWith("store:") || isAbsolute(p) ? p : resolve(PROJECT_ROOT, p);

type Files = keyof typeof RESOURCE_ENV;
const FILES = Object.keys(RESOURCE_ENV) as Files[];

/**
 * Resources from the run's context, else from `env` (default the process's, read at each run), any pool. Relative
 * paths of either are from the project root.
 */
export function deployedResolver(env: Record<string, string | undefined> = process.env): Resolve {
  return (context, run) => {
    const rootedEnv: Record<string, string | undefined> = {};
    for (const k of FILES) rootedEnv[RESOURCE_ENV[k]] = fromRoot(env[RESOURCE_ENV[k]]);
    let rooted: Partial<OrchestratorContextType> | undefined = context;
    if (context) {
      rooted = { ...context };
      for (const k of FILES) if (context[k]) rooted[k] = fromRoot(context[k]);
    }
    return contextResolver({ agentFactory: buildPoolAgents, env: rootedEnv })(rooted, run);
  };
}

/** Resources from the run's context only (the CLI gives every path), any pool. */
export const resolveFromContext: Resolve = contextResolver({ agentFactory: buildPoolAgents });

/** The deployed graph (langgraph.json): compiled without a checkpointer (the server brings its own). */
export const graph = buildOrchestratorGraph(deployedResolver())
  .compile()
  .withConfig({ recursionLimit: RECURSION_LIMIT });
graph.name = "orchestrator";
