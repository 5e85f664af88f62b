/**
 * The consult rule with `openai` agents over real HTTP (the loopback OpenAI-compatible server stands in for the
 * remote models): two cheap agents that disagree on a multiple-choice question make the orchestrator escalate to the
 * strong one and accept its answer; two that agree are accepted after two calls. Costs are the usage each reply
 * reported, priced with the pool's prices.
 */
import { describe, expect, it } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { HandbookSchema, type ConsultPlan, type Handbook } from "../../handbook/schema.js";
import { costOf, type Pool, type Price } from "../../src/pool/schema.js";
import { createAgents } from "../../src/sim/create-agents.js";
import { cost, handbookWith } from "../handbook/helpers.js";
import type { RecordedRequest, ScriptStep } from "../../bench/support/openai-server.js";
import { loopbackAgent } from "../support/openai-agent.js";
import { serverPerTest } from "../support/server-per-test.js";

const serve = serverPerTest();

const TASK = {
  id: "red-planet",
  text: "Which planet is known as the red planet?\nA) Venus\nB) Jupiter\nC) Mars\nD) Saturn\nAnswer with the option letter.",
};

type Name = "cheap1" | "cheap2" | "strong" | "backup";
const NAMES: Name[] = ["cheap1", "cheap2", "strong"];
/** Outside the plan: serves the answer mode, as a stand-in when a plan agent fails. */
const ALL: Name[] = [...NAMES, "backup"];
const PRICE: Record<Name, Price> = {
  cheap1: { inputPer1M: 0.2, outputPer1M: 0.6 },
  cheap2: { inputPer1M: 0.5, outputPer1M: 1.5 },
  strong: { inputPer1M: 10, outputPer1M: 30 },
  backup: { inputPer1M: 3, outputPer1M: 9 },
};
/** The usage each agent's reply reports. */
const USAGE: Record<Name, { prompt_tokens: number; completion_tokens: number }> = {
  cheap1: { prompt_tokens: 210, completion_tokens: 5 },
  cheap2: { prompt_tokens: 230, completion_tokens: 6 },
  strong: { prompt_tokens: 250, completion_tokens: 4 },
  backup: { prompt_tokens: 240, completion_tokens: 4 },
};
const usd = (a: Name) => costOf(PRICE[a], USAGE[a].prompt_tokens, USAGE[a].completion_tokens);
const modelOf = (a: Name) => `model-${a}`;

const pool = (url: string, names: Name[]): Pool => ({
  version: 1,
  name: "consult over http",
  agents: names.map((id) => loopbackAgent(id, url, "SO_CONSULT_KEY", PRICE[id], { model: modelOf(id) })),
});

const beta = (alpha: number, b: number) => ({ alpha, beta: b });

/** A handbook whose consult rule asks cheap1, compares with cheap2, and escalates to strong when they disagree. */
function consultHandbook(names: Name[]): Handbook {
  const base = handbookWith(
    [],
    Object.fromEntries(names.map((a) => [a, { modes: ["answer"], costs: { answer: cost(usd(a)) } }])),
    ["answer"],
  );
  const plan: ConsultPlan = {
    agents: ["cheap1", "cheap2", "strong"],
    weights: [-0.2, 0.1, 2.2],
    costs: NAMES.map(usd),
    costScale: usd("strong"),
    final: "vote",
    alone: beta(6, 4),
    agreeRate: beta(6, 4),
    agree: beta(19, 1),
    disagree: beta(4, 6),
    escalateAgree: beta(9, 1),
    escalateDisagree: beta(9, 1),
    labelled: 40,
  };
  return HandbookSchema.parse({
    ...base,
    consult: { version: 1, maxCalls: 3, strength: 8, plans: { answer: [plan] } },
  });
}

/** A server whose models answer with the given letters, each reporting its usage. */
async function modelsAnswering(letters: Partial<Record<Name, string>>) {
  return serve((req: RecordedRequest): ScriptStep => {
    const name = ALL.find((a) => modelOf(a) === req.body?.model);
    const letter = name ? letters[name] : undefined;
    if (!name || !letter)
      return { kind: "error", status: 400, body: { error: { message: `unexpected model ${req.body?.model}` } } };
    return {
      kind: "reply",
      content: `The red planet is option ${letter}.\nFinal answer: ${letter}`,
      usage: USAGE[name],
    };
  });
}

async function run(url: string, names: Name[] = NAMES, lambda = 0.02): Promise<OrchestratorStateType> {
  const agents = await createAgents(pool(url, names), { env: { SO_CONSULT_KEY: "consult-test-key" } });
  const graph = await createOrchestrator({ handbook: consultHandbook(names), agents });
  return (await graph.invoke({ task: TASK, settings: { lambda } })) as OrchestratorStateType;
}

