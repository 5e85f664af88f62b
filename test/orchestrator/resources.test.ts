/**
 * Where a run's handbook, pool and corpus come from (the context, else SKILLORCHESTRA_* in the environment, else one
 * error naming what to set), and the deployed graph over a pool of sim agents, in-process: no server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import type { OrchestratorContextType } from "../../graphs/orchestrator/configuration.js";
import { contextResolver, createOrchestrator } from "../../graphs/orchestrator/graph.js";
import { resourcePaths, type AgentFactory } from "../../graphs/orchestrator/resources.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { InputError } from "../../src/core/errors.js";
import { deployedResolver, graph, buildPoolAgents } from "../../src/deploy/orchestrator.js";
import { savePool } from "../../src/pool/load.js";
import { buildSimFixture, inputOf, testTask, type SimFixture } from "./fixture.js";

const NO_HANDBOOK = `orchestrator: no handbook: set the context's "handbook" (a handbook JSON path) or SKILLORCHESTRA_HANDBOOK`;
const NO_POOL = `orchestrator: no pool: set the context's "pool" (a pool file path, JSON or YAML) or SKILLORCHESTRA_POOL`;
const NO_BOTH =
  `orchestrator: no handbook, no pool: set the context's "handbook" (a handbook JSON path) or SKILLORCHESTRA_HANDBOOK, ` +
  `and the context's "pool" (a pool file path, JSON or YAML) or SKILLORCHESTRA_POOL`;

const ENV = {
  SKILLORCHESTRA_HANDBOOK: "/env/h.json",
  SKILLORCHESTRA_POOL: "/env/p.json",
  SKILLORCHESTRA_CORPUS: "/env/c.jsonl",
};

describe("resourcePaths: context, then environment, then one error", () => {
  it("takes each path from the context when it gives one, else from the environment", () => {
    expect(resourcePaths({ handbook: "/ctx/h.json", pool: "/ctx/p.json", corpus: "/ctx/c.jsonl" }, ENV)).toEqual({
      handbook: "/ctx/h.json",
      pool: "/ctx/p.json",
      corpus: "/ctx/c.jsonl",
    });
    expect(resourcePaths({ pool: "/ctx/p.json" }, ENV)).toEqual({
      handbook: "/env/h.json",
      pool: "/ctx/p.json",
      corpus: "/env/c.jsonl",
    });
    expect(resourcePaths(undefined, ENV)).toEqual({
      handbook: "/env/h.json",
      pool: "/env/p.json",
      corpus: "/env/c.jsonl",
    });
    expect(resourcePaths({ handbook: "/ctx/h.json", pool: "/ctx/p.json", orchestratorModel: "router" }, {})).toEqual({
      handbook: "/ctx/h.json",
      pool: "/ctx/p.json",
      orchestratorModel: "router",
    });
  });

  it("treats an empty value as unset", () => {
    expect(resourcePaths({ handbook: "", pool: "" }, ENV)).toEqual({
      handbook: "/env/h.json",
      pool: "/env/p.json",
      corpus: "/env/c.jsonl",
    });
    expect(() => resourcePaths({}, { SKILLORCHESTRA_HANDBOOK: "", SKILLORCHESTRA_POOL: "/env/p.json" })).toThrow(
      NO_HANDBOOK,
    );
  });

  it("without a handbook or a pool, fails with one line naming the context field and the variable to set", () => {
    const error = (c: Parameters<typeof resourcePaths>[0], env: Record<string, string>) => {
      try {
        resourcePaths(c, env);
      } catch (err) {
        return err;
      }
      throw new Error("no error");
    };
    const none = error(undefined, {});
    expect(none).toBeInstanceOf(InputError);
    expect((none as Error).message).toBe(NO_BOTH);
    expect((error({ pool: "/ctx/p.json" }, {}) as Error).message).toBe(NO_HANDBOOK);
    expect((error({}, { SKILLORCHESTRA_HANDBOOK: "/env/h.json" }) as Error).message).toBe(NO_POOL);
    expect((error({ handbook: "/ctx/h.json" }, { SKILLORCHESTRA_CORPUS: "/env/c.jsonl" }) as Error).message).toBe(
      NO_POOL,
    );
  });

  it("a resolver fails before any agent is built, and reads no environment unless given one", async () => {
    const factory = vi.fn<AgentFactory>();
    await expect(contextResolver({ agentFactory: factory })({})).rejects.toThrow(NO_BOTH);
    vi.stubEnv("SKILLORCHESTRA_HANDBOOK", "/env/h.json");
    vi.stubEnv("SKILLORCHESTRA_POOL", "/env/p.json");
    await expect(contextResolver({ agentFactory: factory })({})).rejects.toThrow(NO_BOTH);
    vi.unstubAllEnvs();
    expect(factory).not.toHaveBeenCalled();
  });
});

describe("the deployed graph (src/deploy/orchestrator.ts) over a pool of sim agents", () => {
  let fx: SimFixture;
  let dir: string;
  let files: { handbook: string; pool: string };

  beforeAll(async () => {
    fx = await buildSimFixture();
    dir = mkdtempSync(join(tmpdir(), "deploy-resources-"));
    files = { handbook: join(dir, "handbook.json"), pool: join(dir, "pool.json") };
    saveHandbook(files.handbook, fx.handbook);
    savePool(files.pool, fx.pool);
  }, 60_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("loads handbook and pool from the environment, the sim agents and their world's corpus with them", async () => {
    const r = await deployedResolver({ SKILLORCHESTRA_HANDBOOK: files.handbook, SKILLORCHESTRA_POOL: files.pool })({});
    expect([...r.agents.keys()]).toEqual(fx.pool.agents.map((a) => a.id));
    expect([...r.agents.values()].every((a) => a.spec.provider === "sim")).toBe(true);
    expect(r.search).toBeDefined();
    expect(r.handbook.agents).toEqual(fx.handbook.agents);
  });

  it("the context's path wins over the environment's", async () => {
    const missing = join(dir, "absent.json");
    const resolve = deployedResolver({ SKILLORCHESTRA_HANDBOOK: files.handbook, SKILLORCHESTRA_POOL: missing });
    await expect(resolve({})).rejects.toThrow(missing);
    expect((await resolve({ pool: files.pool })).agents.size).toBe(fx.pool.agents.length);
    await expect(
      deployedResolver({ SKILLORCHESTRA_HANDBOOK: files.handbook, SKILLORCHESTRA_POOL: files.pool })({ pool: missing }),
    ).rejects.toThrow(missing);
  });

  it("a run with neither context nor environment fails with the one error, before any step", async () => {
    for (const name of ["SKILLORCHESTRA_HANDBOOK", "SKILLORCHESTRA_POOL", "SKILLORCHESTRA_CORPUS"])
      vi.stubEnv(name, "");
    const task = testTask(fx.world, "capital_lookup");
    await expect(graph.invoke(inputOf(task))).rejects.toThrow(NO_BOTH);
    await expect(
      graph.invoke(inputOf(task), { context: { pool: files.pool } as OrchestratorContextType }),
    ).rejects.toThrow(NO_HANDBOOK);
  });

  it("a run with the environment set answers a sim task, the same run as createOrchestrator's", async () => {
    vi.stubEnv("SKILLORCHESTRA_HANDBOOK", files.handbook);
    vi.stubEnv("SKILLORCHESTRA_POOL", files.pool);
    vi.stubEnv("SKILLORCHESTRA_CORPUS", "");
    const task = testTask(fx.world, "capital_lookup");
    const deployed = (await graph.invoke(inputOf(task))) as OrchestratorStateType;
    expect(deployed.stopReason).toBe("answered");
    expect(fx.world.check(task, deployed.finalAnswer!)).toBe(1);
    const embedded = (await (
      await createOrchestrator({ handbook: fx.handbook, pool: fx.pool, agentFactory: buildPoolAgents })
    ).invoke(inputOf(task))) as OrchestratorStateType;
    expect(embedded.steps.map((s) => [s.mode, s.agent])).toEqual(deployed.steps.map((s) => [s.mode, s.agent]));
    expect(embedded.finalAnswer).toBe(deployed.finalAnswer);
  }, 60_000);

  it("createOrchestrator without a factory that has the simulator refuses a sim pool, naming the agent", async () => {
    await expect(createOrchestrator({ handbook: fx.handbook, pool: fx.pool })).rejects.toThrow(
      `agent ${fx.pool.agents[0]!.id}: provider sim not available (sim agents are built by createAgents (src/sim/create-agents.ts))`,
    );
  });
});
