/**
 * Shared fixture of the orchestrator tests: the simulated world, its pool as real sim agents, a handbook profiled
 * from a small real exploration (real search index, real sandbox), and the world's search index.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Handbook } from "../../handbook/index.js";
import { type CreateOrchestratorOptions, createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { profileByTask } from "../../src/demo/profile.js";
import { explore, simExploreTasks, simRunner, worldIndex } from "../../src/explore/index.js";
import type { AgentSpec, Pool } from "../../src/pool/schema.js";
import { createAgents } from "../../src/sim/create-agents.js";
import type { Agent } from "../../src/providers/types.js";
import { loadRecords } from "../../src/records/io.js";
import type { ExecutionRecord } from "../../src/records/schema.js";
import { createWorld, type Family, type SimTask, type World } from "../../src/sim/index.js";
import type { LocalSearch } from "../../tools/search/index.js";

export interface SimFixture {
  world: World;
  pool: Pool;
  agents: Map<string, Agent>;
  records: ExecutionRecord[];
  handbook: Handbook;
  search: LocalSearch;
}

export const SEED = 7;

/** Explore `trainTasks` training tasks (six: one per family) with every agent and profile a handbook from them. */
export async function buildSimFixture(trainTasks = 6): Promise<SimFixture> {
  const world = createWorld({ seed: SEED });
  const pool = world.pool();
  const agents = await createAgents(pool, { world });
  const dir = mkdtempSync(join(tmpdir(), "orchestrator-fixture-"));
  try {
    const out = join(dir, "records.jsonl");
    await explore({
      agents: [...agents.values()],
      tasks: simExploreTasks(world, trainTasks, "train"),
      run: simRunner(world),
      out,
      progress: false,
    });
    const records = await loadRecords(out);
    return { world, pool, agents, records, handbook: profileByTask(records, pool), search: worldIndex(world) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first held-out task of a family. */
export function testTask(world: World, family: Family): SimTask {
  const t = world.tasks(24, "test").find((x) => x.family === family);
  if (!t) throw new Error(`no test task of family ${family}`);
  return t;
}

/** The graph input for a sim task (the reference answer is never shown to agents). */
export function inputOf(task: SimTask) {
  return { task: { id: task.id, text: task.text, family: task.family } };
}

/** An orchestrator over the fixture: its handbook, agents and search, unless `options` says otherwise. */
export function fixtureOrchestrator(fx: SimFixture, options: Partial<CreateOrchestratorOptions> = {}) {
  return createOrchestrator({ handbook: fx.handbook, agents: fx.agents, search: fx.search, ...options });
}

/** The final state of a run of `task` on fixtureOrchestrator(fx, options). */
export async function runOnFixture(
  fx: SimFixture,
  task: SimTask,
  options: Partial<CreateOrchestratorOptions> = {},
): Promise<OrchestratorStateType> {
  return (await (await fixtureOrchestrator(fx, options)).invoke(inputOf(task))) as OrchestratorStateType;
}

/** What a run decided and produced, for comparing runs; latencies (wall time) left out. */
export const outcome = (s: OrchestratorStateType) => ({
  task: s.task,
  steps: s.steps.map(({ latencyMs: _l, ...rest }) => rest),
  documents: s.documents,
  codeResults: s.codeResults,
  decisions: s.decisions.map((d) => ({ step: d.step, mode: d.mode, chosen: d.record.chosen, skills: d.record.skills })),
  finalAnswer: s.finalAnswer,
  stopReason: s.stopReason,
  costUsd: s.costUsd,
});

/**
 * The fixture's sim agents without their answer mode, and `remote` as the only answer agent; the handbook is profiled
 * on the fixture's records of the other modes, so it has no answer evidence for any agent.
 */
export function withRemoteAnswer(fx: SimFixture, remote: AgentSpec): { pool: Pool; handbook: Handbook } {
  const sims = fx.pool.agents
    .map((a) => ({ ...a, modes: a.modes.filter((m) => m !== "answer") }))
    .filter((a) => a.modes.length > 0);
  const pool: Pool = { version: 1, name: "sim + remote answer", agents: [...sims, remote] };
  return {
    pool,
    handbook: profileByTask(
      fx.records.filter((r) => r.mode !== "answer"),
      pool,
    ),
  };
}
