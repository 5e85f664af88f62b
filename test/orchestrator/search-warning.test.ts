/**
 * A pool with search agents and no search backend: search mode is off, and the orchestrator says so once, in one
 * line naming those agents and what to pass (createOrchestrator, and the context resolver the CLI and the server use).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import { contextResolver, createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { buildPoolAgents } from "../../src/deploy/orchestrator.js";
import { worldIndex } from "../../src/explore/index.js";
import { savePool } from "../../src/pool/load.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { createWorld } from "../../src/sim/index.js";
import { handbookWith } from "../handbook/helpers.js";

const world = createWorld({ seed: 7 });
const pool = world.pool();
const searchers = pool.agents.filter((a) => a.modes.includes("search")).map((a) => a.id);
const handbook = handbookWith([], Object.fromEntries(pool.agents.map((a) => [a.id, { modes: a.modes }])));
const EMBEDDED =
  `search mode is off for agents ${searchers.join(", ")}: no search backend; ` +
  "pass createOrchestrator({ search }), e.g. search: LocalSearch.fromDocuments(documents)";

const dir = mkdtempSync(join(tmpdir(), "search-warning-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("createOrchestrator without a search backend", () => {
  it("the world's pool has search agents and others (what the assertions below rely on)", () => {
    expect(searchers.length).toBeGreaterThan(1);
    expect(searchers.length).toBeLessThan(pool.agents.length);
  });

  it("warns once, naming the search agents and the option, and its runs never search", async () => {
    const warnings: string[] = [];
    const agents = await createAgents(pool, { world });
    const orchestrator = await createOrchestrator({ handbook, agents, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([EMBEDDED]);
    const task = world.tasks(24, "test").find((t) => t.family === "capital_lookup")!;
    const state = (await orchestrator.invoke({
      task: { id: task.id, text: task.text, family: task.family },
    })) as OrchestratorStateType;
    expect(state.stopReason).toBe("answered");
    expect(state.steps.length).toBeGreaterThan(0);
    expect(state.steps.filter((s) => s.mode === "search")).toEqual([]);
    expect(warnings).toHaveLength(1);
  });

  it("does not warn with a search backend, or with a factory that brings documents", async () => {
    const warnings: string[] = [];
    const onWarning = (w: string) => warnings.push(w);
    const agents = await createAgents(pool, { world });
    await createOrchestrator({ handbook, agents, search: worldIndex(world), onWarning });
    await createOrchestrator({ handbook, pool, agentFactory: buildPoolAgents, onWarning });
    expect(warnings).toEqual([]);
  });

  it("does not warn for a pool with no search agent", async () => {
    const warnings: string[] = [];
    const small = { ...pool, agents: pool.agents.filter((a) => !a.modes.includes("search")), reference: {} };
    const agents = await createAgents(small, { world });
    await createOrchestrator({ handbook, agents, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });

  it("by default prints the line on stderr, once per process however many orchestrators are built", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const agents = await createAgents(pool, { world });
      await createOrchestrator({ handbook, agents });
      await createOrchestrator({ handbook, agents });
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([`warning: ${EMBEDDED}\n`]);
  });
});

describe("contextResolver without a corpus", () => {
  const files = { handbook: join(dir, "handbook.json"), pool: join(dir, "pool.json"), corpus: join(dir, "c.jsonl") };
  savePool(files.pool, pool);
  saveHandbook(files.handbook, handbook);
  writeFileSync(files.corpus, `${JSON.stringify({ id: "d1", title: "Lanonia", text: "Lanonia is a country." })}\n`);
  // The simulator's agents without their world's documents, as a factory for pools of real agents gives them.
  const agentsOnly = async (p: typeof pool) => ({ agents: await createAgents(p, { world }) });

  it("warns once per pool, naming the context field (and the variable, when it reads the environment)", async () => {
    const warnings: string[] = [];
    const resolve = contextResolver({ agentFactory: agentsOnly, onWarning: (w) => warnings.push(w) });
    const a = await resolve({ handbook: files.handbook, pool: files.pool });
    await resolve({ handbook: files.handbook, pool: files.pool });
    expect(a.search).toBeUndefined();
    expect(warnings).toEqual([
      `search mode is off for agents ${searchers.join(", ")}: no search backend; ` +
        `set the context's "corpus" (a corpus JSONL path; on the command line, run --corpus FILE)`,
    ]);

    const fromEnv: string[] = [];
    const deployed = contextResolver({ agentFactory: agentsOnly, env: {}, onWarning: (w) => fromEnv.push(w) });
    await deployed({ handbook: files.handbook, pool: files.pool });
    expect(fromEnv).toEqual([
      `search mode is off for agents ${searchers.join(", ")}: no search backend; ` +
        `set the context's "corpus" (a corpus JSONL path) or SKILLORCHESTRA_CORPUS`,
    ]);
  });

  it("does not warn when the context gives a corpus", async () => {
    const warnings: string[] = [];
    const resolve = contextResolver({ agentFactory: agentsOnly, onWarning: (w) => warnings.push(w) });
    const r = await resolve({ handbook: files.handbook, pool: files.pool, corpus: files.corpus });
    expect(r.search).toBeDefined();
    expect(warnings).toEqual([]);
  });
});
