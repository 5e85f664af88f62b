/**
 * The orchestrator against OpenAI-compatible HTTP on 127.0.0.1 (the loopback test server stands in for a remote
 * model): the LLM policy with a scripted orchestrator model, its fallback to the offline policy, and an `openai`
 * answer agent in a pool of sim agents.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { buildPoolAgents } from "../../src/deploy/orchestrator.js";
import { costOf, type AgentSpec } from "../../src/pool/schema.js";
import { createChatClient } from "../../src/providers/openai.js";
import {
  startOpenAIServer,
  type OpenAIServer,
  type RecordedRequest,
  type ScriptStep,
} from "../../bench/support/openai-server.js";
import { loopbackAgent } from "../support/openai-agent.js";
import {
  buildSimFixture,
  fixtureOrchestrator,
  inputOf,
  runOnFixture,
  testTask,
  withRemoteAnswer,
  type SimFixture,
} from "./fixture.js";

let fx: SimFixture;
let server: OpenAIServer;
/** Replies of the orchestrator model, used in order. */
let routeQueue: ScriptStep[] = [];
/** The reply of the answer agent to an answer request. */
let answerReply: (req: RecordedRequest) => ScriptStep = () => ({ kind: "error", status: 500 });

const isRoute = (r: RecordedRequest) =>
  Array.isArray(r.body?.tools) && r.body.tools.some((t: any) => t.function?.name === "route_step");
const route = (args: object | string): ScriptStep => ({
  kind: "reply",
  toolCalls: [{ name: "route_step", arguments: typeof args === "string" ? args : JSON.stringify(args) }],
});

beforeAll(async () => {
  fx = await buildSimFixture();
  server = await startOpenAIServer((req) =>
    isRoute(req) ? (routeQueue.shift() ?? { kind: "error", status: 500 }) : answerReply(req),
  );
}, 60_000);
afterAll(async () => {
  await server?.close();
  vi.unstubAllEnvs();
});

const ROUTER_ENV = { SO_ROUTER_KEY: "router-test-key" };
const routerSpec = (): AgentSpec =>
  loopbackAgent("router", server.url, "SO_ROUTER_KEY", { inputPer1M: 0.1, outputPer1M: 0.4 });

async function llmOrchestrator(withSearch = true) {
  return createOrchestrator({
    handbook: fx.handbook,
    agents: fx.agents,
    ...(withSearch ? { search: fx.search } : {}),
    orchestratorModel: createChatClient(routerSpec(), ROUTER_ENV),
  });
}

const routeRequests = () => server.chatRequests().filter(isRoute);

