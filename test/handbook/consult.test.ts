import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createHandbook } from "../../handbook/build.js";
import {
  betaMean,
  consultScopes,
  consultTrajectory,
  judge,
  planFor,
  planValue,
  vote,
  type GivenAnswer,
} from "../../handbook/consult.js";
import type { ConsultPlan, ConsultRule, Handbook } from "../../handbook/schema.js";
import { loadHandbook, saveHandbook } from "../../handbook/store.js";
import { centroidOf, embed, fitTextModel } from "../../handbook/text.js";

/**
 * A plan with round posterior means, so every expected value below is computed by hand. Costs in USD: a and b
 * $0.001 each, e $0.004 (the costliest: costScale), so λ prices b at 0.25·λ and e at 1·λ.
 *
 *   alone 0.7 · agreeRate 0.6 · agree 0.9 · disagree 0.3 · escalateAgree 0.92 · escalateDisagree 0.8
 *
 * After two answers: on agreement escalating is worth 0.92 − λ (> 0.9 only for λ < 0.02); on disagreement
 * 0.8 − λ (> 0.3 for λ < 0.5). After the first, for 0.02 ≤ λ < 0.5 consulting b is worth
 * 0.6·0.9 + 0.4·(0.8 − λ) − 0.25·λ = 0.86 − 0.65·λ, which beats accepting (0.7) while λ < 0.16/0.65: the expected
 * gain of consulting (0.86 − 0.7) equals λ times its expected normalised cost (0.25 + 0.4·1) at λ* = 16/65.
 */
const B = (alpha: number, beta: number) => ({ alpha, beta });
const plan = (over: Partial<ConsultPlan> = {}): ConsultPlan => ({
  agents: ["a", "b", "e"],
  weights: [1, 1.2, 2],
  costs: [0.001, 0.001, 0.004],
  costScale: 0.004,
  final: "vote",
  alone: B(7, 3),
  agreeRate: B(6, 4),
  agree: B(9, 1),
  disagree: B(3, 7),
  escalateAgree: B(23, 2),
  escalateDisagree: B(8, 2),
  labelled: 100,
  ...over,
});
const LAMBDA_STAR = 16 / 65;
const choice = (p: ConsultPlan = plan()) => ({ plan: p, scope: "answer.x" });
const ans = (agent: string, key: string | null): GivenAnswer => ({ agent, key });
const plenty = { callsLeft: 5 };

describe("betaMean", () => {
  it("is alpha / (alpha + beta)", () => {
    expect(betaMean(B(7, 3))).toBeCloseTo(0.7, 12);
    expect(betaMean(B(1, 3))).toBeCloseTo(0.25, 12);
  });
});

describe("planValue: the lookahead from the first call", () => {
  it("at λ=0 consults and escalates in both states: 0.6·0.92 + 0.4·0.8, paying every agent", () => {
    const v = planValue(plan(), 0, plenty)!;
    expect(v.value).toBeCloseTo(0.872, 12);
    expect(v.accuracy).toBeCloseTo(0.872, 12);
    expect(v.costUsd).toBeCloseTo(0.006, 12);
    expect(v.consults).toBe(true);
  });

  it("at λ=0.1 escalates on disagreement only: value 0.86 − 0.065 − λ·cost(a)", () => {
    const v = planValue(plan(), 0.1, plenty)!;
    expect(v.value).toBeCloseTo(0.86 - 0.065 - 0.025, 12);
    expect(v.accuracy).toBeCloseTo(0.86, 12);
    expect(v.costUsd).toBeCloseTo(0.001 + 0.001 + 0.4 * 0.004, 12);
    expect(v.consults).toBe(true);
  });

  it("at λ=1 accepts the first answer: 0.7 − 0.25", () => {
    const v = planValue(plan(), 1, plenty)!;
    expect(v.value).toBeCloseTo(0.45, 12);
    expect(v.accuracy).toBeCloseTo(0.7, 12);
    expect(v.costUsd).toBeCloseTo(0.001, 12);
    expect(v.consults).toBe(false);
  });

  it("looks ahead within the calls and budget left, and is null when the first call does not fit", () => {
    // Two calls: a and b, no escalation: 0.6·0.9 + 0.4·0.3 = 0.66 < 0.7, so the first answer is accepted.
    const two = planValue(plan(), 0, { callsLeft: 2 })!;
    expect(two.consults).toBe(false);
    expect(two.value).toBeCloseTo(0.7, 12);
    // Budget for a and b but not e: the same.
    expect(planValue(plan(), 0, { callsLeft: 3, budgetLeftUsd: 0.0025 })!.consults).toBe(false);
    // Budget for all three.
    expect(planValue(plan(), 0, { callsLeft: 3, budgetLeftUsd: 0.006 })!.value).toBeCloseTo(0.872, 12);
    expect(planValue(plan(), 0, { callsLeft: 0 })).toBeNull();
    expect(planValue(plan(), 0, { callsLeft: 3, budgetLeftUsd: 0.0009 })).toBeNull();
  });

  it("a plan with costScale 0 prices nothing", () => {
    const free = plan({ costs: [0, 0, 0], costScale: 0 });
    expect(planValue(free, 100, plenty)!.value).toBeCloseTo(0.872, 12);
  });
});

