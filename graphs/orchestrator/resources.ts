import { statSync } from "node:fs";
import type { BaseStore } from "@langchain/langgraph";
import type { Handbook } from "../../handbook/index.js";
import { loadHandbook } from "../../handbook/index.js";
import { loadSelection, selectionPathOf, servingChoice, type LoadedSelection } from "../../handbook/store.js";
import { InputError } from "../../src/core/errors.js";
import { MODES, type Mode } from "../../src/core/modes.js";
import { loadPool } from "../../src/pool/load.js";
import type { Pool } from "../../src/pool/schema.js";
import { buildAgents } from "../../src/providers/index.js";
import type { ChatClient } from "../../src/providers/openai.js";
import type { CodeResult } from "../../src/core/types.js";
import type { Agent } from "../../src/providers/types.js";
import type { OrchestratorContextType } from "./configuration.js";
import { LocalSearch, readCorpus, type CorpusDocument, type SearchBackend } from "../../tools/search/index.js";
import { runProgram, toCodeResult } from "../../tools/code/index.js";
import { isStoreRef, servedVersion } from "../../src/registry/handbooks.js";

/** Runs an agent-written program in the sandbox. */
export type CodeRunner = (
  language: "python" | "javascript",
  source: string,
  signal?: AbortSignal,
) => Promise<CodeResult>;

/** Everything the orchestrator graph acts with. The graph never knows which provider sits behind an agent. */
export interface OrchestratorResources {
  handbook: Handbook;
  agents: Map<string, Agent>;
  /** Absent: search mode is unavailable, and the policy never chooses it. */
  search?: SearchBackend;
  runCode: CodeRunner;
  /** The orchestrator model for the LLM policy; absent: the offline policy. */
  orchestratorModel?: ChatClient;
  /** Settings that apply when neither the run's input nor its context sets them. */
  defaults?: Partial<OrchestratorContextType>;
  /**
   * The learned selection the handbook came from: when present, a run's λ (or budget) picks the candidate chosen
   * for it on validation (for a budget, with the λ that meets it there) instead of the one handbook.
   */
  selection?: LoadedSelection;
  /** The published version served (`NAME@v3`) when the handbook is `store:NAME[@vN]`: every decision names it. */
  handbookVersion?: string;
}

/** What a run acts with besides its handbook: the pool's agents, search, the sandbox, the orchestrator model. */
export type RunTools = Omit<OrchestratorResources, "handbook" | "selection" | "handbookVersion">;

/**
 * What a run gives the resolver besides its context: its store (the LangGraph server's, or the one the graph was
 * compiled with), where a `store:NAME` handbook is read, and the published version the run started with (`NAME@v3`,
 * from its first decision), so that a run keeps one version to its end and the next run gets the one served then.
 */
export interface RunScope {
  store?: BaseStore;
  pinned?: string;
}

/** The handbook and λ a run is routed with (see OrchestratorResources.selection), and which candidate it is. */
export function servingHandbook(
  r: OrchestratorResources,
  s: { lambda: number; budgetUsd?: number },
): { handbook: Handbook; lambda: number; candidate?: string } {
  if (!r.selection) return { handbook: r.handbook, lambda: s.lambda };
  const c = servingChoice(r.selection, s);
  return { handbook: c.handbook, lambda: c.lambda, candidate: c.candidate };
}

/** Run a program in the sandbox with the sandbox's default limits. */
export const sandboxRunner: CodeRunner = async (language, source, signal) =>
  toCodeResult(language, source, await runProgram({ language, source, ...(signal ? { signal } : {}) }));

/** Modes that can run: served by an agent of the pool and, for search, with a search backend. */
export function availableModes(r: OrchestratorResources): Mode[] {
  const served = new Set<Mode>();
  for (const a of r.agents.values()) for (const m of a.spec.modes) served.add(m);
  if (!r.search) served.delete("search");
  return MODES.filter((m) => served.has(m));
}

/** A pool's agents, and the documents search mode uses when no corpus is given (a simulated world's, for sim agents). */
export interface PoolAgents {
  agents: Map<string, Agent>;
  documents?: readonly CorpusDocument[];
}

/** Builds the agents of a pool. */
export type AgentFactory = (pool: Pool) => Promise<PoolAgents>;

/**
 * Agents that call models or replay records (src/providers' buildAgents). A pool with sim agents needs a factory
 * that has the simulator (src/deploy/orchestrator.ts's buildPoolAgents).
 */
export const providerAgents: AgentFactory = async (pool) => ({ agents: await buildAgents(pool) });

export interface ResourcePaths {
  /** A handbook JSON path, or a published handbook: `store:NAME` (the version served) or `store:NAME@vN`. */
  handbook: string;
  pool: string;
  corpus?: string;
  orchestratorModel?: string;
}

/** The environment variable of each file a run loads, read when the run's context does not give that file. */
export const RESOURCE_ENV = {
  handbook: "SKILLORCHESTRA_HANDBOOK",
  pool: "SKILLORCHESTRA_POOL",
  corpus: "SKILLORCHESTRA_CORPUS",
} as const;

const WHAT = { handbook: "a handbook JSON path", pool: "a pool file path, JSON or YAML" } as const;

