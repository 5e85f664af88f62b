import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Handbook } from "../../handbook/index.js";
import { loadHandbook } from "../../handbook/index.js";
import { loadSelection, selectionPathOf, servingChoice, type LoadedSelection } from "../../handbook/store.js";
import { InputError } from "../../src/core/errors.js";
import type { Mode } from "../../src/core/modes.js";
import { loadPool } from "../../src/pool/load.js";
import type { Pool } from "../../src/pool/schema.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { createChatClient, type ChatClient } from "../../src/providers/openai.js";
import type { CodeResult } from "../../src/core/types.js";
import type { Agent } from "../../src/providers/types.js";
import type { OrchestratorContextType } from "./configuration.js";
import { LocalSearch, readCorpus, type Passage } from "../../tools/search/index.js";
import { runProgram, toCodeResult } from "../../tools/code/index.js";

/** Something that retrieves passages for a query (the local index, a web adapter, a test double). */
export interface SearchBackend {
  search(query: string, k: number): Passage[] | Promise<Passage[]>;
}

/** Runs an agent-written program in the sandbox. */
export type CodeRunner = (language: "python" | "javascript", source: string, signal?: AbortSignal) => Promise<CodeResult>;

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
}

/** The handbook and λ a run is routed with (see OrchestratorResources.selection), and which candidate it is. */
export function servingHandbook(r: OrchestratorResources, s: { lambda: number; budgetUsd?: number }): { handbook: Handbook; lambda: number; candidate?: string } {
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
  return (["search", "code", "answer"] as const).filter((m) => served.has(m));
}

/** Where `npm start` (the demo) writes its handbook and pool: the defaults of the deployed graph. */
export const DEMO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../out/demo");

export interface ResourcePaths {
  handbook?: string;
  pool?: string;
  corpus?: string;
  orchestratorModel?: string;
}

/** Build resources from files: a pool, a handbook, and a corpus (sim pools bring the world's corpus). */
export async function loadResources(paths: ResourcePaths): Promise<OrchestratorResources> {
  const handbookPath = paths.handbook ?? resolve(DEMO_DIR, "handbook.json");
  const poolPath = paths.pool ?? resolve(DEMO_DIR, "pool.json");
  const pool = loadPool(poolPath);
  const handbook = loadHandbook(handbookPath);
  const simSeed = pool.agents.find((a) => a.provider === "sim")?.sim?.seed;
  // The simulator is loaded only for pools that have sim agents.
  const world = pool.agents.some((a) => a.provider === "sim") ? (await import("../../src/sim/index.js")).createWorld({ seed: simSeed ?? 7 }) : undefined;
  const agents = await createAgents(pool, world ? { world } : {});
  let search: SearchBackend | undefined;
  if (paths.corpus) search = LocalSearch.fromDocuments((await readCorpus(paths.corpus)).documents);
  else if (world) search = LocalSearch.fromDocuments(world.corpus);
  const selectionPath = selectionPathOf(handbookPath, handbook);
  const resources: OrchestratorResources = {
    handbook,
    agents,
    runCode: sandboxRunner,
    ...(search ? { search } : {}),
    ...(selectionPath ? { selection: loadSelection(selectionPath) } : {}),
  };
  if (paths.orchestratorModel) resources.orchestratorModel = orchestratorClient(pool, paths.orchestratorModel, poolPath);
  return resources;
}

function orchestratorClient(pool: Pool, id: string, poolPath: string): ChatClient {
  const spec = pool.agents.find((a) => a.id === id);
  if (!spec) throw new InputError(`${poolPath}: $.agents: no agent ${id} for the orchestrator model`);
  if (spec.provider !== "openai") throw new InputError(`${poolPath}: $.agents: orchestrator model ${id} must use the openai provider`);
  return createChatClient(spec);
}

const cache = new Map<string, { stamp: string; resources: Promise<OrchestratorResources> }>();

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

/** Resources for the deployed graph, loaded from the context's paths and cached until a file changes. */
export function cachedResources(paths: ResourcePaths): Promise<OrchestratorResources> {
  const key = JSON.stringify(paths);
  const stamp = stampOf([paths.handbook ?? resolve(DEMO_DIR, "handbook.json"), paths.pool ?? resolve(DEMO_DIR, "pool.json"), paths.corpus]);
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.resources;
  const resources = loadResources(paths);
  cache.set(key, { stamp, resources });
  resources.catch(() => cache.delete(key));
  return resources;
}
