import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";
import { saveHandbook } from "../../handbook/index.js";
import { profileByTask } from "../../src/demo/profile.js";
import { explore, simExploreTasks, simRunner } from "../../src/explore/index.js";
import { savePool } from "../../src/pool/load.js";
import { loadRecords } from "../../src/records/io.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { createWorld } from "../../src/sim/index.js";
import { loadPool } from "../../src/pool/load.js";
import { ROOT } from "../support/cli.js";

/**
 * The deployed graph stands alone behind the real `langgraphjs dev` server: with neither context nor environment a
 * run fails with one error naming what to set (and no step taken); with SKILLORCHESTRA_HANDBOOK and
 * SKILLORCHESTRA_POOL in the server's environment a run needs no context, over a pool of sim agents, and a context
 * path still wins over the environment's. With none of them in the server's environment, as on a fresh clone,
 * langgraph.json's `env` gives the simulated example (examples/sim/): a run with an empty context answers free text,
 * every step simulated.
 */

const VARS = ["SKILLORCHESTRA_HANDBOOK", "SKILLORCHESTRA_POOL", "SKILLORCHESTRA_CORPUS"] as const;
const NO_BOTH =
  `orchestrator: no handbook, no pool: set the context's "handbook" (a handbook JSON path) or SKILLORCHESTRA_HANDBOOK, ` +
  `and the context's "pool" (a pool file path, JSON or YAML) or SKILLORCHESTRA_POOL`;
const NO_HANDBOOK = `orchestrator: no handbook: set the context's "handbook" (a handbook JSON path) or SKILLORCHESTRA_HANDBOOK`;

interface RunState {
  steps?: { mode: string; agent: string; simulated: boolean; costUsd: number }[];
  finalAnswer?: string | null;
  stopReason?: string | null;
}

/**
 * `langgraphjs dev` with `vars` in its environment. Each SKILLORCHESTRA_* variable not given is set empty, so neither
 * the test's environment nor a `.env` file of the tree (which never overrides a variable already set) gives it.
 */
function startWith(vars: Partial<Record<(typeof VARS)[number], string>>): Promise<DevServer> {
  const env: Record<string, string> = {};
  for (const name of VARS) env[name] = vars[name] ?? "";
  return startDevServer(env);
}

/** Stream one run of the orchestrator: the error events it ended with, and the thread's state after it. */
async function runOnce(server: DevServer, input: unknown, context?: Record<string, unknown>) {
  const thread = await server.client.threads.create();
  const errors: { error?: string; message?: string }[] = [];
  for await (const chunk of server.client.runs.stream(thread.thread_id, "orchestrator", {
    input,
    ...(context ? { context } : {}),
    streamMode: ["updates"],
  } as never)) {
    const { event, data } = chunk as { event: string; data: unknown };
    if (event === "error") errors.push(data as { error?: string; message?: string });
  }
  const values = (await server.client.threads.getState(thread.thread_id)).values as unknown as RunState;
  return { errors, values };
}

let dir = "";
let files: { handbook: string; pool: string };
let task: { id: string; text: string; family: string };
let simAgents: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillorchestra-deploy-env-"));
  // A handbook profiled from a small exploration of the sim world, and its pool (search and answer only: quick runs).
  const world = createWorld({ seed: 7 });
  const full = world.pool();
  const pool = { ...full, agents: full.agents.map((a) => ({ ...a, modes: a.modes.filter((m) => m !== "code") })) };
  files = { handbook: join(dir, "handbook.json"), pool: join(dir, "pool.json") };
  savePool(files.pool, pool);
  simAgents = pool.agents.map((a) => a.id);
  const agents = await createAgents(pool, { world });
  const records = join(dir, "records.jsonl");
  await explore({
    agents: [...agents.values()],
    tasks: simExploreTasks(world, 12, "train"),
    modes: ["search", "answer"],
    run: simRunner(world),
    out: records,
    progress: false,
  });
  saveHandbook(files.handbook, profileByTask(await loadRecords(records), pool));
  const t = world.tasks(24, "test").find((x) => x.family === "capital_lookup")!;
  task = { id: t.id, text: t.text, family: t.family };
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("deployed graph with neither context nor environment", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startWith({});
  }, DEV_SERVER_STARTUP_MS + 30_000);
  afterAll(() => server?.stop(), 15_000);

  it("a run fails with one error naming what to set, and takes no step", async () => {
    const { errors, values } = await runOnce(server, { task });
    expect(errors).toEqual([{ error: "InputError", message: NO_BOTH }]);
    expect(values.steps ?? []).toHaveLength(0);
    expect(values.finalAnswer ?? null).toBeNull();
  }, 60_000);

  it("a run whose context gives the pool but no handbook names the handbook only", async () => {
    const { errors } = await runOnce(server, { task }, { pool: files.pool });
    expect(errors).toEqual([{ error: "InputError", message: NO_HANDBOOK }]);
  }, 60_000);

  it("a run whose context gives both files runs", async () => {
    const { errors, values } = await runOnce(server, { task }, { ...files, maxSteps: 4 });
    expect(errors).toEqual([]);
    expect(["answered", "forced_answer"]).toContain(values.stopReason);
  }, 60_000);
});

describe("deployed graph with SKILLORCHESTRA_HANDBOOK and SKILLORCHESTRA_POOL in the server's environment", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startWith({ SKILLORCHESTRA_HANDBOOK: files.handbook, SKILLORCHESTRA_POOL: files.pool });
  }, DEV_SERVER_STARTUP_MS + 30_000);
  afterAll(() => server?.stop(), 15_000);

  it("a run with no context answers with the environment's handbook and pool of sim agents", async () => {
    const { errors, values } = await runOnce(server, { task });
    expect(errors).toEqual([]);
    expect(values.stopReason).toBe("answered");
    expect(values.finalAnswer).toBeTruthy();
    expect(values.steps!.length).toBeGreaterThan(0);
    for (const s of values.steps!) expect(simAgents).toContain(s.agent);
  }, 60_000);

  it("the context's path wins over the environment's", async () => {
    const missing = join(dir, "no-such-pool.json");
    const { errors, values } = await runOnce(server, { task }, { pool: missing });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(missing);
    expect(values.steps ?? []).toHaveLength(0);
  }, 60_000);
});

describe("deployed graph on a fresh clone: none of the variables set, langgraph.json's env gives the simulated example", () => {
  let server: DevServer;
  beforeAll(async () => {
    // Unset (not empty): the server's environment lacks them, so langgraph.json's env fills them in.
    server = await startDevServer(Object.fromEntries(VARS.map((name) => [name, undefined])));
  }, DEV_SERVER_STARTUP_MS + 30_000);
  afterAll(() => server?.stop(), 15_000);

  it("a run with an empty context answers free text with the example's sim agents, every step simulated", async () => {
    const example = loadPool(join(ROOT, "examples/sim/pool.json")).agents.map((a) => a.id);
    const { errors, values } = await runOnce(
      server,
      { task: { id: "q1", text: "What is the capital of France?" } },
      {},
    );
    expect(errors).toEqual([]);
    expect(values.stopReason).toBe("answered");
    expect(values.finalAnswer).toBeTruthy();
    expect(values.steps!.length).toBeGreaterThan(0);
    for (const s of values.steps!) {
      expect(example).toContain(s.agent);
      expect(s.simulated).toBe(true);
      expect(s.costUsd).toBeGreaterThan(0);
    }
  }, 60_000);
});
