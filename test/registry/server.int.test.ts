import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook, type Handbook } from "../../handbook/index.js";
import { savePool } from "../../src/pool/load.js";
import { startCli } from "../support/cli.js";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";
import { buildSimFixture, testTask } from "../orchestrator/fixture.js";

/**
 * Versioned handbooks on a running `langgraphjs dev` server: the server is started once with
 * SKILLORCHESTRA_HANDBOOK=store:NAME; `skillorchestra handbook publish | rollback --store http://…` (real
 * subprocesses) change the version its store serves, and the next run through the server's API is routed by it,
 * every decision naming the version. The server is never restarted.
 */

interface RunState {
  decisions?: { handbookVersion?: string; record: { chosen: string | null } }[];
  stopReason?: string | null;
}

let dir = "";
let files: { v1: string; v2: string; pool: string };
let task: { id: string; text: string; family: string };
let only = "";
// A name of this run's own: the dev server keeps its store in the tree (.langgraph_api) across runs.
const name = `srv${Date.now().toString(36)}`;

beforeAll(async () => {
  const fx = await buildSimFixture();
  dir = mkdtempSync(join(tmpdir(), "registry-server-"));
  files = { v1: join(dir, "v1.json"), v2: join(dir, "v2.json"), pool: join(dir, "pool.json") };
  savePool(files.pool, fx.pool);
  saveHandbook(files.v1, fx.handbook);
  only = fx.pool.agents.find((a) => a.modes.length === 3 && a.id in fx.handbook.agents)!.id;
  const v2: Handbook = { ...fx.handbook, agents: { [only]: fx.handbook.agents[only]! } };
  saveHandbook(files.v2, v2);
  const t = testTask(fx.world, "capital_lookup");
  task = { id: t.id, text: t.text, family: t.family };
}, 90_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  const r = await startCli(["handbook", ...args]).done;
  return r;
}

describe("a running server serves the version published to its store", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startDevServer({
      SKILLORCHESTRA_HANDBOOK: `store:${name}`,
      SKILLORCHESTRA_POOL: files.pool,
      SKILLORCHESTRA_CORPUS: "",
    });
  }, DEV_SERVER_STARTUP_MS + 30_000);
  afterAll(async () => {
    // The dev server keeps its store in the tree: take this run's items out of it.
    if (server) {
      const ns = ["skillorchestra", "handbooks", name];
      await Promise.all(["v1", "v2", "versions", "current"].map((k) => server.client.store.deleteItem(ns, k)));
      const names = await server.client.store.getItem(["skillorchestra", "handbooks"], "names");
      if (names)
        await server.client.store.putItem(["skillorchestra", "handbooks"], "names", {
          ...names.value,
          names: (names.value.names as string[]).filter((n) => n !== name),
        });
    }
    await server?.stop();
  }, 30_000);

  async function run(context?: Record<string, unknown>) {
    const thread = await server.client.threads.create();
    const errors: { message?: string }[] = [];
    for await (const chunk of server.client.runs.stream(thread.thread_id, "orchestrator", {
      input: { task },
      ...(context ? { context } : {}),
      streamMode: ["updates"],
    } as never)) {
      const { event, data } = chunk as { event: string; data: unknown };
      if (event === "error") errors.push(data as { message?: string });
    }
    const values = (await server.client.threads.getState(thread.thread_id)).values as unknown as RunState;
    const versions = [...new Set((values.decisions ?? []).map((d) => d.handbookVersion))];
    const chosen = [...new Set((values.decisions ?? []).map((d) => d.record.chosen))];
    return { errors, values, versions, chosen };
  }

  it("before anything is published, a run fails with one line naming the handbook", async () => {
    const { errors, values } = await run();
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(new RegExp(`^store:${name}: no handbook "${name}" is published in the store`)),
    ]);
    expect(values.decisions ?? []).toEqual([]);
  }, 60_000);

  it("publish, publish again, rollback: each next run is routed by the version served", async () => {
    const p1 = await cli(["publish", files.v1, "--name", name, "--store", server.url]);
    expect(p1.stderr).toBe("");
    expect(p1.code).toBe(0);
    expect(p1.stdout).toContain(`published ${name}@v1`);
    expect(p1.stdout).toContain(`serving ${name}@v1`);
    const a = await run();
    expect(a.errors).toEqual([]);
    expect(a.values.stopReason).toBe("answered");
    expect(a.versions).toEqual([`${name}@v1`]);

    const p2 = await cli(["publish", files.v2, "--name", name, "--store", server.url]);
    expect(p2.code).toBe(0);
    expect(p2.stdout).toContain(`serving ${name}@v2 (was v1)`);
    const b = await run();
    expect(b.versions).toEqual([`${name}@v2`]);
    expect(b.chosen).toEqual([only]);

    // A context naming a version is served that version, whatever is current.
    expect((await run({ handbook: `store:${name}@v1` })).versions).toEqual([`${name}@v1`]);

    const list = await cli(["list", "--name", name, "--store", server.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\s+v1 /m);
    expect(list.stdout).toMatch(/^\* v2 /m);

    const back = await cli(["rollback", "--name", name, "--store", server.url]);
    expect(back.code).toBe(0);
    expect(back.stdout).toBe(`serving ${name}@v1 (was v2) in ${server.url}\n`);
    const c = await run();
    expect(c.versions).toEqual([`${name}@v1`]);
    expect(c.chosen).toEqual(a.chosen);
  }, 240_000);
});