describe("judge after the first answer", () => {
  it("at λ=0 consults the second agent, naming the state, P(correct | state) and λ", () => {
    const j = judge(choice(), [ans("a", "A")], 0, plenty);
    expect(j.action).toBe("consult");
    if (j.action !== "consult") return;
    expect(j.agent).toBe("b");
    expect(j.state).toBe("alone");
    expect(j.pCorrect).toBeCloseTo(0.7, 12);
    expect(j.consultValue).toBeCloseTo(0.872, 12);
    expect(j.expectedCostUsd).toBeCloseTo(0.001, 12);
    expect(j.reason).toContain("P(correct | a alone, answer.x) = 0.700");
    expect(j.reason).toContain("λ=0");
    expect(j.reason).toContain("0.872");
  });

  it("at a large λ accepts the first answer, saying what consulting would be worth", () => {
    const j = judge(choice(), [ans("a", "A")], 1, plenty);
    expect(j).toMatchObject({ action: "accept", answer: 0, state: "alone" });
    expect(j.pCorrect).toBeCloseTo(0.7, 12);
    // 0.6·0.9 + 0.4·0.3 − 0.25 = 0.41.
    expect(j.reason).toContain("P(correct | a alone, answer.x) = 0.700");
    expect(j.reason).toContain("consulting b is worth 0.410 at λ=1");
  });

  it("switches from consulting to accepting at λ* = gain / expected cost = 0.16 / 0.65", () => {
    const below = judge(choice(), [ans("a", "A")], LAMBDA_STAR * (1 - 1e-6), plenty);
    const above = judge(choice(), [ans("a", "A")], LAMBDA_STAR * (1 + 1e-6), plenty);
    expect(below.action).toBe("consult");
    expect(above.action).toBe("accept");
    if (below.action === "consult") expect(below.consultValue).toBeCloseTo(0.7, 5);
    // Either side of λ*, the value of consulting is 0.86 − 0.65·λ.
    for (const lambda of [0.05, 0.2, 0.3, 0.45]) {
      const j = judge(choice(), [ans("a", "A")], lambda, plenty);
      expect(j.action).toBe(lambda < LAMBDA_STAR ? "consult" : "accept");
      if (j.action === "consult") expect(j.consultValue).toBeCloseTo(0.86 - 0.65 * lambda, 12);
    }
  });

  it("accepts when no call is left, and says so", () => {
    const j = judge(choice(), [ans("a", "A")], 0, { callsLeft: 0 });
    expect(j).toMatchObject({ action: "accept", answer: 0, state: "alone" });
    expect(j.reason).toContain("no call left");
  });

  it("accepts when the budget left is below the second agent's expected cost, and says so", () => {
    const j = judge(choice(), [ans("a", "A")], 0, { callsLeft: 2, budgetLeftUsd: 0.0005 });
    expect(j).toMatchObject({ action: "accept", answer: 0 });
    expect(j.reason).toContain("b's expected $0.0010 exceeds the $0.00050 left");
  });

  it("accepts at λ=0 when only one call is left, since the escalation no longer fits (0.66 < 0.7)", () => {
    const j = judge(choice(), [ans("a", "A")], 0, { callsLeft: 1 });
    expect(j.action).toBe("accept");
    expect(j.reason).toContain("consulting b is worth 0.660 at λ=0");
    // …and the same when the budget pays for b but not e.
    expect(judge(choice(), [ans("a", "A")], 0, { callsLeft: 3, budgetLeftUsd: 0.0015 }).action).toBe("accept");
    expect(judge(choice(), [ans("a", "A")], 0, { callsLeft: 3, budgetLeftUsd: 0.005 }).action).toBe("consult");
  });
});

