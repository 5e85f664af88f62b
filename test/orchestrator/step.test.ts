// The orchestration step as pure functions: no graph, no LangGraph, no agents — a handbook, agent ids and a state.
import { describe, expect, it } from "vitest";
import {
  ORCHESTRATOR_DEFAULTS,
  resolveSettings,
  type OrchestratorSettings,
} from "../../graphs/orchestrator/configuration.js";
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

describe("exploration (exploreRate)", () => {
  // A new agent at its prior beside a proven one: the posterior mean never picks it; a Thompson sample sometimes does.
  const withNew = handbookWith(["answer.fact"], {
    strong: { modes: ["answer"], competence: { "answer.fact": ev(18, 2) }, costs: { answer: cost(0.01) } },
    newcomer: { modes: ["answer"], competence: {}, costs: { answer: cost(0.01) } },
  });
  const pool = [
    { id: "strong", modes: ["answer" as const] },
    { id: "newcomer", modes: ["answer" as const] },
  ];
  const decide = (exploreRate: number, taskId: string, steps = 0) => {
    const w: StepWorld = { handbook: withNew, agents: pool, settings: { ...ORCHESTRATOR_DEFAULTS, exploreRate } };
    const state = fresh({
      task: { id: taskId, text: "What is the capital of Lanonia?" },
      steps: Array.from({ length: steps }, (_, i) => step(i, "strong")),
    });
    const out = decideStep(w, state, answerChoice, ["answer"]);
    if (out.kind !== "dispatch") throw new Error(`expected a dispatch, got ${out.kind}`);
    return out;
  };
  const tasks = Array.from({ length: 400 }, (_, i) => `task-${i}`);

  it("off by default: every choice is the configured estimator's, and the new agent is never picked", () => {
    const outs = tasks.map((t) => decide(0, t));
    expect(outs.filter((o) => o.decision.explore)).toHaveLength(0);
    expect(new Set(outs.map((o) => o.dispatch.agent))).toEqual(new Set(["strong"]));
    expect(outs.every((o) => o.decision.record.estimator === "mean")).toBe(true);
  });

  it("explores about the share set, on a Thompson sample, and the new agent earns some of those steps", () => {
    const outs = tasks.map((t) => decide(0.2, t));
    const explored = outs.filter((o) => o.decision.explore);
    // 400 draws at p = 0.2: 80 expected, sd 8.
    expect(explored.length).toBeGreaterThan(50);
    expect(explored.length).toBeLessThan(110);
    expect(explored.every((o) => o.decision.record.estimator === "thompson")).toBe(true);
    const toNew = explored.filter((o) => o.dispatch.agent === "newcomer").length;
    expect(toNew).toBeGreaterThan(0);
    expect(toNew).toBeLessThan(explored.length);
    // Steps that do not explore still route on the mean: the new agent gets no unexplored traffic.
    expect(outs.filter((o) => !o.decision.explore).every((o) => o.dispatch.agent === "strong")).toBe(true);
  });

  it("is seeded by the run's seed, the task and the step: the same run explores at the same steps", () => {
    const a = tasks.map((t) => decide(0.5, t).decision.explore ?? false);
    expect(tasks.map((t) => decide(0.5, t).decision.explore ?? false)).toEqual(a);
    const nextStep = tasks.map((t) => decide(0.5, t, 1).decision.explore ?? false);
    expect(nextStep).not.toEqual(a);
    expect(tasks.every((t) => decide(1, t).decision.explore)).toBe(true);
  });

  it("the one forced answer never explores", () => {
    const w: StepWorld = { handbook: withNew, agents: pool, settings: { ...ORCHESTRATOR_DEFAULTS, exploreRate: 1 } };
    const eight = fresh({ steps: Array.from({ length: 8 }, (_, i) => step(i, "strong")) });
    const out = decideStep(w, eight, answerChoice, ["answer"]);
    expect(out.kind === "dispatch" && out.decision.explore).toBeFalsy();
  });

  it("a rate outside [0, 1] is one error naming the context field", () => {
    expect(() => resolveSettings({ exploreRate: 1.5 }, undefined)).toThrow(
      /^context exploreRate: must be a number in \[0, 1\], got 1.5$/,
    );
    expect(() => resolveSettings({ exploreRate: -0.1 }, undefined)).toThrow(/context exploreRate/);
    expect(resolveSettings({ exploreRate: 0.25 }, undefined).exploreRate).toBe(0.25);
    expect(resolveSettings(undefined, undefined).exploreRate).toBe(0);
  });
});
