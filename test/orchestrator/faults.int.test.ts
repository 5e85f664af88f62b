/**
 * Model faults over real HTTP on 127.0.0.1: a pool of three openai answer agents (primary, backup, spare) whose
 * handbook ranks them in that order, each served by the loopback server with a scripted fault. Every case asserts
 * the bounds: how many HTTP attempts each agent got (one retry layer: maxRetries + 1, never multiplied by a node
 * retry), that the failed step was re-routed to the next-best agent by the handbook's score, or that the run ended
 * with `agent_error` / `deadline` in its final state instead of an exception; and, for hangs, that the run ended
 * well inside a bound that the un-cut timeouts would have exceeded.
 */
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Handbook } from "../../handbook/index.js";
import { runDeadlineAt } from "../../graphs/orchestrator/deadline.js";
import type { OrchestratorContextType } from "../../graphs/orchestrator/configuration.js";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType, RoutingDecision } from "../../graphs/orchestrator/state.js";
import { profileByTask } from "../../src/demo/profile.js";
import type { AgentSpec, Pool } from "../../src/pool/schema.js";
import { createAgents } from "../../src/sim/create-agents.js";
import type { ExecutionRecord } from "../../src/records/schema.js";
import {
  errorStorm,
  startOpenAIServer,
  type OpenAIServer,
  type RecordedRequest,
  type ScriptStep,
} from "../../bench/support/openai-server.js";
import { buildSimFixture, inputOf, testTask, type SimFixture } from "./fixture.js";

const AGENTS = ["primary", "backup", "spare"] as const;
type Name = (typeof AGENTS)[number];
const ENV = { SO_FAULT_KEY: "fault-key" };
/** Backoff of these tests: short, so a case with several retries stays quick. */
const FAST = { baseDelayMs: 20, maxDelayMs: 50 };

let fx: SimFixture;
let server: OpenAIServer;
let handbook: Handbook;
/** What each agent's model answers, by agent name (its model id is `<name>-model`). */
let behaviour: Record<Name, (req: RecordedRequest, i: number) => ScriptStep>;
const ok = (content = "Final answer: Paris"): ScriptStep => ({
  kind: "reply",
  content,
  usage: { prompt_tokens: 100, completion_tokens: 5 },
});

const agentOf = (req: RecordedRequest) => String(req.body?.model ?? "").replace(/-model$/, "") as Name;
const requestsOf = (name: Name, since: number) =>
  server
    .chatRequests()
    .slice(since)
    .filter((r) => agentOf(r) === name);

function spec(name: Name, extra: Partial<AgentSpec> = {}): AgentSpec {
  return {
    id: name,
    modes: ["answer"],
    provider: "openai",
    model: `${name}-model`,
    price: { inputPer1M: 0.5, outputPer1M: 1.5 },
    maxRetries: 2,
    openai: { baseURL: server.url, apiKeyEnv: "SO_FAULT_KEY" },
    ...extra,
  };
}

function poolOf(extra: Partial<AgentSpec> = {}): Pool {
  return { version: 1, name: "faults", agents: AGENTS.map((a) => spec(a, extra)) };
}

async function run(pool: Pool, context: { deadlineMs?: number } = {}) {
  const agents = await createAgents(pool, { env: ENV, openai: { retry: FAST } });
  const graph = await createOrchestrator({ handbook, agents });
  const task = testTask(fx.world, "capital_lookup");
  const since = server.chatRequests().length;
  const started = performance.now();
  const state = (await graph.invoke(inputOf(task), {
    context: context as OrchestratorContextType,
  })) as OrchestratorStateType;
  return { state, since, elapsedMs: performance.now() - started };
}

/** The best candidate of a decision record among those not excluded (the handbook's competence − λ·cost). */
function bestExcluding(d: RoutingDecision, excluded: string[]): string {
  return [...d.record.candidates].filter((c) => !excluded.includes(c.agent)).sort((a, b) => b.score - a.score)[0]!
    .agent;
}

beforeAll(async () => {
  fx = await buildSimFixture();
  // One sim answer agent's records, ten copies of each query for each of ours at fixed success rates (1, 0.6, 0.2):
  // the handbook then ranks primary > backup > spare on every answer skill, at the same cost.
  const answers = fx.records.filter((r) => r.mode === "answer");
  const source = answers.filter((r) => r.agent === answers[0]!.agent);
  const rates: Record<Name, number> = { primary: 1, backup: 0.6, spare: 0.2 };
  const relabelled: ExecutionRecord[] = AGENTS.flatMap((name) =>
    source.flatMap((r) =>
      Array.from({ length: 10 }, (_, k) => {
        const win = k / 10 < rates[name];
        return {
          ...r,
          queryId: `${r.queryId}-${k}`,
          agent: name,
          score: win ? 1 : 0,
          success: win,
          acted: true,
          costUsd: 0.0001,
        };
      }),
    ),
  );
  server = await startOpenAIServer((req, i) => behaviour[agentOf(req)](req, i));
  handbook = profileByTask(relabelled, poolOf());
}, 120_000);
afterAll(async () => {
  await server?.close();
});