describe("judge after two answers", () => {
  it("on agreement accepts the shared answer unless escalating is worth more (λ < 0.02)", () => {
    const at0 = judge(choice(), [ans("a", "A"), ans("b", "A")], 0, plenty);
    expect(at0).toMatchObject({ action: "consult", agent: "e", state: "agree" });
    if (at0.action === "consult") {
      expect(at0.pCorrect).toBeCloseTo(0.9, 12);
      expect(at0.consultValue).toBeCloseTo(0.92, 12);
      expect(at0.reason).toContain("P(correct | a and b agree, answer.x) = 0.900");
    }
    const j = judge(choice(), [ans("a", "A"), ans("b", "A")], 0.1, plenty);
    expect(j).toMatchObject({ action: "accept", answer: 0, state: "agree" });
    expect(j.pCorrect).toBeCloseTo(0.9, 12);
    expect(j.reason).toContain("P(correct | a and b agree, answer.x) = 0.900");
    expect(j.reason).toContain("escalating to e is worth 0.920 − λ·$0.0040/$0.0040 = 0.820 at λ=0.1");
    // The switch: 0.92 − λ = 0.9.
    expect(judge(choice(), [ans("a", "A"), ans("b", "A")], 0.02 * (1 - 1e-6), plenty).action).toBe("consult");
    expect(judge(choice(), [ans("a", "A"), ans("b", "A")], 0.02 * (1 + 1e-6), plenty).action).toBe("accept");
  });

  it("on disagreement escalates while 0.8 − λ > 0.3", () => {
    const j = judge(choice(), [ans("a", "A"), ans("b", "B")], 0.1, plenty);
    expect(j).toMatchObject({ action: "consult", agent: "e", state: "disagree" });
    if (j.action !== "consult") return;
    expect(j.pCorrect).toBeCloseTo(0.3, 12);
    expect(j.consultValue).toBeCloseTo(0.7, 12);
    expect(j.expectedCostUsd).toBeCloseTo(0.004, 12);
    expect(j.reason).toContain("P(correct | a and b disagree, answer.x) = 0.300");
    expect(j.reason).toContain("λ=0.1");
    expect(judge(choice(), [ans("a", "A"), ans("b", "B")], 0.5 * (1 - 1e-6), plenty).action).toBe("consult");
    expect(judge(choice(), [ans("a", "A"), ans("b", "B")], 0.5 * (1 + 1e-6), plenty).action).toBe("accept");
  });

  it("on disagreement with escalation too costly accepts the more competent one's answer", () => {
    const j = judge(choice(), [ans("a", "A"), ans("b", "B")], 1, plenty);
    expect(j).toMatchObject({ action: "accept", answer: 1, state: "disagree" });
    expect(j.pCorrect).toBeCloseTo(0.3, 12);
    expect(j.reason).toContain("accept b's answer");
    expect(j.reason).toContain("escalating to e is worth 0.800 − λ·$0.0040/$0.0040 = -0.200 at λ=1");
    // With a the heavier, a's answer.
    const heavyA = judge(choice(plan({ weights: [1.5, 1.2, 2] })), [ans("a", "A"), ans("b", "B")], 1, plenty);
    expect(heavyA).toMatchObject({ action: "accept", answer: 0 });
    // An unread answer is no disagreement worth voting on: the read one is accepted.
    expect(judge(choice(), [ans("a", "A"), ans("b", null)], 1, plenty)).toMatchObject({
      action: "accept",
      answer: 0,
      state: "disagree",
    });
  });

  it("two unread answers do not agree", () => {
    expect(judge(choice(), [ans("a", null), ans("b", null)], 0.1, plenty)).toMatchObject({
      action: "consult",
      state: "disagree",
    });
  });

  it("never escalates past the limits, and says which one stopped it", () => {
    const calls = judge(choice(), [ans("a", "A"), ans("b", "B")], 0, { callsLeft: 0 });
    expect(calls).toMatchObject({ action: "accept", answer: 1, state: "disagree" });
    expect(calls.reason).toContain("no call left");
    const budget = judge(choice(), [ans("a", "A"), ans("b", "B")], 0, { callsLeft: 1, budgetLeftUsd: 0.003 });
    expect(budget).toMatchObject({ action: "accept", state: "disagree" });
    expect(budget.reason).toContain("e's expected $0.0040 exceeds the $0.0030 left");
    expect(judge(choice(), [ans("a", "A"), ans("b", "B")], 0, { callsLeft: 1, budgetLeftUsd: 0.004 }).action).toBe(
      "consult",
    );
  });

  it("a plan of two agents accepts after two answers: no escalation agent", () => {
    const two = plan({
      agents: ["a", "b"],
      weights: [1, 1.2],
      costs: [0.001, 0.001],
      costScale: 0.001,
      escalateAgree: undefined,
      escalateDisagree: undefined,
    });
    const j = judge(choice(two), [ans("a", "A"), ans("b", "B")], 0, plenty);
    expect(j).toMatchObject({ action: "accept", answer: 1, state: "disagree" });
    expect(j.reason).toContain("no escalation agent");
    // Lookahead without escalation: 0.6·0.9 + 0.4·0.3 = 0.66 < 0.7: b is not worth consulting even at λ=0.
    expect(judge(choice(two), [ans("a", "A")], 0, plenty).action).toBe("accept");
  });
});

