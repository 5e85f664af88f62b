// The orchestration step as pure functions: no graph, no LangGraph, no agents — a handbook, agent ids and a state.
import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_DEFAULTS, type OrchestratorSettings } from "../../graphs/orchestrator/configuration.js";
import type { Consulting, OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import {
  decideStep,
  judgeStep,
  openStep,
  type StepChoice,
  type StepState,
  type StepWorld,
} from "../../graphs/orchestrator/step.js";
import type { ConsultPlan, Handbook } from "../../handbook/schema.js";
import { cost, ev, handbookWith } from "../handbook/helpers.js";

const handbook: Handbook = handbookWith(["answer.fact"], {
  strong: { modes: ["answer"], competence: { "answer.fact": ev(18, 2) }, costs: { answer: cost(0.01) } },
  cheap: { modes: ["answer"], competence: { "answer.fact": ev(14, 6) }, costs: { answer: cost(0.001) } },
  finder: { modes: ["search"], competence: {}, costs: { search: cost(0.001) } },
});
const agents = [
  { id: "strong", modes: ["answer" as const] },
  { id: "cheap", modes: ["answer" as const] },
  { id: "finder", modes: ["search" as const] },
];
const world = (settings: Partial<OrchestratorSettings> = {}, h: Handbook = handbook): StepWorld => ({
  handbook: h,
  agents,
  settings: { ...ORCHESTRATOR_DEFAULTS, lambda: 0, ...settings },
});
const fresh = (over: Partial<OrchestratorStateType> = {}): StepState => ({
  task: { id: "t1", text: "What is the capital of Lanonia?" },
  steps: [],
  documents: [],
  codeResults: [],
  attempts: [],
  failures: [],
  consulting: null,
  costUsd: 0,
  dispatch: null,
  ...over,
});
const answerChoice: StepChoice = {
  mode: "answer",
  reason: "answer now",
  skills: [{ id: "answer.fact", weight: 1 }],
  policy: "offline",
  costUsd: 0,
};
const step = (index: number, agent: string) => ({
  index,
  mode: "answer" as const,
  agent,
  input: "x",
  observation: "x",
  costUsd: 0.001,
  costEstimated: false,
  latencyMs: 0,
  simulated: false,
});

describe("openStep", () => {
  it("asks the policy on a fresh step, and stops at the deadline, a spent budget or past the step limit", () => {
    expect(openStep(world(), fresh(), ["answer"], 0, 10).kind).toBe("ask");
    expect(openStep(world(), fresh(), ["answer"], 10, 10)).toEqual({ kind: "stop", reason: "deadline" });
    expect(openStep(world({ budgetUsd: 0.01 }), fresh({ costUsd: 0.01 }), ["answer"], 0, 10)).toEqual({
      kind: "stop",
      reason: "budget",
    });
    const nine = fresh({ steps: Array.from({ length: 9 }, (_, i) => step(i, "cheap")) });
    expect(openStep(world({ maxSteps: 8 }), nine, ["answer"], 0, 10)).toEqual({ kind: "stop", reason: "step_limit" });
  });

  it("at the step limit, the one forced answer with the offline policy's skills; a failed call is re-routed with its skills", () => {
    const eight = fresh({ steps: Array.from({ length: 8 }, (_, i) => step(i, "cheap")) });
    const forced = openStep(world({ maxSteps: 8 }), eight, ["search", "answer"], 0, 10);
    expect(forced.kind === "given" && forced.choice.mode).toBe("answer");
    expect(forced.kind === "given" && forced.choice.policy).toBe("limit");
    const failed = fresh({
      failures: [
        {
          step: 0,
          role: "step",
          mode: "answer",
          agent: "strong",
          error: "HTTP 500",
          attempts: 3,
          deadline: false,
          skills: [{ id: "answer.fact", weight: 1 }],
          forced: false,
        },
      ],
    });
    const re = openStep(world(), failed, ["answer"], 0, 10);
    expect(re.kind === "given" && re.choice.policy).toBe("re-route");
    // The re-routed step never goes back to the agent that failed.
    const out = decideStep(world(), failed, re.kind === "given" ? re.choice : answerChoice, ["answer"]);
    expect(out.kind === "dispatch" && out.dispatch.agent).toBe("cheap");
    expect(out.kind === "dispatch" && out.decision.reroute?.from).toBe("strong");
  });

  it("a consultation's answer waiting for judgement comes first, even past the deadline", () => {
    const c = { awaiting: true } as Consulting;
    expect(openStep(world(), fresh({ consulting: c }), ["answer"], 99, 10)).toEqual({
      kind: "judge",
      pastDeadline: true,
    });
  });
});

describe("decideStep", () => {
  it("chooses by competence − λ·cost, and narrows to the agents within the budget without asking", () => {
    const at0 = decideStep(world(), fresh(), answerChoice, ["answer"]);
    expect(at0.kind === "dispatch" && at0.dispatch.agent).toBe("strong");
    const poor = decideStep(world({ budgetUsd: 0.005 }), fresh(), answerChoice, ["answer"]);
    expect(poor.kind === "dispatch" && poor.dispatch.agent).toBe("cheap");
    expect(poor.kind === "dispatch" && poor.approve).toBe(false);
    // With asking on, the over-budget choice waits for a human.
    const asking = decideStep(world({ budgetUsd: 0.005, ask: true }), fresh(), answerChoice, ["answer"]);
    expect(asking.kind === "dispatch" && asking.approve).toBe(true);
    expect(decideStep(world({ budgetUsd: 0.0001 }), fresh(), answerChoice, ["answer"])).toEqual({
      kind: "stop",
      reason: "budget",
      costUsd: 0,
    });
  });

  it("an answer step under a consult rule dispatches the plan's first agent, and judgeStep accepts or consults", () => {
    const plan: ConsultPlan = {
      agents: ["cheap", "strong"],
      weights: [0.4, 2],
      costs: [0.001, 0.01],
      costScale: 0.01,
      final: "vote",
      alone: { alpha: 7, beta: 3 },
      agreeRate: { alpha: 5, beta: 5 },
      agree: { alpha: 95, beta: 5 },
      disagree: { alpha: 8, beta: 2 },
      labelled: 10,
    };
    const h: Handbook = { ...handbook, consult: { version: 1, maxCalls: 3, strength: 8, plans: { answer: [plan] } } };
    const out = decideStep(world({}, h), fresh(), answerChoice, ["answer"]);
    if (out.kind !== "dispatch") throw new Error(out.kind);
    expect(out.dispatch).toMatchObject({ agent: "cheap", consult: true });
    expect(out.decision.consult?.action).toBe("first");
    // Its answer came back: at λ = 0 comparing with strong is worth it.
    const c: Consulting = {
      ...out.consulting!,
      answers: [{ step: 0, agent: "cheap", text: "B", key: "B" }],
      awaiting: true,
    };
    const state = fresh({ steps: [step(0, "cheap")], consulting: c, dispatch: out.dispatch, costUsd: 0.001 });
    const v = judgeStep(world({}, h), state, c, false);
    expect(v.kind).toBe("consult");
    expect(v.kind === "consult" && v.dispatch.agent).toBe("strong");
    // At a high λ, or with no call left, the first answer is accepted.
    expect(judgeStep(world({ lambda: 1 }, h), state, c, false).kind).toBe("accept");
    const late = judgeStep(world({}, h), state, c, true);
    expect(late.kind === "accept" && late.answer).toBe("B");
    expect(late.decision.consult?.reason).toContain("no call left");
  });
});