describe("LLM policy over real HTTP", () => {
  it("scripted tool-call replies choose the mode and the skills; the prompt carries task, state and handbook", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const before = routeRequests().length;
    routeQueue = [
      route({
        mode: "search",
        reason: "the capital must be looked up",
        skills: [
          { id: "search.capital_lookup", weight: 3 },
          { id: "answer.capital_lookup", weight: 1 },
          { id: "search.no_such_skill", weight: 1 },
        ],
      }),
      route({
        mode: "answer",
        reason: "the document names it",
        skills: [
          { id: "answer.capital_lookup", weight: 1 },
          { id: "answer.founder_birth_year", weight: 1 },
        ],
      }),
    ];
    const s = (await (await llmOrchestrator()).invoke(inputOf(task))) as OrchestratorStateType;
    expect(routeQueue).toEqual([]);

    expect(s.decisions.map((d) => d.policy)).toEqual(["llm", "llm"]);
    expect(s.decisions.map((d) => d.mode)).toEqual(["search", "answer"]);
    expect(s.decisions[0]!.modeReason).toBe("the capital must be looked up");
    // Skills of another mode and unknown ids are dropped; the weights are normalised.
    expect(s.decisions[0]!.record.skills).toEqual([{ id: "search.capital_lookup", weight: 1 }]);
    expect(s.decisions[1]!.record.skills).toEqual([
      { id: "answer.capital_lookup", weight: 0.5 },
      { id: "answer.founder_birth_year", weight: 0.5 },
    ]);
    expect(s.steps.map((x) => x.mode)).toEqual(["search", "answer"]);
    expect(s.stopReason).toBe("answered");

    const [r0, r1] = routeRequests().slice(before);
    expect(r0!.headers.authorization).toBe("Bearer router-test-key");
    expect(r0!.body.tool_choice).toEqual({ type: "function", function: { name: "route_step" } });
    const system0 = r0!.body.messages[0].content as string;
    const user0 = r0!.body.messages[1].content as string;
    expect(system0).toContain("search.capital_lookup");
    expect(system0).toContain("sim-frontier-xl");
    expect(user0).toContain(task.text);
    expect(user0).toContain("Steps so far: none");
    const user1 = r1!.body.messages[1].content as string;
    expect(user1).toContain("Steps so far: search");
    expect(user1).toContain(`Retrieved documents`);
    expect(user1).toContain(s.documents[0]!.title);
  });

  it("an LLM choice the offline policy would not make is honoured (answer at once)", async () => {
    const task = testTask(fx.world, "capital_lookup");
    routeQueue = [route({ mode: "answer", reason: "known already", skills: [] })];
    const s = (await (await llmOrchestrator()).invoke(inputOf(task))) as OrchestratorStateType;
    expect(s.decisions[0]!.policy).toBe("llm");
    expect(s.decisions[0]!.record.skills).toEqual([]);
    expect(s.steps[0]!.mode).toBe("answer");
    // The offline policy would have searched first.
    const offline = await runOnFixture(fx, task);
    expect(offline.steps[0]!.mode).toBe("search");
  });

  it("a malformed or invalid structured reply falls back to the offline policy for that step, and says why", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const offline = await runOnFixture(fx, task);
    routeQueue = [
      route('{"mode": "search", "reason": '), // arguments that are not JSON
      route({ mode: "dance", reason: "x", skills: [] }), // not a mode
    ];
    const s = (await (await llmOrchestrator()).invoke(inputOf(task))) as OrchestratorStateType;
    expect(routeQueue).toEqual([]);
    expect(s.decisions[0]!.policy).toBe("offline");
    expect(s.decisions[0]!.policyError).toMatch(
      /^llm failed: agent router: tool call route_step has arguments that are not valid JSON/,
    );
    expect(s.decisions[1]!.policy).toBe("offline");
    expect(s.decisions[1]!.policyError).toMatch(
      /^llm failed: agent router: output does not match the schema: \$\.mode/,
    );
    // Each failed step took the offline policy's choice, and the run went on to the same result.
    expect(s.decisions.map((d) => [d.mode, d.record.skills, d.record.chosen])).toEqual(
      offline.decisions.map((d) => [d.mode, d.record.skills, d.record.chosen]),
    );
    expect(s.stopReason).toBe("answered");
    expect(s.finalAnswer).toBe(offline.finalAnswer);
  });

  it("a reply with no tool call, or a mode that cannot run, also falls back", async () => {
    const task = testTask(fx.world, "capital_lookup");
    routeQueue = [{ kind: "reply", content: "You should probably search." }];
    const a = (await (
      await llmOrchestrator()
    ).invoke({ ...inputOf(task), settings: { maxSteps: 1 } })) as OrchestratorStateType;
    expect(a.decisions[0]!.policy).toBe("offline");
    expect(a.decisions[0]!.policyError).toMatch(/^llm failed: agent router: no tool call and no JSON in the reply/);

    routeQueue = [
      route({ mode: "search", reason: "look it up", skills: [] }),
      route({ mode: "answer", reason: "go", skills: [] }),
    ];
    const b = (await (await llmOrchestrator(false)).invoke(inputOf(task))) as OrchestratorStateType;
    expect(b.decisions[0]!.policy).toBe("offline");
    expect(b.decisions[0]!.policyError).toBe("llm failed: mode search is not available");
    expect(b.decisions[0]!.mode).not.toBe("search");
  });

  it("a failed call (HTTP 401) is not hidden behind the offline policy: the run ends with agent_error naming it", async () => {
    const task = testTask(fx.world, "capital_lookup");
    routeQueue = [{ kind: "error", status: 401, body: { error: { message: "Invalid API key" } } }];
    const s = (await (await llmOrchestrator()).invoke(inputOf(task))) as OrchestratorStateType;
    expect(routeQueue).toEqual([]);
    expect(s.stopReason).toBe("agent_error");
    expect(s.steps).toEqual([]);
    expect(s.failures).toEqual([
      expect.objectContaining({ role: "policy", agent: "router", error: "HTTP 401", attempts: 1, step: 0 }),
    ]);
    expect(s.failures[0]!.detail).toContain("Invalid API key");
  });
});