describe("judge after the escalation", () => {
  it("accepts the weighted vote, with P(correct | escalated) of the state escalated from", () => {
    // a and b disagree; e sides with b: B has 1.2 + 2.
    const j = judge(choice(), [ans("a", "A"), ans("b", "B"), ans("e", "B")], 0, plenty);
    expect(j).toMatchObject({ action: "accept", answer: 2, state: "escalated" });
    expect(j.pCorrect).toBeCloseTo(0.8, 12);
    expect(j.reason).toContain("P(correct | escalated, answer.x) = 0.800");
    // a and b agree on A (1 + 1.2 = 2.2) against e's C (2): A wins, b's answer (the heavier giver of A).
    const agreed = judge(choice(), [ans("a", "A"), ans("b", "A"), ans("e", "C")], 0, plenty);
    expect(agreed).toMatchObject({ action: "accept", answer: 1, state: "escalated" });
    expect(agreed.pCorrect).toBeCloseTo(0.92, 12);
  });

  it("with final 'escalation' accepts the escalation agent's own answer", () => {
    const j = judge(choice(plan({ final: "escalation" })), [ans("a", "A"), ans("b", "A"), ans("e", "C")], 0, plenty);
    expect(j).toMatchObject({ action: "accept", answer: 2, state: "escalated" });
    expect(j.reason).toContain("the escalation's");
  });

  it("throws without an answer", () => {
    expect(() => judge(choice(), [], 0, plenty)).toThrow(/no answer/);
  });
});

describe("vote", () => {
  const p = plan(); // weights a 1, b 1.2, e 2
  it("sums the weights of the agents giving each key; the heaviest giver's answer of the winning key", () => {
    expect(vote(p, [ans("a", "X"), ans("b", "Y")])).toBe(1);
    expect(vote(p, [ans("a", "X"), ans("b", "X"), ans("e", "Y")])).toBe(1);
    expect(vote(p, [ans("a", "X"), ans("b", "Y"), ans("e", "X")])).toBe(2);
    expect(vote(plan({ weights: [1, 1.2, 2.5] }), [ans("a", "X"), ans("b", "X"), ans("e", "Y")])).toBe(2);
  });

  it("gives null keys no vote, and the last answer when none could be read", () => {
    expect(vote(p, [ans("a", null), ans("b", "Y")])).toBe(1);
    expect(vote(p, [ans("a", "X"), ans("b", null), ans("e", null)])).toBe(0);
    expect(vote(p, [ans("a", null), ans("b", null), ans("e", null)])).toBe(2);
    expect(vote(p, [ans("a", null)])).toBe(0);
  });

  it("weighs an agent outside the plan 0", () => {
    expect(vote(p, [ans("z", "Q"), ans("a", "X")])).toBe(1);
  });
});

