import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";
import { HandbookSchema, saveHandbook, type ConsultPlan } from "../../handbook/index.js";
import { profileByTask } from "../../src/demo/profile.js";
import { savePool } from "../../src/pool/load.js";
import type { Pool } from "../../src/pool/schema.js";
import { formatRecordLine } from "../../src/records/io.js";
import { ExecutionRecordSchema, type ExecutionRecord } from "../../src/records/schema.js";

/**
 * The deployed `orchestrator` graph (langgraph.json) behind the real `langgraphjs dev` server, with a handbook whose
 * consult rule asks cheap1, compares with cheap2 and escalates to strong, over replay agents whose recorded answers
 * agree on one task and disagree on another: the streamed decision events show the consultation, the escalation
 * and the accept, in order.
 */

interface ConsultEvent {
  type: "decision";
  step: number;
  policy: string;
  record: { chosen: string | null };
  consult?: {
    action: "first" | "consult" | "accept";
    state: string;
    plan: string[];
    pCorrect: number;
    reason: string;
    answers: { agent: string; key: string | null }[];
  };
}

interface RunState {
  steps: { mode: string; agent: string; input: string; costUsd: number }[];
  decisions: ConsultEvent[];
  costUsd: number;
  finalAnswer: string | null;
  stopReason: string | null;
}

let dir = "";
let dev: DevServer | undefined;
let client: Client;
let paths: { handbook: string; pool: string };

type Name = "cheap1" | "cheap2" | "strong";
const NAMES: Name[] = ["cheap1", "cheap2", "strong"];
const COST: Record<Name, number> = { cheap1: 0.0004, cheap2: 0.0006, strong: 0.005 };
const question = (topic: string) =>
  `Which of these is a ${topic}?\nA) granite\nB) oak\nC) salmon\nD) copper\nAnswer with the option letter.`;
/** Recorded answers: on "split" the cheap two disagree (strong is right); on "same" they agree. */
const TASKS = {
  split: {
    id: "split",
    text: question("fish"),
    answers: { cheap1: "A", cheap2: "B", strong: "C" } as Record<Name, string>,
  },
  same: {
    id: "same",
    text: question("tree"),
    answers: { cheap1: "B", cheap2: "B", strong: "B" } as Record<Name, string>,
  },
};

const beta = (alpha: number, b: number) => ({ alpha, beta: b });

/** Replay records, a pool of replay agents over them, and a handbook with a consult rule, in a temp dir. */
function writeResources(): void {
  const records: ExecutionRecord[] = [];
  for (const t of Object.values(TASKS))
    for (const agent of NAMES) {
      const score = t.answers[agent] === (t.id === "split" ? "C" : "B") ? 1 : 0;
      records.push(
        ExecutionRecordSchema.parse({
          queryId: t.id,
          query: t.text,
          task: "kinds",
          agent,
          mode: "answer",
          response: `Answer: ${t.answers[agent]}`,
          score,
          success: score === 1,
          promptTokens: 50,
          completionTokens: 3,
          costUsd: COST[agent],
          provider: "replay",
        }),
      );
    }
  const recordsPath = join(dir, "records.jsonl");
  writeFileSync(recordsPath, records.map(formatRecordLine).join(""));
  const pool: Pool = {
    version: 1,
    name: "consult replay",
    agents: NAMES.map((id) => ({
      id,
      modes: ["answer"],
      provider: "replay",
      model: id,
      price: { inputPer1M: 1, outputPer1M: 1 },
      replay: { records: recordsPath },
    })),
  };
  paths = { handbook: join(dir, "handbook.json"), pool: join(dir, "pool.json") };
  savePool(paths.pool, pool);
  const plan: ConsultPlan = {
    agents: [...NAMES],
    weights: [-0.1, 0.2, 2],
    costs: NAMES.map((a) => COST[a]),
    costScale: COST.strong,
    final: "vote",
    alone: beta(5, 5),
    agreeRate: beta(5, 5),
    agree: beta(18, 2),
    disagree: beta(3, 7),
    escalateAgree: beta(17, 3),
    escalateDisagree: beta(17, 3),
    labelled: 30,
  };
  const h = HandbookSchema.parse({
    ...profileByTask(records, pool),
    consult: { version: 1, maxCalls: 3, strength: 8, plans: { answer: [plan] } },
  });
  saveHandbook(paths.handbook, h);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillorchestra-consult-stream-"));
  writeResources();
  dev = await startDevServer();
  client = dev.client;
}, DEV_SERVER_STARTUP_MS + 30_000);