/**
 * The files of a run: each from the context's field, else its environment variable (RESOURCE_ENV; an empty value is
 * unset). A missing handbook or pool is one InputError naming what to set, before anything is loaded.
 */
export function resourcePaths(
  context: Partial<OrchestratorContextType> | undefined,
  env: Record<string, string | undefined>,
): ResourcePaths {
  const pick = (k: keyof typeof RESOURCE_ENV) => context?.[k] || env[RESOURCE_ENV[k]] || undefined;
  const found = { handbook: pick("handbook"), pool: pick("pool") };
  const missing = (["handbook", "pool"] as const).filter((k) => !found[k]);
  if (missing.length)
    throw new InputError(
      `orchestrator: ${missing.map((k) => `no ${k}`).join(", ")}: set ${missing.map((k) => `the context's "${k}" (${WHAT[k]}) or ${RESOURCE_ENV[k]}`).join(", and ")}`,
    );
  const corpus = pick("corpus");
  return {
    handbook: found.handbook!,
    pool: found.pool!,
    ...(corpus ? { corpus } : {}),
    ...(context?.orchestratorModel ? { orchestratorModel: context.orchestratorModel } : {}),
  };
}

/** Build resources from files: a pool (its agents built by `agentFactory`), a handbook, and a corpus. */
export async function loadResources(
  paths: ResourcePaths,
  agentFactory: AgentFactory = providerAgents,
): Promise<OrchestratorResources> {
  const pool = loadPool(paths.pool);
  const handbook = loadHandbook(paths.handbook);
  const tools = await loadTools(pool, paths, agentFactory);
  const selectionPath = selectionPathOf(paths.handbook, handbook);
  return { handbook, ...tools, ...(selectionPath ? { selection: loadSelection(selectionPath) } : {}) };
}

/** A run's tools from files: the pool's agents (built by `agentFactory`), the corpus, the orchestrator model. */
async function loadTools(pool: Pool, paths: Omit<ResourcePaths, "handbook">, agentFactory: AgentFactory) {
  const { agents, documents } = await agentFactory(pool);
  let search: SearchBackend | undefined;
  if (paths.corpus) search = LocalSearch.fromDocuments((await readCorpus(paths.corpus)).documents);
  else if (documents) search = LocalSearch.fromDocuments(documents);
  const tools: RunTools = { agents, runCode: sandboxRunner, ...(search ? { search } : {}) };
  if (paths.orchestratorModel)
    tools.orchestratorModel = await orchestratorClient(pool, paths.orchestratorModel, paths.pool);
  return tools;
}

async function orchestratorClient(pool: Pool, id: string, poolPath: string): Promise<ChatClient> {
  const spec = pool.agents.find((a) => a.id === id);
  if (!spec) throw new InputError(`${poolPath}: $.agents: no agent ${id} for the orchestrator model`);
  if (spec.provider !== "openai")
    throw new InputError(`${poolPath}: $.agents: orchestrator model ${id} must use the openai provider`);
  const { createChatClient } = await import("../../src/providers/openai.js"); // loaded only for a model
  return createChatClient(spec);
}

const caches = new WeakMap<AgentFactory, Map<string, { stamp: string; value: Promise<unknown> }>>();

function stampOf(paths: (string | undefined)[]): string {
  return paths
    .map((p) => {
      if (!p) return "-";
      try {
        const s = statSync(p);
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

/** `load()`, cached per agent factory and key until one of `files` changes. */
function cached<T>(agentFactory: AgentFactory, key: string, files: (string | undefined)[], load: () => Promise<T>) {
  let cache = caches.get(agentFactory);
  if (!cache) caches.set(agentFactory, (cache = new Map()));
  const stamp = stampOf(files);
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.value as Promise<T>;
  const value = load();
  cache.set(key, { stamp, value });
  value.catch(() => cache.delete(key));
  return value;
}

/**
 * Resources loaded from files (loadResources), cached per agent factory until one of the files changes. A handbook
 * `store:NAME[@vN]` is read from the run's store instead (`run.store`): the version named, else the one the run
 * started with (`run.pinned`), else the one served now, looked up at every call (one read; a version already read
 * is not parsed again), so a publish or a rollback applies from the next run without a restart.
 */
export async function cachedResources(
  paths: ResourcePaths,
  agentFactory: AgentFactory = providerAgents,
  run: RunScope = {},
): Promise<OrchestratorResources> {
  if (!isStoreRef(paths.handbook))
    return cached(agentFactory, JSON.stringify(paths), [paths.handbook, paths.pool, paths.corpus], () =>
      loadResources(paths, agentFactory),
    );
  const served = await servedVersion(run.store, paths.handbook, run.pinned);
  const { handbook: _, ...rest } = paths;
  const tools = await cached(agentFactory, JSON.stringify({ tools: rest }), [paths.pool, paths.corpus], () =>
    loadTools(loadPool(paths.pool), rest, agentFactory),
  );
  return {
    ...tools,
    handbook: served.handbook,
    handbookVersion: served.label,
    ...(served.selection ? { selection: served.selection } : {}),
  };
}