describe("consultTrajectory", () => {
  /** Every agent answers something of its own: they never agree. */
  const never = () => {
    const asked: string[] = [];
    const ask = (agent: string) => {
      asked.push(agent);
      return `key-of-${agent}`;
    };
    return { asked, ask };
  };
  const cost = (p: ConsultPlan, agents: readonly string[]) =>
    agents.reduce((s, a) => s + (p.costs[p.agents.indexOf(a)] ?? 0), 0);

  it("at λ=0 with agents that never agree asks the three agents of the plan, no more, whatever the calls left", () => {
    for (const callsLeft of [3, 10]) {
      const { asked, ask } = never();
      const run = consultTrajectory(choice(), ask, 0, { callsLeft });
      expect(asked).toEqual(["a", "b", "e"]);
      expect(run.answers.map((a) => a.agent)).toEqual(["a", "b", "e"]);
      expect(run.judgements.map((j) => j.action)).toEqual(["consult", "consult", "accept"]);
      expect(run.judgements.map((j) => j.state)).toEqual(["alone", "disagree", "escalated"]);
      // Three different keys: the heaviest (e) wins the vote.
      expect(run.accepted).toBe(2);
    }
  });

  it("asks at most as many agents as calls are left, and never more than the budget pays for", () => {
    for (let callsLeft = 1; callsLeft <= 4; callsLeft++) {
      const { asked, ask } = never();
      consultTrajectory(choice(), ask, 0, { callsLeft });
      expect(asked.length).toBeLessThanOrEqual(Math.min(3, callsLeft));
    }
    const p = plan();
    for (const budget of [0.001, 0.0015, 0.002, 0.0025, 0.004, 0.0055, 0.006, 0.01]) {
      const { asked, ask } = never();
      const run = consultTrajectory(choice(p), ask, 0, { callsLeft: 3, budgetLeftUsd: budget });
      expect(cost(p, asked)).toBeLessThanOrEqual(budget + 1e-12);
      expect(run.answers).toHaveLength(asked.length);
      expect(run.judgements.at(-1)!.action).toBe("accept");
    }
    // Below $0.006 the escalation never fits, and without it consulting b is not worth it (0.66 < 0.7).
    const short = never();
    consultTrajectory(choice(p), short.ask, 0, { callsLeft: 3, budgetLeftUsd: 0.0055 });
    expect(short.asked).toEqual(["a"]);
    const full = never();
    consultTrajectory(choice(p), full.ask, 0, { callsLeft: 3, budgetLeftUsd: 0.006 });
    expect(full.asked).toEqual(["a", "b", "e"]);
  });

  it("stops at agreement when escalating is not worth it", () => {
    const asked: string[] = [];
    const run = consultTrajectory(
      choice(),
      (a) => {
        asked.push(a);
        return "A";
      },
      0.1,
      plenty,
    );
    expect(asked).toEqual(["a", "b"]);
    expect(run.accepted).toBe(0);
    expect(run.judgements.at(-1)).toMatchObject({ action: "accept", state: "agree" });
  });
});

