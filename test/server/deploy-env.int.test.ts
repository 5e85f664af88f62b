import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import { profileByTask } from "../../src/demo/profile.js";
import { explore, simExploreTasks, simRunner } from "../../src/explore/index.js";
import { savePool } from "../../src/pool/load.js";
import { loadRecords } from "../../src/records/io.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { createWorld } from "../../src/sim/index.js";

/**
 * The deployed graph stands alone behind the real `langgraphjs dev` server: with neither context nor environment a
 * run fails with one error naming what to set (and no step taken); with SKILLORCHESTRA_HANDBOOK and
 * SKILLORCHESTRA_POOL in the server's environment a run needs no context, over a pool of sim agents, and a context
 * path still wins over the environment's.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const STARTUP_MS = 90_000;
const VARS = ["SKILLORCHESTRA_HANDBOOK", "SKILLORCHESTRA_POOL", "SKILLORCHESTRA_CORPUS"] as const;
const NO_BOTH =
  `orchestrator: no handbook, no pool: set the context's "handbook" (a handbook JSON path) or SKILLORCHESTRA_HANDBOOK, ` +
  `and the context's "pool" (a pool file path, JSON or YAML) or SKILLORCHESTRA_POOL`;
const NO_HANDBOOK = `orchestrator: no handbook: set the context's "handbook" (a handbook JSON path) or SKILLORCHESTRA_HANDBOOK`;

interface RunState {
  steps?: { mode: string; agent: string }[];
  finalAnswer?: string | null;
  stopReason?: string | null;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

interface DevServer {
  client: Client;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * `langgraphjs dev` with `vars` in its environment. Each SKILLORCHESTRA_* variable not given is set empty, so neither
 * the test's environment nor a `.env` file of the tree (which never overrides a variable already set) gives it.
 */
async function startDevServer(vars: Partial<Record<(typeof VARS)[number], string>>): Promise<DevServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = { ...process.env, BROWSER: "none", LANGGRAPH_CLI_NO_ANALYTICS: "1", LANGSMITH_TRACING: "false", LANGCHAIN_TRACING_V2: "false" };
  for (const name of VARS) env[name] = vars[name] ?? "";
  // --no-reload: other files of the tree may change during the test; the server must not restart under it.
  const child: ChildProcess = spawn("npx", ["langgraphjs", "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async () => {
    if (!child.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/ok`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dev server did not answer within ${STARTUP_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { client: new Client({ apiUrl: url }), output: () => output, stop };
}

/** Stream one run of the orchestrator: the error events it ended with, and the thread's state after it. */
async function runOnce(server: DevServer, input: unknown, context?: Record<string, unknown>) {
  const thread = await server.client.threads.create();
  const errors: { error?: string; message?: string }[] = [];
  for await (const chunk of server.client.runs.stream(thread.thread_id, "orchestrator", { input, ...(context ? { context } : {}), streamMode: ["updates"] } as never)) {
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
  await explore({ agents: [...agents.values()], tasks: simExploreTasks(world, 12, "train"), modes: ["search", "answer"], run: simRunner(world), out: records, progress: false });
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
    server = await startDevServer({});
  }, STARTUP_MS + 30_000);
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
    server = await startDevServer({ SKILLORCHESTRA_HANDBOOK: files.handbook, SKILLORCHESTRA_POOL: files.pool });
  }, STARTUP_MS + 30_000);
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