afterAll(async () => {
  await dev?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 15_000);

/** Stream one run of a task: its decision events and node updates, in arrival order, and the final state. */
async function streamTask(task: { id: string; text: string }, context: Record<string, unknown>) {
  const thread = await client.threads.create();
  const events: ({ kind: "decision"; d: ConsultEvent } | { kind: "update"; node: string })[] = [];
  for await (const chunk of client.runs.stream(thread.thread_id, "orchestrator", {
    input: { task },
    context,
    streamMode: ["custom", "updates"],
  } as never)) {
    const { event, data } = chunk as { event: string; data: unknown };
    if (event === "custom" && (data as { type?: string }).type === "decision")
      events.push({ kind: "decision", d: data as ConsultEvent });
    else if (event === "updates") for (const node of Object.keys(data as object)) events.push({ kind: "update", node });
    else if (event === "error") throw new Error(`run failed: ${JSON.stringify(data)}\n${dev?.output()}`);
  }
  const values = (await client.threads.getState(thread.thread_id)).values as unknown as RunState;
  const decisions = events.flatMap((e) => (e.kind === "decision" ? [e.d] : []));
  return { events, decisions, values };
}

describe("consult decisions streamed by the langgraphjs dev server", () => {
  it("the cheap two disagree: the stream shows the consult, the escalation to strong, then the accept", async () => {
    const { split } = TASKS;
    const { events, decisions, values } = await streamTask(
      { id: split.id, text: split.text },
      { ...paths, lambda: 0.05 },
    );

    expect(decisions.map((d) => d.consult?.action)).toEqual(["first", "consult", "consult", "accept"]);
    expect(decisions.map((d) => d.record.chosen)).toEqual(["cheap1", "cheap2", "strong", "strong"]);
    const consultAt = decisions.findIndex((d) => d.consult?.action === "consult");
    const escalateAt = decisions.findIndex((d) => d.consult?.reason.startsWith("escalate to strong"));
    const acceptAt = decisions.findIndex((d) => d.consult?.action === "accept");
    expect(consultAt).toBe(1);
    expect(escalateAt).toBe(2);
    expect(acceptAt).toBe(3);
    expect(decisions[escalateAt]!.consult!.state).toBe("disagree");
    expect(decisions[escalateAt]!.consult!.reason).toContain("P(correct | cheap1 and cheap2 disagree, answer) = 0.300");
    expect(decisions[acceptAt]!.consult!.reason).toContain("P(correct | escalated, answer) = 0.850");
    expect(decisions[acceptAt]!.consult!.answers).toEqual([
      { agent: "cheap1", key: "A" },
      { agent: "cheap2", key: "B" },
      { agent: "strong", key: "C" },
    ]);
    expect(decisions.slice(1).every((d) => d.policy === "consult")).toBe(true);

    // Each decision is streamed before the node it dispatches runs: orchestrate, answer, … , orchestrate (accept).
    const order = events.map((e) => (e.kind === "decision" ? `decision:${e.d.consult?.action}` : e.node));
    expect(order).toEqual([
      "decision:first",
      "orchestrate",
      "answer",
      "decision:consult",
      "orchestrate",
      "answer",
      "decision:consult",
      "orchestrate",
      "answer",
      "decision:accept",
      "orchestrate",
    ]);

    expect(values.stopReason).toBe("answered");
    expect(values.finalAnswer).toBe("Answer: C");
    expect(values.steps.map((s) => s.agent)).toEqual(["cheap1", "cheap2", "strong"]);
    expect(values.decisions.map((d) => d.consult?.action)).toEqual(decisions.map((d) => d.consult?.action));
    expect(values.costUsd).toBeCloseTo(COST.cheap1 + COST.cheap2 + COST.strong, 12);
  }, 60_000);

  it("the cheap two agree: accepted after two calls, no escalation in the stream", async () => {
    const { same } = TASKS;
    const { decisions, values } = await streamTask({ id: same.id, text: same.text }, { ...paths, lambda: 0.05 });
    expect(decisions.map((d) => d.consult?.action)).toEqual(["first", "consult", "accept"]);
    expect(decisions.some((d) => d.consult?.reason.includes("escalate to"))).toBe(false);
    expect(decisions.at(-1)!.consult!.state).toBe("agree");
    expect(decisions.at(-1)!.consult!.reason).toMatch(
      /^accept cheap1's answer: P\(correct \| cheap1 and cheap2 agree, answer\) = 0\.900/,
    );
    expect(values.finalAnswer).toBe("Answer: B");
    expect(values.steps.map((s) => s.agent)).toEqual(["cheap1", "cheap2"]);
    expect(values.costUsd).toBeCloseTo(COST.cheap1 + COST.cheap2, 12);
  }, 60_000);
});