describe("planFor", () => {
  /** A cheap pair that never gains by consulting: 0.5·0.8 + 0.5·0.5 < 0.75. */
  const cheap = plan({
    agents: ["c", "d"],
    weights: [1, 1],
    costs: [0.0001, 0.0001],
    costScale: 0.004,
    alone: B(75, 25),
    agreeRate: B(5, 5),
    agree: B(8, 2),
    disagree: B(5, 5),
    escalateAgree: undefined,
    escalateDisagree: undefined,
  });
  const modePlan = plan({
    agents: ["m1", "m2"],
    weights: [0, 0],
    costs: [0.001, 0.001],
    costScale: 0.001,
    escalateAgree: undefined,
    escalateDisagree: undefined,
  });
  const rule = (over: Partial<ConsultRule> = {}): ConsultRule => ({
    version: 1,
    maxCalls: 3,
    strength: 8,
    plans: { "answer.x": [plan(), cheap], answer: [modePlan] },
    ...over,
  });

  it("picks the plan of highest value at λ among the most weighted skill's plans", () => {
    const at0 = planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 0, plenty)!;
    expect(at0.scope).toBe("answer.x");
    expect(at0.plan.agents).toEqual(["a", "b", "e"]);
    expect(at0.value).toBeCloseTo(0.872, 12);
    expect(at0.accuracy).toBeCloseTo(0.872, 12);
    expect(at0.costUsd).toBeCloseTo(0.006, 12);
    // At λ=1: the cheap pair's 0.75 − 0.025 beats 0.45.
    const at1 = planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 1, plenty)!;
    expect(at1.plan.agents).toEqual(["c", "d"]);
    expect(at1.value).toBeCloseTo(0.725, 12);
  });

  it("takes the plans of the most weighted skill that has some, else the mode's", () => {
    const skills = [
      { id: "answer.y", weight: 0.7 },
      { id: "answer.x", weight: 0.3 },
    ];
    expect(planFor(rule(), skills, "answer", 0, plenty)!.scope).toBe("answer.x");
    const both = rule({ plans: { "answer.x": [plan()], "answer.y": [cheap], answer: [modePlan] } });
    expect(planFor(both, skills, "answer", 0, plenty)!.scope).toBe("answer.y");
    expect(planFor(rule(), [{ id: "answer.y", weight: 1 }], "answer", 0, plenty)!.scope).toBe("answer");
    expect(planFor(rule(), [], "answer", 0, plenty)!.plan.agents).toEqual(["m1", "m2"]);
  });

  it("excludes plans with a disallowed agent, falling back to the mode's when none is left", () => {
    const noE = planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 0, plenty, (a) => a !== "e")!;
    expect(noE.plan.agents).toEqual(["c", "d"]);
    const noneLeft = planFor(
      rule(),
      [{ id: "answer.x", weight: 1 }],
      "answer",
      0,
      plenty,
      (a) => a !== "e" && a !== "d",
    )!;
    expect(noneLeft.scope).toBe("answer");
    expect(planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 0, plenty, () => false)).toBeNull();
  });

  it("caps the calls at the rule's maxCalls: with 2 the escalation plan is worth 0.7 − ε < 0.75", () => {
    const two = planFor(rule({ maxCalls: 2 }), [{ id: "answer.x", weight: 1 }], "answer", 0, plenty)!;
    expect(two.plan.agents).toEqual(["c", "d"]);
  });

  it("is null without a rule, with maxCalls 1, or when no first call fits", () => {
    expect(planFor(undefined, [], "answer", 0, plenty)).toBeNull();
    expect(planFor(rule({ maxCalls: 1 }), [{ id: "answer.x", weight: 1 }], "answer", 0, plenty)).toBeNull();
    expect(planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 0, { callsLeft: 0 })).toBeNull();
    expect(
      planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 0, { callsLeft: 3, budgetLeftUsd: 0.00005 }),
    ).toBeNull();
    // Budget for the cheap pair's first call only.
    expect(
      planFor(rule(), [{ id: "answer.x", weight: 1 }], "answer", 0, { callsLeft: 3, budgetLeftUsd: 0.0002 })!.plan
        .agents,
    ).toEqual(["c", "d"]);
  });
});

