import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";
import { saveHandbook } from "../../handbook/index.js";
import { profileByTask } from "../../src/demo/profile.js";
import { explore, simExploreTasks, simRunner } from "../../src/explore/index.js";
import { savePool } from "../../src/pool/load.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { loadRecords } from "../../src/records/io.js";
import { createWorld } from "../../src/sim/index.js";

/**
 * The deployed graph behind the real `langgraphjs dev` server, driven over HTTP with the SDK's Client: a streamed run
 * with decision events, an interrupt before a step over budget and its resume, and the schemas Studio shows.
 */

interface DecisionEvent {
  type: "decision";
  step: number;
  mode: string;
  policy: string;
  expectedCostUsd: number;
  record: { chosen: string | null; candidates: { agent: string; score: number }[] };
  human?: string;
}

interface RunState {
  steps: { mode: string; agent: string }[];
  decisions: { step: number; mode: string; record: { chosen: string | null }; human?: string }[];
  costUsd: number;
  finalAnswer: string | null;
  stopReason: string | null;
}

let dir = "";
let dev: DevServer | undefined;
let client: Client;
let paths: { handbook: string; pool: string };
let tasks: { id: string; text: string; family: string }[];

/** A handbook profiled from a small exploration of the sim world, and its pool, written to a temp dir. */
async function writeHandbookAndPool(): Promise<void> {
  const world = createWorld({ seed: 7 });
  const full = world.pool();
  // Search and answer only: the runs stay quick (no sandbox start-ups inside the server).
  const pool = { ...full, agents: full.agents.map((a) => ({ ...a, modes: a.modes.filter((m) => m !== "code") })) };
  paths = { handbook: join(dir, "handbook.json"), pool: join(dir, "pool.json") };
  savePool(paths.pool, pool);
  const agents = await createAgents(pool, { world });
  const records = join(dir, "records.jsonl");
  const train = simExploreTasks(world, 12, "train");
  await explore({
    agents: [...agents.values()],
    tasks: train,
    modes: ["search", "answer"],
    run: simRunner(world),
    out: records,
    progress: false,
  });
  saveHandbook(paths.handbook, profileByTask(await loadRecords(records), pool));
  tasks = world.tasks(4, "test").map((t) => ({ id: t.id, text: t.text, family: t.family }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillorchestra-studio-"));
  await writeHandbookAndPool();
  dev = await startDevServer();
  client = dev.client;
}, DEV_SERVER_STARTUP_MS + 30_000);

afterAll(async () => {
  await dev?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 15_000);

/** Stream one run and collect its decision events and node updates. */
async function streamRun(
  threadId: string,
  payload: { input?: unknown; command?: { resume: unknown }; context: Record<string, unknown> },
) {
  const decisions: DecisionEvent[] = [];
  const updates: Record<string, unknown>[] = [];
  const other: string[] = [];
  for await (const chunk of client.runs.stream(threadId, "orchestrator", {
    ...payload,
    streamMode: ["custom", "updates"],
  } as never)) {
    const { event, data } = chunk as { event: string; data: unknown };
    if (event === "custom" && (data as { type?: string }).type === "decision") decisions.push(data as DecisionEvent);
    else if (event === "updates") updates.push(data as Record<string, unknown>);
    else if (event === "error") throw new Error(`run failed: ${JSON.stringify(data)}\n${dev?.output()}`);
    else other.push(event);
  }
  return { decisions, updates, other };
}

async function stateOf(threadId: string) {
  const s = await client.threads.getState(threadId);
  return { values: s.values as unknown as RunState, next: s.next, tasks: s.tasks };
}

describe("langgraphjs dev server", () => {
  it("streams a run with a decision event per step, then the final state", async () => {
    const task = tasks[0]!;
    const thread = await client.threads.create();
    const { decisions, updates } = await streamRun(thread.thread_id, {
      input: { task: { id: task.id, text: task.text, family: task.family } },
      context: { ...paths, lambda: 0.2, maxSteps: 4 },
    });
    const { values } = await stateOf(thread.thread_id);

    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) {
      expect(["search", "code", "answer"]).toContain(d.mode);
      expect(d.policy).toBe("offline");
      expect(d.record.candidates.length).toBeGreaterThan(0);
      expect(d.record.chosen).not.toBeNull();
      expect(d.record.candidates.map((c) => c.agent)).toContain(d.record.chosen);
      expect(d.expectedCostUsd).toBeGreaterThanOrEqual(0);
    }
    // One decision per step, in order, each naming the agent that then acted.
    expect(values.steps.length).toBe(decisions.length);
    expect(values.steps.map((s) => s.agent)).toEqual(decisions.map((d) => d.record.chosen));
    expect(values.decisions.map((d) => d.step)).toEqual(decisions.map((d) => d.step));
    // The updates stream names the nodes that ran: the orchestrator first, then the sub-agent node per step.
    const nodes = updates.flatMap((u) => Object.keys(u));
    expect(nodes[0]).toBe("orchestrate");
    expect(nodes.filter((n) => n !== "orchestrate")).toEqual(values.steps.map((s) => s.mode));
    expect(["answered", "forced_answer"]).toContain(values.stopReason);
    expect(values.finalAnswer).toBeTruthy();
    expect(values.costUsd).toBeGreaterThan(0);
  }, 60_000);

  it("interrupts before a step over budget when asking, and a resume with approve finishes the run", async () => {
    const task = tasks[0]!;
    const context = { ...paths, ask: true, budgetUsd: 1e-9 };
    const thread = await client.threads.create();
    const first = await streamRun(thread.thread_id, { input: { task: { id: task.id, text: task.text } }, context });

    // The run stopped at the interrupt: nothing acted yet, and the question names the step, agent and budget.
    const paused = await stateOf(thread.thread_id);
    expect(paused.next).toEqual(["approve"]);
    expect(paused.values.steps ?? []).toHaveLength(0);
    const interrupts = paused.tasks.flatMap((t) => t.interrupts);
    expect(interrupts).toHaveLength(1);
    const question = interrupts[0]!.value as {
      kind: string;
      step: number;
      agent: string;
      expectedCostUsd: number;
      budgetUsd: number;
    };
    expect(question.kind).toBe("approve_step");
    expect(question.step).toBe(0);
    expect(question.budgetUsd).toBe(1e-9);
    expect(question.expectedCostUsd).toBeGreaterThan(question.budgetUsd);
    expect(first.decisions).toHaveLength(0);
    expect(first.updates.some((u) => "__interrupt__" in u)).toBe(true);

    const second = await streamRun(thread.thread_id, { command: { resume: { action: "approve" } }, context });
    const again = await stateOf(thread.thread_id);
    expect(second.decisions).toHaveLength(1);
    expect(second.decisions[0]!.human).toBe("approved");
    expect(second.decisions[0]!.record.chosen).toBe(question.agent);
    // The approved step ran with the agent asked about; the budget is now spent, so the next step asks again.
    expect(again.values.steps).toHaveLength(1);
    expect(again.values.steps[0]!.agent).toBe(question.agent);
    expect(again.values.decisions[0]!.human).toBe("approved");
    expect(again.values.costUsd).toBeGreaterThan(1e-9);
    expect(again.next).toEqual(["approve"]);
    const next = again.tasks.flatMap((t) => t.interrupts)[0]!.value as { step: number; costSoFarUsd: number };
    expect(next.step).toBe(1);
    expect(next.costSoFarUsd).toBe(again.values.costUsd);

    await streamRun(thread.thread_id, { command: { resume: { action: "stop" } }, context });
    const done = await stateOf(thread.thread_id);
    expect(done.next).toEqual([]);
    expect(done.values.steps).toHaveLength(1);
    expect(done.values.stopReason).toBe("stopped_by_user");
  }, 60_000);

  it("a resume with stop ends the run with no step taken", async () => {
    const task = tasks[1]!;
    const context = { ...paths, ask: true, budgetUsd: 1e-9 };
    const thread = await client.threads.create();
    await streamRun(thread.thread_id, { input: { task: { id: task.id, text: task.text } }, context });
    expect((await stateOf(thread.thread_id)).next).toEqual(["approve"]);
    const resumed = await streamRun(thread.thread_id, { command: { resume: { action: "stop" } }, context });
    const done = await stateOf(thread.thread_id);
    expect(done.next).toEqual([]);
    expect(resumed.decisions).toHaveLength(0);
    expect(done.values.steps).toHaveLength(0);
    expect(done.values.stopReason).toBe("stopped_by_user");
    expect(done.values.finalAnswer).toBeNull();
  }, 60_000);

  it("serves the input schema (the task) and the context schema (handbook, pool, λ, …)", async () => {
    const [assistant] = await client.assistants.search({ graphId: "orchestrator" });
    expect(assistant).toBeDefined();
    const res = await fetch(`${dev!.url}/assistants/${assistant!.assistant_id}/schemas`);
    expect(res.status).toBe(200);
    type Schema = {
      properties?: Record<string, { $ref?: string; properties?: Record<string, unknown> }>;
      definitions?: Record<string, { properties?: Record<string, unknown> }>;
      $defs?: Record<string, { properties?: Record<string, unknown> }>;
    };
    const body = (await res.json()) as {
      graph_id: string;
      input_schema?: Schema;
      output_schema?: Schema;
      context_schema?: Schema;
    };
    expect(body.graph_id).toBe("orchestrator");

    const input = body.input_schema!;
    expect(Object.keys(input.properties ?? {}).sort()).toEqual(["settings", "task"]);
    const taskSchema = input.properties!.task!;
    const taskRef = taskSchema.$ref?.replace(/^#\/(\$defs|definitions)\//, "");
    const taskFields = taskRef
      ? (input.$defs?.[taskRef] ?? input.definitions?.[taskRef])?.properties
      : taskSchema.properties;
    expect(Object.keys(taskFields ?? {})).toEqual(expect.arrayContaining(["id", "text"]));
    // The full state is the output, kept apart from the narrow input.
    expect(Object.keys(body.output_schema?.properties ?? {})).toEqual(
      expect.arrayContaining(["steps", "decisions", "costUsd", "finalAnswer", "stopReason"]),
    );

    const context = Object.keys(body.context_schema?.properties ?? {});
    expect(context).toEqual(
      expect.arrayContaining([
        "handbook",
        "pool",
        "lambda",
        "budgetUsd",
        "strategy",
        "estimator",
        "maxSteps",
        "orchestratorModel",
        "ask",
      ]),
    );
  }, 90_000);
});
