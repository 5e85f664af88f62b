import { END, START, StateGraph, type BaseCheckpointSaver, type BaseStore } from "@langchain/langgraph";
import type { LoadedSelection } from "../../handbook/store.js";
import { MODES } from "../../src/core/modes.js";
import type { Handbook } from "../../handbook/index.js";
import type { Pool } from "../../src/pool/schema.js";
import type { Agent } from "../../src/providers/types.js";
import type { ChatClient } from "../../src/providers/openai.js";
import { OrchestratorContext, type OrchestratorContextType } from "./configuration.js";
import { approveNode, modeNode, orchestrateNode, type Resolve } from "./nodes.js";
import { withRunRecords } from "./records-sink.js";
import {
  cachedResources,
  providerAgents,
  resourcePaths,
  sandboxRunner,
  type AgentFactory,
  type CodeRunner,
  type OrchestratorResources,
} from "./resources.js";
import { OrchestratorInput, OrchestratorState } from "./state.js";
import { parseStoreRef, servedVersion } from "../../src/registry/handbooks.js";
import { LocalSearch, type SearchBackend } from "../../tools/search/index.js";
import { printWarning, searchOffWarning, type OnWarning } from "./warnings.js";

/**
 * LangGraph's recursion limit, in supersteps. A step takes two (orchestrate, then the mode's node), so the default
 * of 25 would end a run with an error near 12 steps, below a configured `maxSteps`. The step limit in the
 * orchestrate node is what bounds a run; this only keeps the library's guard out of its way.
 */
export const RECURSION_LIMIT = 10_000;

/**
 * The graph's wiring. `resolve` gives the resources of a run (fixed ones, or loaded from the context's paths).
 *
 * No node has a retry policy: the provider is the one retry layer (maxRetries + 1 attempts per call, see
 * src/providers/openai.ts). A call that still fails is recorded in `failures` and its step re-routed to the next-best
 * agent (nodes.ts), so no model error escapes the graph.
 */
export function buildOrchestratorGraph(resolve: Resolve) {
  return new StateGraph(OrchestratorState, { input: OrchestratorInput, context: OrchestratorContext })
    .addNode("orchestrate", withRunRecords(orchestrateNode(resolve), resolve), { ends: ["approve", ...MODES, END] })
    .addNode("approve", withRunRecords(approveNode(), resolve), { ends: [...MODES, END] })
    .addNode("search", modeNode("search", resolve), { ends: ["orchestrate"] })
    .addNode("code", modeNode("code", resolve), { ends: ["orchestrate"] })
    .addNode("answer", withRunRecords(modeNode("answer", resolve), resolve), { ends: ["orchestrate", END] })
    .addEdge(START, "orchestrate");
}

export interface ContextResolverOptions {
  /** Builds the pool's agents; default providerAgents (openai and replay agents, no sim ones). */
  agentFactory?: AgentFactory;
  /** Where a file the context does not give is looked up (SKILLORCHESTRA_HANDBOOK, …: see resourcePaths); default nowhere. */
  env?: Record<string, string | undefined>;
  /** Where a `store:NAME` handbook is read from when the run brings no store of its own (a server's comes first). */
  store?: BaseStore;
  /** Where a setup warning goes (search agents with no corpus: once per pool); default printWarning (stderr). */
  onWarning?: OnWarning;
}

/**
 * Resources from the run's context (paths of handbook, pool and corpus), else from `env`, cached until those files
 * change. A handbook `store:NAME` (or `store:NAME@vN`) is the version published in the run's store (see
 * cachedResources). A run with no handbook or pool fails with one InputError naming what to set, before any agent
 * is called.
 */
export function contextResolver(opts: ContextResolverOptions = {}): Resolve {
  const env = opts.env ?? {};
  const factory = opts.agentFactory ?? providerAgents;
  const warned = new WeakSet<Map<string, Agent>>();
  const remedy = opts.env
    ? `set the context's "corpus" (a corpus JSONL path) or SKILLORCHESTRA_CORPUS`
    : `set the context's "corpus" (a corpus JSONL path; on the command line, run --corpus FILE)`;
  return async (c, run) => {
    const r = await cachedResources(resourcePaths(c, env), factory, {
      ...run,
      ...(run?.store || opts.store ? { store: run?.store ?? opts.store } : {}),
    });
    const warning = r.search || warned.has(r.agents) ? undefined : searchOffWarning(r.agents.values(), remedy);
    warned.add(r.agents);
    if (warning) (opts.onWarning ?? printWarning)(warning);
    return r;
  };
}