describe("consultScopes", () => {
  const fruit = [
    "red apple cherry fruit basket",
    "ripe cherry apple orchard fruit",
    "apple pie with red cherry fruit",
    "fruit salad of apple and cherry",
  ];
  const sea = [
    "blue ocean waves sky horizon",
    "deep ocean water under blue sky",
    "sky over the ocean tide waves",
    "waves of the blue ocean shore",
  ];
  const model = fitTextModel([...fruit, ...sea]);
  const scopes = {
    "answer.fruit": {
      name: "fruit",
      centroid: centroidOf(
        model,
        fruit.map((t) => embed(model, t)),
      ),
    },
    "answer.sea": {
      name: "sea",
      centroid: centroidOf(
        model,
        sea.map((t) => embed(model, t)),
      ),
    },
  };
  const rule: ConsultRule = { version: 1, maxCalls: 3, strength: 8, plans: { answer: [plan()] }, scopes };
  const step = [{ id: "answer.other", weight: 1 }];
  const withRule = (r: ConsultRule | undefined): Handbook => {
    const h = createHandbook({ now: "2025-01-01T00:00:00.000Z", modes: { answer: {} } });
    h.text = { answer: model };
    if (r) h.consult = r;
    return h;
  };

  it("with the rule's scopes, a text goes to its nearest scope", () => {
    const h = withRule(rule);
    const a = consultScopes(h, "a cherry and an apple", step);
    expect(a[0]!.id).toBe("answer.fruit");
    expect(a.reduce((s, x) => s + x.weight, 0)).toBeCloseTo(1, 12);
    const b = consultScopes(h, "the ocean under a blue sky", step);
    expect(b[0]!.id).toBe("answer.sea");
    // The scope's plans then serve the step (here, none of its own: the mode's).
    expect(planFor(h.consult, b, "answer", 0, plenty)!.scope).toBe("answer");
  });

  it("without scopes (or without a rule) returns the step's own skills", () => {
    const { scopes: _, ...bare } = rule;
    const own = consultScopes(withRule(bare), "a cherry and an apple", step);
    expect(own).toEqual(step);
    expect(own).not.toBe(step);
    expect(consultScopes(withRule(undefined), "a cherry and an apple", step)).toEqual(step);
  });
});

describe("a handbook's consult rule in the store", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const handbook = (consult: unknown): Handbook => {
    const h = createHandbook({ now: "2025-01-01T00:00:00.000Z", modes: { answer: {} } });
    return { ...h, consult } as Handbook;
  };
  const goodRule: ConsultRule = {
    version: 1,
    maxCalls: 3,
    strength: 8,
    plans: {
      "answer.x": [
        plan(),
        plan({
          agents: ["a", "b"],
          weights: [1, 1.2],
          costs: [0.001, 0.001],
          escalateAgree: undefined,
          escalateDisagree: undefined,
          final: "vote",
        }),
      ],
      answer: [plan({ final: "escalation" })],
    },
    scopes: { "answer.x": { name: "x", centroid: { apple: 0.8, "#question": 0.6 } } },
    chosenBy: "scopes of k4: best held-out objective 0.7000",
  };

  it("saves and loads unchanged", () => {
    dir = mkdtempSync(join(tmpdir(), "consult-store-"));
    const path = join(dir, "h.json");
    const saved = saveHandbook(path, handbook(goodRule), "2025-01-02T00:00:00.000Z");
    const loaded = loadHandbook(path);
    expect(loaded).toEqual(saved);
    expect(loaded.consult).toEqual(goodRule);
  });

  it("rejects a malformed rule, naming the field", () => {
    dir = mkdtempSync(join(tmpdir(), "consult-store-"));
    const path = join(dir, "h.json");
    const bad = (mutate: (r: ConsultRule) => void) => {
      const r = structuredClone(goodRule);
      mutate(r);
      return handbook(r);
    };
    const oneAgent = bad((r) => {
      r.plans["answer.x"]![0]!.agents = ["a"];
    });
    expect(() => saveHandbook(path, oneAgent)).toThrow(/\$\.consult\.plans\["answer\.x"\]\[0\]\.agents/);
    writeFileSync(path, JSON.stringify(oneAgent));
    expect(() => loadHandbook(path)).toThrow(/\$\.consult\.plans\["answer\.x"\]\[0\]\.agents/);
    writeFileSync(
      path,
      JSON.stringify(
        bad((r) => {
          r.maxCalls = 5;
        }),
      ),
    );
    expect(() => loadHandbook(path)).toThrow(/\$\.consult\.maxCalls/);
    expect(() =>
      saveHandbook(
        path,
        bad((r) => {
          r.plans.answer = [];
        }),
      ),
    ).toThrow(/\$\.consult\.plans\.answer/);
    // Nothing malformed was saved over the file.
    expect(readFileSync(path, "utf8")).toContain('"maxCalls":5');
  });
});