describe("consult/accept with openai agents over HTTP", () => {
  it("the cheap two disagree: cheap2 is consulted, strong is escalated to, and its answer C is accepted", async () => {
    const server = await modelsAnswering({ cheap1: "A", cheap2: "B", strong: "C" });
    const s = await run(server.url);

    // Exactly three chat requests, one per agent, in the plan's order, each with the task and the agent's key.
    const chats = server.chatRequests();
    expect(chats.map((r) => r.body.model)).toEqual(NAMES.map(modelOf));
    for (const r of chats) {
      expect(r.headers.authorization).toBe("Bearer consult-test-key");
      expect(r.body.messages.find((m: { role: string }) => m.role === "user").content).toContain(TASK.text);
    }

    expect(s.stopReason).toBe("answered");
    expect(s.finalAnswer).toBe("C");
    expect(s.steps.map((x) => [x.agent, x.input])).toEqual([
      ["cheap1", "A"],
      ["cheap2", "B"],
      ["strong", "C"],
    ]);
    expect(s.consulting!.answers.map((a) => [a.agent, a.key])).toEqual([
      ["cheap1", "A"],
      ["cheap2", "B"],
      ["strong", "C"],
    ]);

    const d = s.decisions.map((x) => x.consult!);
    expect(d.map((x) => [x.action, x.state])).toEqual([
      ["first", "start"],
      ["consult", "alone"],
      ["consult", "disagree"],
      ["accept", "escalated"],
    ]);
    expect(s.decisions.map((x) => x.record.chosen)).toEqual(["cheap1", "cheap2", "strong", "strong"]);
    expect(d[1]!.reason).toMatch(/^consult cheap2: P\(correct \| cheap1 alone, answer\) = 0\.600 < /);
    expect(d[2]!.reason).toMatch(
      /^escalate to strong: P\(correct \| cheap1 and cheap2 disagree, answer\) = 0\.400 < 0\.900 − λ·/,
    );
    expect(d[3]!.reason).toBe(
      "accept the competence-weighted vote (strong's answer): P(correct | escalated, answer) = 0.900; the plan has no further agent",
    );
    expect(d[3]!.answers).toEqual([
      { agent: "cheap1", key: "A" },
      { agent: "cheap2", key: "B" },
      { agent: "strong", key: "C" },
    ]);

    // Every call priced from the usage the server reported; none estimated.
    expect(s.steps.map((x) => x.costEstimated)).toEqual([false, false, false]);
    expect(s.steps.map((x) => x.simulated)).toEqual([false, false, false]);
    for (const [i, a] of NAMES.entries()) expect(s.steps[i]!.costUsd).toBeCloseTo(usd(a), 15);
    expect(s.costUsd).toBeCloseTo(usd("cheap1") + usd("cheap2") + usd("strong"), 15);
  });

  it("the cheap two agree: accepted after two calls, strong never asked", async () => {
    const server = await modelsAnswering({ cheap1: "C", cheap2: "C" });
    const s = await run(server.url);

    expect(server.chatRequests().map((r) => r.body.model)).toEqual([modelOf("cheap1"), modelOf("cheap2")]);
    expect(s.stopReason).toBe("answered");
    expect(s.finalAnswer).toBe("C");
    expect(s.steps.map((x) => x.agent)).toEqual(["cheap1", "cheap2"]);
    const last = s.decisions.at(-1)!.consult!;
    expect(last.action).toBe("accept");
    expect(last.state).toBe("agree");
    expect(last.reason).toMatch(
      /^accept cheap1's answer: P\(correct \| cheap1 and cheap2 agree, answer\) = 0\.950; escalating to strong is worth /,
    );
    expect(s.costUsd).toBeCloseTo(usd("cheap1") + usd("cheap2"), 15);
  });

  it("the escalation fails for good: no agent that already answered is asked again; the pair in hand is judged", async () => {
    // The strong model refuses the request (HTTP 400; maxRetries 0): no other agent is left to re-route it to.
    const server = await modelsAnswering({ cheap1: "A", cheap2: "B" });
    const s = await run(server.url);
    expect(server.chatRequests().map((r) => r.body.model)).toEqual(NAMES.map(modelOf));
    expect(s.failures.map((f) => [f.agent, f.error, f.attempts])).toEqual([["strong", "HTTP 400", 1]]);
    expect(s.steps.map((x) => x.agent)).toEqual(["cheap1", "cheap2"]);
    expect(s.consulting!.answers.map((a) => a.agent)).toEqual(["cheap1", "cheap2"]);
    const last = s.decisions.at(-1)!.consult!;
    expect([last.action, last.state]).toEqual(["accept", "disagree"]);
    expect(last.reason).toBe(
      "accept cheap2's answer: P(correct | cheap1 and cheap2 disagree, answer) = 0.400; no call left",
    );
    // The vote of the two by the plan's weights: cheap2's.
    expect(s.finalAnswer).toBe("B");
    expect(s.stopReason).toBe("answered");
    expect(s.costUsd).toBeCloseTo(usd("cheap1") + usd("cheap2"), 15);
  });

  it("the escalation fails for good with another agent serving: it stands in for the escalation, the answerers are not asked again", async () => {
    const server = await modelsAnswering({ cheap1: "A", cheap2: "B", backup: "C" });
    const s = await run(server.url, ALL);
    expect(server.chatRequests().map((r) => r.body.model)).toEqual([...NAMES, "backup"].map((a) => modelOf(a as Name)));
    expect(s.failures.map((f) => [f.agent, f.error])).toEqual([["strong", "HTTP 400"]]);
    expect(s.steps.map((x) => x.agent)).toEqual(["cheap1", "cheap2", "backup"]);
    const reroute = s.decisions.find((d) => d.reroute)!;
    expect(reroute.reroute).toMatchObject({ from: "strong", error: "HTTP 400" });
    expect(reroute.record.chosen).toBe("backup");
    expect(s.decisions.at(-1)!.consult!.action).toBe("accept");
    expect(s.consulting!.answers.map((a) => [a.agent, a.key])).toEqual([
      ["cheap1", "A"],
      ["cheap2", "B"],
      ["backup", "C"],
    ]);
    expect(s.stopReason).toBe("answered");
    expect(s.costUsd).toBeCloseTo(usd("cheap1") + usd("cheap2") + usd("backup"), 15);
  });
});