/** Primary fails with `fault`; backup answers; spare is never asked. */
async function primaryFails(fault: (req: RecordedRequest, i: number) => ScriptStep, extra: Partial<AgentSpec> = {}) {
  behaviour = { primary: fault, backup: () => ok(), spare: () => ok("Final answer: spare") };
  const r = await run(poolOf(extra));
  const { state } = r;
  // The step was routed to primary first, then re-routed (same step) to the next-best agent without primary.
  expect(state.decisions).toHaveLength(2);
  const [first, second] = state.decisions as [RoutingDecision, RoutingDecision];
  expect(first.record.chosen).toBe("primary");
  expect(second.step).toBe(first.step);
  expect(second.policy).toBe("re-route");
  expect(second.record.candidates.map((c) => c.agent)).not.toContain("primary");
  expect(second.record.chosen).toBe(bestExcluding(first, ["primary"]));
  expect(second.record.chosen).toBe("backup");
  expect(second.reroute).toEqual({
    from: "primary",
    error: state.failures[0]!.error,
    attempts: state.failures[0]!.attempts,
  });
  expect(state.stopReason).toBe("answered");
  expect(state.finalAnswer).toBe("Paris");
  expect(state.steps).toHaveLength(1);
  expect(state.steps[0]!.agent).toBe("backup");
  expect(state.failures).toHaveLength(1);
  expect(state.failures[0]).toMatchObject({ step: 0, role: "step", mode: "answer", agent: "primary", deadline: false });
  expect(requestsOf("backup", r.since)).toHaveLength(1);
  expect(requestsOf("spare", r.since)).toHaveLength(0);
  return r;
}

describe("a failing agent is retried by its provider only, then its step is re-routed", () => {
  it("HTTP 500: 3 attempts (maxRetries 2), not 3 × a node retry; re-routed to backup", async () => {
    const r = await primaryFails(() => ({
      kind: "error",
      status: 500,
      body: { error: { message: "upstream exploded" } },
    }));
    expect(requestsOf("primary", r.since)).toHaveLength(3);
    expect(r.state.failures[0]).toMatchObject({ error: "HTTP 500", attempts: 3 });
    expect(r.state.failures[0]!.detail).toContain("upstream exploded");
  }, 60_000);

  it("a 429 storm with Retry-After: each retry waits what the server asked, 3 attempts, then re-routed", async () => {
    const r = await primaryFails(errorStorm(429, { "retry-after": "0.3" }));
    const primary = requestsOf("primary", r.since);
    expect(primary).toHaveLength(3);
    // Retry-After 0.3 s was honoured (the backoff alone would be at most 50 ms): a lower bound only.
    for (let i = 1; i < primary.length; i++) expect(primary[i]!.at - primary[i - 1]!.at).toBeGreaterThanOrEqual(280);
    expect(r.state.failures[0]).toMatchObject({ error: "HTTP 429", attempts: 3 });
  }, 60_000);

  it("maxRetries from the pool sets the attempts: 0 retries is one attempt", async () => {
    const r = await primaryFails(() => ({ kind: "error", status: 503 }), { maxRetries: 0 });
    expect(requestsOf("primary", r.since)).toHaveLength(1);
    expect(r.state.failures[0]).toMatchObject({ error: "HTTP 503", attempts: 1 });
  }, 60_000);

  it("malformed JSON (200, body not JSON): not retried (it would repeat), re-routed after 1 attempt", async () => {
    const r = await primaryFails(() => ({ kind: "malformed" }));
    expect(requestsOf("primary", r.since)).toHaveLength(1);
    expect(r.state.failures[0]).toMatchObject({ error: "unusable response", attempts: 1 });
  }, 60_000);

  it("a dropped connection, before any byte or mid-body: 3 attempts each, then re-routed", async () => {
    const before = await primaryFails(() => ({ kind: "reset" }));
    expect(requestsOf("primary", before.since)).toHaveLength(3);
    expect(before.state.failures[0]).toMatchObject({ error: "network error", attempts: 3 });

    const mid = await primaryFails(() => ({ kind: "reset", afterBytes: 40 }));
    expect(requestsOf("primary", mid.since)).toHaveLength(3);
    expect(mid.state.failures[0]!.attempts).toBe(3);
    expect(["network error", "unusable response"]).toContain(mid.state.failures[0]!.error);
  }, 60_000);

  it("a hanging server: each attempt is cut at timeoutMs, 2 attempts (maxRetries 1), then re-routed", async () => {
    const r = await primaryFails(() => ({ kind: "hang" }), { timeoutMs: 400, maxRetries: 1 });
    expect(requestsOf("primary", r.since)).toHaveLength(2);
    expect(r.state.failures[0]).toMatchObject({ error: "timed out", attempts: 2 });
    expect(r.state.failures[0]!.detail).toContain("within 400 ms");
    // Two cut attempts and a short backoff; far below what an uncut hang (the test's own 60 s timeout) would take.
    expect(r.elapsedMs).toBeLessThan(30_000);
  }, 60_000);

  it("a slow drip (headers at once, then a byte every 100 ms): the attempt's timeout covers the body too", async () => {
    const r = await primaryFails(() => ({ kind: "drip", intervalMs: 100, bytesPerTick: 1 }), {
      timeoutMs: 500,
      maxRetries: 1,
    });
    expect(requestsOf("primary", r.since)).toHaveLength(2);
    expect(r.state.failures[0]).toMatchObject({ error: "timed out", attempts: 2 });
    expect(r.elapsedMs).toBeLessThan(30_000);
  }, 60_000);

  it("the drip mode does deliver a slow reply that fits within the timeout (the fault is the timeout, not the server)", async () => {
    behaviour = {
      primary: () => ({ kind: "drip", content: "Final answer: Paris", intervalMs: 5, bytesPerTick: 64 }),
      backup: () => ok(),
      spare: () => ok(),
    };
    const r = await run(poolOf({ timeoutMs: 20_000 }));
    expect(r.state.failures).toEqual([]);
    expect(r.state.steps[0]!.agent).toBe("primary");
    expect(r.state.finalAnswer).toBe("Paris");
  }, 60_000);
});

