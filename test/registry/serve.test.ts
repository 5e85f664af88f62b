/**
 * The orchestrator serving published handbooks (`store:NAME`, `store:NAME@vN`) from a real LangGraph store, in
 * process over a pool of sim agents: each run reads the version served then, so a publish or a rollback applies from
 * the next run of the same compiled graph; a run keeps the version it started with; every decision names it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InMemoryStore, MemorySaver, type BaseStore } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildOrchestratorGraph,
  contextResolver,
  createOrchestrator,
  RECURSION_LIMIT,
} from "../../graphs/orchestrator/graph.js";
import type { OrchestratorContextType } from "../../graphs/orchestrator/configuration.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { saveHandbook, type Handbook } from "../../handbook/index.js";
import { buildPoolAgents } from "../../src/deploy/orchestrator.js";
import { savePool } from "../../src/pool/load.js";
import { FileStore } from "../../src/registry/file-store.js";
import { publishHandbook, readPublication, rollback } from "../../src/registry/handbooks.js";
import { buildSimFixture, inputOf, testTask, type SimFixture } from "../orchestrator/fixture.js";

let fx: SimFixture;
let dir: string;
let files: { v1: string; v2: string; learned: string; pool: string };
/** The agent v2 routes every step to: the only one it profiles (an agent v1 does not choose for the first step). */
let only: string;
let v1First: string;

/** The fixture's handbook with only `agent` profiled: every step of every mode goes to it. */
const onlyAgent = (h: Handbook, agent: string): Handbook => ({ ...h, agents: { [agent]: h.agents[agent]! } });

const task = () => inputOf(testTask(fx.world, "capital_lookup"));