describe("an openai answer agent in a pool of sim agents", () => {
  it("runs the task through real HTTP for its answer step, with the evidence of the sim steps in its prompt", async () => {
    vi.stubEnv("SO_ANSWER_KEY", "answer-test-key");
    const task = testTask(fx.world, "capital_lookup");
    const remote = loopbackAgent("remote-answer", server.url, "SO_ANSWER_KEY", { inputPer1M: 0.5, outputPer1M: 1.5 });
    const { pool, handbook } = withRemoteAnswer(fx, remote);
    let answered: RecordedRequest | undefined;
    answerReply = (req) => {
      answered = req;
      return {
        kind: "reply",
        content: `Final answer: ${task.answer}`,
        usage: { prompt_tokens: 1200, completion_tokens: 8 },
      };
    };

    const graph = await createOrchestrator({ handbook, pool, agentFactory: buildPoolAgents, search: fx.search });
    const s = (await graph.invoke(inputOf(task))) as OrchestratorStateType;

    expect(s.stopReason).toBe("answered");
    expect(s.finalAnswer).toBe(task.answer);
    expect(fx.world.check(task, s.finalAnswer!)).toBe(1);
    const last = s.steps[s.steps.length - 1]!;
    expect(last.agent).toBe("remote-answer");
    expect(last.simulated).toBe(false);
    expect(last.costEstimated).toBe(false);
    expect(last.costUsd).toBeCloseTo(costOf(remote.price, 1200, 8), 15);
    expect(s.steps.slice(0, -1).every((x) => x.simulated && x.mode === "search")).toBe(true);

    expect(answered!.headers.authorization).toBe("Bearer answer-test-key");
    const user = answered!.body.messages.find((m: any) => m.role === "user").content as string;
    expect(user).toContain(task.text);
    expect(user).toContain(`<document id="${s.documents[0]!.id}"`);
  });
});

describe("LLM policy with a human check", () => {
  it("asks the orchestrator model once per step even across an interrupt, and counts its cost", async () => {
    const { MemorySaver, Command } = await import("@langchain/langgraph");
    const task = testTask(fx.world, "capital_lookup");
    const graph = await fixtureOrchestrator(fx, {
      orchestratorModel: createChatClient(routerSpec(), ROUTER_ENV),
      checkpointer: new MemorySaver(),
      defaults: { ask: true, budgetUsd: 1e-12 },
    });
    const config = { configurable: { thread_id: `llm-ask-${Date.now()}` } };
    const before = routeRequests().length;
    const usage = { prompt_tokens: 2000, completion_tokens: 50 };
    routeQueue = [
      {
        ...route({ mode: "search", reason: "look it up", skills: [{ id: "search.capital_lookup", weight: 1 }] }),
        usage,
      } as ScriptStep,
      route({ mode: "answer", reason: "the document names it", skills: [{ id: "answer.capital_lookup", weight: 1 }] }),
    ];

    await graph.invoke(inputOf(task), config);
    const paused = await graph.getState(config);
    expect(paused.next).toEqual(["approve"]);
    expect(routeRequests().length - before).toBe(1);
    const policyCost = costOf(routerSpec().price, 2000, 50);
    expect((paused.values as OrchestratorStateType).costUsd).toBeCloseTo(policyCost, 15);

    // Resuming runs only the approval (the model is not asked again for step 0), the step runs as decided, and the
    // model is asked once for step 1: two calls in all, not three.
    const s = (await graph.invoke(new Command({ resume: { action: "approve" } }), config)) as OrchestratorStateType;
    expect(routeRequests().length - before).toBe(2);
    expect(s.decisions[0]!.human).toBe("approved");
    expect(s.decisions[0]!.policy).toBe("llm");
    expect(s.decisions[0]!.policyCostUsd).toBeCloseTo(policyCost, 15);
    expect(s.steps[0]!.mode).toBe("search");
    // Every call is paid for: both policy calls (the second one's decision is waiting at approve) and the step.
    const second = s.pending!.decision.policyCostUsd!;
    expect(second).toBeGreaterThan(0);
    expect(s.costUsd).toBeCloseTo(policyCost + s.steps[0]!.costUsd + second, 15);
    // The budget is spent, so the next step (one more policy call) waits for a human too; stop there.
    expect((await graph.getState(config)).next).toEqual(["approve"]);
    const done = (await graph.invoke(new Command({ resume: { action: "stop" } }), config)) as OrchestratorStateType;
    expect(done.stopReason).toBe("stopped_by_user");
    expect(done.steps).toHaveLength(1);
  });
});