describe("when nothing is left, the run ends with a final state, not an exception", () => {
  it("every agent fails: agent_error; failures name each agent, its error and attempts, in routing order", async () => {
    behaviour = {
      primary: () => ({ kind: "error", status: 500 }),
      backup: () => ({ kind: "malformed" }),
      spare: () => ({ kind: "reset" }),
    };
    const { state, since } = await run(poolOf());
    expect(state.stopReason).toBe("agent_error");
    expect(state.finalAnswer).toBeNull();
    expect(state.steps).toEqual([]);
    expect(state.failures.map((f) => [f.agent, f.error, f.attempts])).toEqual([
      ["primary", "HTTP 500", 3],
      ["backup", "unusable response", 1],
      ["spare", "network error", 3],
    ]);
    // Each re-route excluded every agent that had failed at the step, and chose the best of the rest.
    expect(state.decisions.map((d) => d.record.chosen)).toEqual(["primary", "backup", "spare"]);
    expect(state.decisions[2]!.record.candidates.map((c) => c.agent)).toEqual(["spare"]);
    expect(requestsOf("primary", since)).toHaveLength(3);
    expect(requestsOf("backup", since)).toHaveLength(1);
    expect(requestsOf("spare", since)).toHaveLength(3);
  }, 60_000);
});

describe("the run's deadline", () => {
  it("a run against a hanging server ends at its deadline, though each attempt's own timeout is 60 s", async () => {
    behaviour = {
      primary: () => ({ kind: "hang" }),
      backup: () => ({ kind: "hang" }),
      spare: () => ({ kind: "hang" }),
    };
    const deadlineMs = 1500;
    const { state, since, elapsedMs } = await run(poolOf({ timeoutMs: 60_000, maxRetries: 2 }), { deadlineMs });
    expect(state.stopReason).toBe("deadline");
    expect(state.finalAnswer).toBeNull();
    expect(state.failures).toEqual([
      expect.objectContaining({ agent: "primary", error: "timed out", attempts: 1, deadline: true }),
    ]);
    // One attempt, cut at the deadline, and no retry after it.
    expect(requestsOf("primary", since)).toHaveLength(1);
    expect(elapsedMs).toBeGreaterThanOrEqual(deadlineMs - 50);
    // Without the deadline this run would take 3 × 60 s per agent; allow the busy machine plenty over 1.5 s.
    expect(elapsedMs).toBeLessThan(deadlineMs + 25_000);
  }, 60_000);

  it("a Retry-After that would end past the deadline is not waited for: the step is re-routed at once", async () => {
    behaviour = { primary: errorStorm(429, { "retry-after": "30" }), backup: () => ok(), spare: () => ok() };
    const { state, since, elapsedMs } = await run(poolOf(), { deadlineMs: 20_000 });
    expect(requestsOf("primary", since)).toHaveLength(1);
    expect(state.failures[0]).toMatchObject({ agent: "primary", error: "HTTP 429", attempts: 1 });
    expect(state.stopReason).toBe("answered");
    expect(state.steps[0]!.agent).toBe("backup");
    expect(elapsedMs).toBeLessThan(20_000);
  }, 60_000);

  it("one deadline holds across the nodes of one invoke, and a new invoke (a resume) gets its own", async () => {
    const S = Annotation.Root({ seen: Annotation<number[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const node = async (_s: unknown, runtime: { writer?: unknown }) => {
      await new Promise((r) => setTimeout(r, 30));
      return { seen: [runDeadlineAt(runtime, 10_000)] };
    };
    const g = new StateGraph(S)
      .addNode("a", node)
      .addNode("b", node)
      .addNode("c", node)
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", "c")
      .addEdge("c", END)
      .compile();
    const one = (await g.invoke({})).seen;
    const two = (await g.invoke({})).seen;
    expect(new Set(one).size).toBe(1);
    expect(new Set(two).size).toBe(1);
    expect(two[0]!).toBeGreaterThan(one[0]!);
  }, 30_000);
});