export interface CreateOrchestratorOptions {
  /**
   * The handbook, or a published one: `store:NAME` (the version served, read again at every run, so a new version
   * or a rollback applies from the next run) or `store:NAME@vN`, read from the run's store (`store`).
   */
  handbook: Handbook | string;
  /** A pool (its agents built by `agentFactory`) or agents already built. */
  pool?: Pool;
  agents?: Map<string, Agent>;
  /**
   * Builds the pool's agents; default providerAgents, which builds no sim agents (src/deploy/orchestrator.ts's
   * buildPoolAgents does). Documents it returns are searched when `search` is absent.
   */
  agentFactory?: AgentFactory;
  /** Search backend (e.g. LocalSearch.fromDocuments(documents)); absent, search mode is off, with a warning. */
  search?: SearchBackend;
  /** Code runner; default the sandbox. */
  runCode?: CodeRunner;
  orchestratorModel?: ChatClient;
  /** Default settings of every run (a run's context and input still override them). */
  defaults?: Partial<OrchestratorContextType>;
  /** A learned selection (loadSelection("H.selection.json")): a run's λ or budget then picks its candidate handbook. */
  selection?: LoadedSelection;
  checkpointer?: BaseCheckpointSaver;
  /** The LangGraph store the graph is compiled with (each run's `runtime.store`): where `store:…` handbooks are read. */
  store?: BaseStore;
  name?: string;
  /** Where a setup warning goes (search agents but no search backend); default printWarning (stderr, once). */
  onWarning?: OnWarning;
}

const SEARCH_REMEDY = "pass createOrchestrator({ search }), e.g. search: LocalSearch.fromDocuments(documents)";

/**
 * An orchestrator over a handbook and a pool, compiled: use it as a Runnable (`invoke`, `stream`) or add it as a
 * node of your own graph (its input is `{task, settings?}`; it returns the full state).
 */
export async function createOrchestrator(opts: CreateOrchestratorOptions) {
  if (!opts.agents && !opts.pool) throw new Error("createOrchestrator: give a pool or agents");
  const published = typeof opts.handbook === "string" ? opts.handbook : undefined;
  if (published !== undefined) parseStoreRef(published);
  const built = opts.agents ? { agents: opts.agents } : await (opts.agentFactory ?? providerAgents)(opts.pool!);
  const search = opts.search ?? (built.documents ? LocalSearch.fromDocuments(built.documents) : undefined);
  const warning = search ? undefined : searchOffWarning(built.agents.values(), SEARCH_REMEDY);
  if (warning) (opts.onWarning ?? printWarning)(warning);
  const resources: Omit<OrchestratorResources, "handbook"> = {
    agents: built.agents,
    runCode: opts.runCode ?? sandboxRunner,
    ...(search ? { search } : {}),
    ...(opts.orchestratorModel ? { orchestratorModel: opts.orchestratorModel } : {}),
    ...(opts.defaults ? { defaults: opts.defaults } : {}),
    ...(opts.selection ? { selection: opts.selection } : {}),
  };
  const fixed = typeof opts.handbook === "string" ? undefined : { ...resources, handbook: opts.handbook };
  // A published handbook: the version the run's store serves (or the one the run started with), at every run.
  const resolve: Resolve = fixed
    ? async () => fixed
    : async (_c, run) => {
        const v = await servedVersion(run?.store ?? opts.store, published!, run?.pinned);
        return {
          ...resources,
          handbook: v.handbook,
          handbookVersion: v.label,
          ...(v.selection && !opts.selection ? { selection: v.selection } : {}),
        };
      };
  return buildOrchestratorGraph(resolve)
    .compile({
      ...(opts.checkpointer ? { checkpointer: opts.checkpointer } : {}),
      ...(opts.store ? { store: opts.store } : {}),
      name: opts.name ?? "orchestrator",
    })
    .withConfig({ recursionLimit: RECURSION_LIMIT });
}
