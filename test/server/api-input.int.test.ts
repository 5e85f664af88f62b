/**
 * Malformed API input for the orchestrator, against the real `langgraphjs dev` server (langgraph.json's `http.app`,
 * src/deploy/http.ts): a bad task or setting, sent by plain HTTP or the SDK, by graph id, the default assistant's
 * UUID or an assistant made from the graph, gets HTTP 422 with one line naming the field, and no run is queued. A
 * good input on the same thread then runs; runs of the learning graph and cancel routes pass through unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCreateError } from "../../src/deploy/http.js";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
}, DEV_SERVER_STARTUP_MS + 30_000);
afterAll(async () => {
  await server?.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const task = { id: "q1", text: "What is the capital of France?" };

describe("runCreateError (the check, pure)", () => {
  it("names the first bad field; resumes, empty inputs and good ones pass", () => {
    expect(runCreateError({ input: { task: "not an object" } })).toBe(
      'input: $.task: expected an object {"id": "...", "text": "..."}',
    );
    expect(runCreateError({ input: { task: { id: "a", text: "" } } })).toBe("input: $.task.text: must not be empty");
    expect(runCreateError({ input: { task, settings: { lambda: -1 } } })).toMatch(/^input: \$\.settings\.lambda: /);
    expect(runCreateError({ input: [1, 2] })).toMatch(/^input: \$: expected an object/);
    expect(runCreateError({ input: { task }, context: { exploreRate: 3 } })).toBe(
      "context exploreRate: must be a number in [0, 1], got 3",
    );
    expect(runCreateError({ input: { task }, context: "x" })).toBe("context: expected an object");
    expect(runCreateError({ input: null })).toBeUndefined();
    expect(runCreateError({ input: { task }, context: { lambda: 0.3 } })).toBeUndefined();
  });
});

describe("the server answers malformed orchestrator input with 422", () => {
  it("by graph id, default assistant and a made assistant, on thread and threadless routes; nothing is queued", async () => {
    const thread = await server.client.threads.create();
    const assistants = await server.client.assistants.search({ graphId: "orchestrator" });
    const made = await server.client.assistants.create({ graphId: "orchestrator", name: "api-input test" });
    const ids = ["orchestrator", assistants[0]!.assistant_id, made.assistant_id];
    const paths = [
      `/threads/${thread.thread_id}/runs`,
      `/threads/${thread.thread_id}/runs/wait`,
      `/threads/${thread.thread_id}/runs/stream`,
      "/runs/wait",
    ];
    for (const assistant_id of ids)
      for (const path of paths) {
        const r = await post(path, { assistant_id, input: { task: "not an object" } });
        expect(r.status, `${assistant_id} ${path}`).toBe(422);
        expect(await r.text()).toBe('input: $.task: expected an object {"id": "...", "text": "..."}');
      }
    const badContext = await post(`/threads/${thread.thread_id}/runs/wait`, {
      assistant_id: "orchestrator",
      input: { task },
      context: { exploreRate: 2 },
    });
    expect(badContext.status).toBe(422);
    expect(await badContext.text()).toBe("context exploreRate: must be a number in [0, 1], got 2");
    const batch = await post("/runs/batch", [
      { assistant_id: "orchestrator", input: { task } },
      { assistant_id: "orchestrator", input: { task: { id: "x" } } },
    ]);
    expect(batch.status).toBe(422);
    expect(await batch.text()).toMatch(/^runs\[1\]: input: \$\.task\.text: /);
    // None of them queued a run.
    expect(await server.client.runs.list(thread.thread_id)).toEqual([]);
  }, 120_000);

  it("the SDK sees the same one line; a good input on the same thread then runs to an answer", async () => {
    const thread = await server.client.threads.create();
    const bad = server.client.runs.wait(thread.thread_id, "orchestrator", {
      input: { task: { id: "q", text: 42 } },
    });
    await expect(bad).rejects.toThrow(/input: \$\.task\.text: expected a string/);
    const good = (await server.client.runs.wait(thread.thread_id, "orchestrator", { input: { task } })) as {
      stopReason?: string;
      finalAnswer?: string | null;
    };
    expect(good.stopReason).toBe("answered");
    expect(good.finalAnswer).toBeTruthy();
  }, 120_000);

  it("other routes and graphs pass through: the server's own checks answer them", async () => {
    // Not a run of the orchestrator: the learning graph's input is not checked here (its own run checks it).
    const thread = await server.client.threads.create();
    const learning = await post(`/threads/${thread.thread_id}/runs`, { assistant_id: "learning", input: {} });
    expect(learning.status).toBe(200);
    await server.client.runs.cancel(thread.thread_id, ((await learning.json()) as { run_id: string }).run_id);
    // The server's own validation of the request shape still answers what is not JSON.
    const notJson = await fetch(`${server.url}/runs/wait`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(notJson.status).toBeGreaterThanOrEqual(400);
    expect(notJson.status).toBeLessThan(500);
  }, 120_000);
});