beforeAll(async () => {
  fx = await buildSimFixture();
  dir = mkdtempSync(join(tmpdir(), "registry-serve-"));
  files = {
    v1: join(dir, "v1.json"),
    v2: join(dir, "v2.json"),
    learned: join(dir, "learned", "H.json"),
    pool: join(dir, "pool.json"),
  };
  savePool(files.pool, fx.pool);
  saveHandbook(files.v1, fx.handbook);
  const first = (await (
    await createOrchestrator({ handbook: fx.handbook, agents: fx.agents, search: fx.search })
  ).invoke(task())) as OrchestratorStateType;
  v1First = first.decisions[0]!.record.chosen!;
  only = fx.pool.agents.find((a) => a.modes.length === 3 && a.id !== v1First && a.id in fx.handbook.agents)!.id;
  saveHandbook(files.v2, onlyAgent(fx.handbook, only));
  // A learned handbook whose selection has two candidates; at the default λ the one profiling `only` is chosen.
  mkdirSync(join(dir, "learned", "H.candidates"), { recursive: true });
  saveHandbook(files.learned, fx.handbook);
  saveHandbook(join(dir, "learned", "H.candidates", "all.json"), fx.handbook);
  saveHandbook(join(dir, "learned", "H.candidates", "one.json"), onlyAgent(fx.handbook, only));
  writeFileSync(
    join(dir, "learned", "H.selection.json"),
    JSON.stringify({
      kind: "skillorchestra.learning.selection",
      lambda: 0.2,
      candidates: [
        { id: "all", evaluation: { accuracy: 0.9, meanCostUsd: 0.001, objective: 0.6 }, file: "H.candidates/all.json" },
        { id: "one", evaluation: { accuracy: 0.8, meanCostUsd: 0.001, objective: 0.7 }, file: "H.candidates/one.json" },
      ],
    }),
  );
}, 90_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The deployed graph's wiring, compiled once with `store`, run with a context naming a published handbook. */
function servingGraph(store: BaseStore, checkpointer?: MemorySaver) {
  return buildOrchestratorGraph(contextResolver({ agentFactory: buildPoolAgents }))
    .compile({ store, ...(checkpointer ? { checkpointer } : {}) })
    .withConfig({ recursionLimit: RECURSION_LIMIT });
}

type Graph = ReturnType<typeof servingGraph>;

async function runWith(graph: Graph, handbook: string): Promise<OrchestratorStateType> {
  return (await graph.invoke(task(), {
    context: { handbook, pool: files.pool } as OrchestratorContextType,
  })) as OrchestratorStateType;
}

const versionsOf = (s: OrchestratorStateType) => [...new Set(s.decisions.map((d) => d.handbookVersion))];
const chosenOf = (s: OrchestratorStateType) => [...new Set(s.decisions.map((d) => d.record.chosen))];

describe("serving store:NAME from the run's store", () => {
  it("serves the current version; a publish, then a rollback, apply from the next run of the same graph", async () => {
    const store = new InMemoryStore();
    await publishHandbook(store, "demo", readPublication(files.v1));
    const graph = servingGraph(store);

    const a = await runWith(graph, "store:demo");
    expect(a.finalAnswer).not.toBeNull();
    expect(versionsOf(a)).toEqual(["demo@v1"]);
    expect(a.decisions[0]!.record.chosen).toBe(v1First);

    await publishHandbook(store, "demo", readPublication(files.v2));
    const b = await runWith(graph, "store:demo");
    expect(versionsOf(b)).toEqual(["demo@v2"]);
    expect(chosenOf(b)).toEqual([only]);

    // A context may name a version: v1 while v2 is served.
    const pinned = await runWith(graph, "store:demo@v1");
    expect(versionsOf(pinned)).toEqual(["demo@v1"]);

    await rollback(store, "demo");
    const c = await runWith(graph, "store:demo");
    expect(versionsOf(c)).toEqual(["demo@v1"]);
    expect(c.decisions.map((d) => d.record.chosen)).toEqual(a.decisions.map((d) => d.record.chosen));
  });

  it("reads a file store another process writes: a new version is served without rebuilding the graph", async () => {
    const path = join(dir, "handbooks.json");
    // The publisher (the CLI, in another process) and the server each have their own FileStore on the file.
    const publisher = new FileStore(path);
    await publishHandbook(publisher, "demo", readPublication(files.v1));
    const graph = servingGraph(new FileStore(path));
    expect(versionsOf(await runWith(graph, "store:demo"))).toEqual(["demo@v1"]);
    await publishHandbook(publisher, "demo", readPublication(files.v2));
    const b = await runWith(graph, "store:demo");
    expect(versionsOf(b)).toEqual(["demo@v2"]);
    expect(chosenOf(b)).toEqual([only]);
    await rollback(publisher, "demo");
    expect(versionsOf(await runWith(graph, "store:demo"))).toEqual(["demo@v1"]);
  });

  it("createOrchestrator serves a published handbook from the store it is compiled with", async () => {
    const store = new InMemoryStore();
    await publishHandbook(store, "embedded", readPublication(files.v1));
    const graph = await createOrchestrator({ handbook: "store:embedded", store, agents: fx.agents, search: fx.search });
    expect(versionsOf((await graph.invoke(task())) as OrchestratorStateType)).toEqual(["embedded@v1"]);
    await publishHandbook(store, "embedded", readPublication(files.v2));
    const b = (await graph.invoke(task())) as OrchestratorStateType;
    expect(versionsOf(b)).toEqual(["embedded@v2"]);
    expect(chosenOf(b)).toEqual([only]);
  });

  it("a published selection is served too: the run's λ picks its candidate, and decisions name both", async () => {
    const store = new InMemoryStore();
    await publishHandbook(store, "learned", readPublication(files.learned));
    const s = await runWith(servingGraph(store), "store:learned");
    expect(versionsOf(s)).toEqual(["learned@v1"]);
    expect([...new Set(s.decisions.map((d) => d.candidate))]).toEqual(["one"]);
    expect(chosenOf(s)).toEqual([only]);
  });

  it("a run keeps the version it started with, across an interrupt and a publish; the next run gets the new one", async () => {
    const store = new InMemoryStore();
    await publishHandbook(store, "paused", readPublication(files.v1));
    const graph = await createOrchestrator({
      handbook: "store:paused",
      store,
      agents: fx.agents,
      search: fx.search,
      checkpointer: new MemorySaver(),
      // Every step is over this budget: each one waits for approval.
      defaults: { budgetUsd: 1e-12, ask: true },
    });
    const thread = { configurable: { thread_id: "paused-1" } };
    await graph.invoke(task(), thread);
    expect((await graph.getState(thread)).next).toEqual(["approve"]);
    await publishHandbook(store, "paused", readPublication(files.v2));
    let s: OrchestratorStateType | undefined;
    for (let i = 0; i < 20 && (await graph.getState(thread)).next.includes("approve"); i++)
      s = (await graph.invoke(new Command({ resume: { action: "approve" } }), thread)) as OrchestratorStateType;
    expect((await graph.getState(thread)).next).toEqual([]);
    expect(s!.decisions.length).toBeGreaterThan(1);
    expect(versionsOf(s!)).toEqual(["paused@v1"]);

    const next = { configurable: { thread_id: "paused-2" } };
    await graph.invoke(task(), next);
    const pending = (await graph.getState(next)).values as OrchestratorStateType;
    expect(pending.pending?.decision.handbookVersion).toBe("paused@v2");
  });

  it("an unknown name or version, or no store, fails the run with one line naming it", async () => {
    const store = new InMemoryStore();
    await publishHandbook(store, "demo", readPublication(files.v1));
    const graph = servingGraph(store);
    await expect(runWith(graph, "store:nope")).rejects.toThrow(
      'store:nope: no handbook "nope" is published in the store (published: demo)',
    );
    await expect(runWith(graph, "store:demo@v7")).rejects.toThrow(
      'store:demo@v7: no version v7 of handbook "demo" (versions: v1)',
    );
    const storeless = buildOrchestratorGraph(contextResolver({ agentFactory: buildPoolAgents })).compile();
    await expect(
      storeless.invoke(task(), { context: { handbook: "store:demo", pool: files.pool } as OrchestratorContextType }),
    ).rejects.toThrow("store:demo: the run has no store to read the handbook from");
    await expect(createOrchestrator({ handbook: "store:bad name", agents: fx.agents })).rejects.toThrow(
      "store:bad name: not a published handbook",
    );
  });
});
