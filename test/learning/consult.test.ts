import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { betaMean, consultScopes, judge, planFor, planValue } from "../../handbook/consult.js";
import type { ConsultPlan, Handbook } from "../../handbook/schema.js";
import { centroidOf, embed, fitTextModel } from "../../handbook/text.js";
import {
  fitConsultRule,
  learnConsultRule,
  type ConsultOutcome,
  type ConsultPoint,
} from "../../src/learning/consult.js";
import { identifyAll } from "../../src/learning/identify.js";
import { skeletonHandbook } from "../../src/learning/profile.js";
import { groupRecords } from "../../src/learning/queries.js";
import { ExecutionRecordSchema, type ExecutionRecord } from "../../src/records/schema.js";
import { skill } from "../handbook/helpers.js";

const LETTERS = ["A", "B", "C", "D"] as const;

/**
 * Ground truth of the generator: every query's right answer is A; an agent answers it with probability p, else one
 * of the three wrong letters uniformly; agents' errors are independent.
 */
const TRUTH: Record<string, { p: number; usd: number }> = {
  cheap1: { p: 0.7, usd: 0.001 },
  cheap2: { p: 0.7, usd: 0.001 },
  strong: { p: 0.8, usd: 0.01 },
};

function synthPoints(n: number, seed: string, skillId = "answer.mc"): ConsultPoint[] {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, () => {
    const outcomes = new Map<string, ConsultOutcome>();
    for (const [agent, t] of Object.entries(TRUTH)) {
      const right = rng() < t.p;
      const key = right ? "A" : LETTERS[1 + Math.floor(rng() * 3)]!;
      outcomes.set(agent, { score: right ? 1 : 0, costUsd: t.usd, key });
    }
    return { skill: skillId, outcomes };
  });
}

/** The generator's joint distribution of answers, enumerated exactly: each assignment of letters with its probability. */
function joint(agents: readonly string[]): { keys: string[]; prob: number }[] {
  let out: { keys: string[]; prob: number }[] = [{ keys: [], prob: 1 }];
  for (const a of agents) {
    const p = TRUTH[a]!.p;
    out = out.flatMap((x) =>
      LETTERS.map((l) => ({ keys: [...x.keys, l], prob: x.prob * (l === "A" ? p : (1 - p) / 3) })),
    );
  }
  return out;
}

/** Exact figures of a plan under the generator (the accepted answers chosen as handbook/consult.ts does, with the plan's own weights). */
function exact(plan: ConsultPlan) {
  const [wA, wB, wE] = plan.weights as [number, number, number];
  let agree = 0;
  let agreeRight = 0;
  let disRight = 0;
  let escDisRight = 0;
  let escAgreeRight = 0;
  for (const { keys, prob } of joint(plan.agents)) {
    const [ka, kb, ke] = keys as [string, string, string];
    const totals = new Map<string, number>();
    for (const [k, w] of [
      [ka, wA],
      [kb, wB],
      [ke, wE],
    ] as const)
      totals.set(k, (totals.get(k) ?? 0) + w);
    const voted = [...totals].reduce((x, y) => (y[1] > x[1] ? y : x))[0];
    if (ka === kb) {
      agree += prob;
      if (ka === "A") agreeRight += prob;
      if (voted === "A") escAgreeRight += prob;
    } else {
      if ((wA >= wB ? ka : kb) === "A") disRight += prob;
      if (voted === "A") escDisRight += prob;
    }
  }
  return {
    alone: TRUTH[plan.agents[0]!]!.p,
    agreeRate: agree,
    agree: agreeRight / agree,
    disagree: disRight / (1 - agree),
    escalateAgree: escAgreeRight / agree,
    escalateDisagree: escDisRight / (1 - agree),
  };
}

describe("fitConsultRule on synthetic answers with known ground truth", () => {
  const N = 4000;
  const points = synthPoints(N, "consult-truth");
  const rule = fitConsultRule(points, { mode: "answer" })!;
  const plans = rule.plans["answer.mc"]!;
  const cheapPair = plans.find(
    (p) => p.agents[0]!.startsWith("cheap") && p.agents[1]!.startsWith("cheap") && p.agents[2] === "strong",
  )!;

  it("fits the skill's plans and the mode's fallback, with the stated shape", () => {
    expect(rule.version).toBe(1);
    expect(rule.maxCalls).toBe(3);
    expect(rule.strength).toBe(8);
    expect(Object.keys(rule.plans).sort()).toEqual(["answer", "answer.mc"]);
    expect(plans.length).toBeGreaterThan(0);
    expect(plans.length).toBeLessThanOrEqual(6 * 3);
    expect(cheapPair).toBeDefined();
    expect(cheapPair.labelled).toBe(N);
    for (const [i, usd] of [0.001, 0.001, 0.01].entries()) expect(cheapPair.costs[i]).toBeCloseTo(usd, 12);
    expect(cheapPair.costScale).toBeCloseTo(0.01, 12);
  });

  it("P(correct | agree) is well above P(correct | alone), P(correct | disagree) below, each within sampling error of the truth", () => {
    const truth = exact(cheapPair);
    // By hand: agree 0.49 + 0.09/3 = 0.52; correct | agree 0.49/0.52; correct | disagree 0.21/0.48.
    expect(truth.agreeRate).toBeCloseTo(0.52, 12);
    expect(truth.agree).toBeCloseTo(0.49 / 0.52, 12);
    expect(truth.disagree).toBeCloseTo(0.21 / 0.48, 12);
    // Three-way vote: on agreement the shared answer (0.85 + 0.85 > 1.39 of log-odds), on disagreement strong's.
    expect(truth.escalateAgree).toBeCloseTo(0.49 / 0.52, 12);
    expect(truth.escalateDisagree).toBeCloseTo(0.8, 12);
    const within = (fitted: number, p: number, n: number) => {
      const tol = 4 * Math.sqrt((p * (1 - p)) / n) + 8 / n;
      expect(Math.abs(fitted - p)).toBeLessThan(tol);
    };
    within(betaMean(cheapPair.alone), truth.alone, N);
    within(betaMean(cheapPair.agreeRate), truth.agreeRate, N);
    within(betaMean(cheapPair.agree), truth.agree, N * truth.agreeRate);
    within(betaMean(cheapPair.disagree), truth.disagree, N * (1 - truth.agreeRate));
    within(betaMean(cheapPair.escalateDisagree!), truth.escalateDisagree, N * (1 - truth.agreeRate));
    expect(betaMean(cheapPair.agree)).toBeGreaterThan(betaMean(cheapPair.alone) + 0.2);
    expect(betaMean(cheapPair.disagree)).toBeLessThan(betaMean(cheapPair.alone) - 0.2);
    // The vote did better than strong's own answer (0.874 against 0.8), so the plan keeps the vote.
    expect(cheapPair.final).toBe("vote");
    // Weights are the log-odds of the competences (0.7 here: 0.847), within sampling error.
    expect(Math.abs(cheapPair.weights[0]! - Math.log(0.7 / 0.3))).toBeLessThan(0.15);
    // Alone is built from the same states: P(agree)·P(correct | agree) + P(disagree)·P(first correct | disagree).
    const r = betaMean(cheapPair.agreeRate);
    expect(betaMean(cheapPair.alone)).toBeGreaterThan(r * betaMean(cheapPair.agree));
  });

  it("at λ=0 the best plan asks a third agent on disagreement and is worth the three-way vote's 0.874", () => {
    const best = planFor(rule, [{ id: "answer.mc", weight: 1 }], "answer", 0, { callsLeft: 3 })!;
    expect(best.scope).toBe("answer.mc");
    expect(best.plan.agents).toHaveLength(3);
    // 0.49 (agree, right) + 0.48·0.8 (disagree, strong's answer wins the vote).
    expect(Math.abs(best.value - 0.874)).toBeLessThan(0.03);
    const [a, b, e] = best.plan.agents;
    const dis = judge(
      best,
      [
        { agent: a!, key: "A" },
        { agent: b!, key: "B" },
      ],
      0,
      { callsLeft: 1 },
    );
    expect(dis).toMatchObject({ action: "consult", agent: e });
  });

  it("at a small λ, where the calls' costs break the tie, the two cheap agents go first and escalate to strong only on disagreement", () => {
    const lambda = 0.05;
    const best = planFor(rule, [{ id: "answer.mc", weight: 1 }], "answer", lambda, { callsLeft: 3 })!;
    expect(best.plan.agents.slice(0, 2).sort()).toEqual(["cheap1", "cheap2"]);
    expect(best.plan.agents[2]).toBe("strong");
    // By hand: 0.874 − 0.05·(0.1 + 0.1 + 0.48·1).
    expect(Math.abs(best.value - (0.874 - 0.05 * 0.68))).toBeLessThan(0.03);
    const [a, b] = best.plan.agents;
    const first = judge(best, [{ agent: a!, key: "A" }], lambda, { callsLeft: 2 });
    expect(first).toMatchObject({ action: "consult", agent: b });
    /** The judgement once the second cheap agent has answered `key` after the first's A. */
    const second = (key: string) =>
      judge(
        best,
        [
          { agent: a!, key: "A" },
          { agent: b!, key },
        ],
        lambda,
        { callsLeft: 1 },
      );
    expect(second("C")).toMatchObject({ action: "consult", agent: "strong", state: "disagree" });
    expect(second("A")).toMatchObject({ action: "accept", state: "agree" });
  });

  it("at a high λ the best plan is one cheap agent's answer", () => {
    const best = planFor(rule, [{ id: "answer.mc", weight: 1 }], "answer", 5, { callsLeft: 3 })!;
    expect(best.plan.agents[0]).toMatch(/^cheap/);
    const v = planValue(best.plan, 5, { callsLeft: 3 })!;
    expect(v.consults).toBe(false);
    expect(v.costUsd).toBeCloseTo(0.001, 12);
    expect(judge(best, [{ agent: best.plan.agents[0]!, key: "A" }], 5, { callsLeft: 2 })).toMatchObject({
      action: "accept",
      answer: 0,
    });
  });

  it("with maxCalls 2 fits pairs only; with maxCalls 1, one agent or no points, no rule", () => {
    const pairs = fitConsultRule(points.slice(0, 500), { mode: "answer", maxCalls: 2 })!;
    expect(pairs.maxCalls).toBe(2);
    for (const ps of Object.values(pairs.plans))
      for (const p of ps) {
        expect(p.agents).toHaveLength(2);
        expect(p.escalateAgree).toBeUndefined();
      }
    expect(fitConsultRule(points, { mode: "answer", maxCalls: 1 })).toBeUndefined();
    expect(fitConsultRule([], { mode: "answer" })).toBeUndefined();
    const alone = points
      .slice(0, 50)
      .map((p) => ({ skill: p.skill, outcomes: new Map([["cheap1", p.outcomes.get("cheap1")!]]) }));
    expect(fitConsultRule(alone, { mode: "answer" })).toBeUndefined();
  });
});

/** Points of two agents x and y, as [x's key, y's key, x's score, y's score] repeated `times`. */
function pointsOf(skillId: string, rows: [string, string, number, number, number][]): ConsultPoint[] {
  const out: ConsultPoint[] = [];
  for (const [kx, ky, sx, sy, times] of rows)
    for (let i = 0; i < times; i++)
      out.push({
        skill: skillId,
        outcomes: new Map([
          ["x", { score: sx, costUsd: 0.001, key: kx }],
          ["y", { score: sy, costUsd: 0.001, key: ky }],
        ]),
      });
  return out;
}
const planXY = (plans: readonly ConsultPlan[]) => plans.find((p) => p.agents[0] === "x" && p.agents[1] === "y")!;

describe("fitConsultRule's shrinkage", () => {
  it("with 3 labelled points in a state the posterior stays near the unconditional competence", () => {
    // x right on 80, y right on 17, both wrong (and agreeing on B) on 3.
    const pts = pointsOf("answer.s", [
      ["A", "C", 1, 0, 80],
      ["B", "A", 0, 1, 17],
      ["B", "B", 0, 0, 3],
    ]);
    const rule = fitConsultRule(pts, { mode: "answer" })!;
    const p = planXY(rule.plans["answer.s"]!);
    // Competence on the skill, shrunk toward the mode's (81/102) with 8 pseudo-observations.
    const pX = (80 + 8 * (81 / 102)) / (100 + 8);
    // The agree state: 3 observations, all wrong, against 8 at pX.
    const agree = betaMean(p.agree);
    expect(agree).toBeCloseTo((8 * pX + 0) / (8 + 3), 6);
    expect(Math.abs(agree - pX)).toBeLessThan(Math.abs(agree - 0));
    expect(agree).toBeGreaterThan(0.5);
    // Alone, from the same states: P(agree)·agree + P(disagree)·P(x correct | disagree), each shrunk toward pX.
    const r = 4 / 102;
    const xDisagree = (80 + 8 * pX) / (97 + 8);
    expect(betaMean(p.alone)).toBeCloseTo(r * agree + (1 - r) * xDisagree, 6);
    // More strength, closer still.
    const firm = planXY(fitConsultRule(pts, { mode: "answer", strength: 100 })!.plans["answer.s"]!);
    expect(betaMean(firm.agree)).toBeGreaterThan(agree);
    expect(betaMean(firm.agree)).toBeCloseTo((100 * ((80 + 100 * (81 / 102)) / 200)) / 103, 6);
    // The rate of agreement: 3 of 100, with a flat pseudo-pair.
    expect(betaMean(p.agreeRate)).toBeCloseTo(4 / 102, 6);
    expect(p.labelled).toBe(100);
  });

  it("a consultation that cannot change the answer is worth nothing: x always right, y always wrong, x first never consults y", () => {
    // 15 points on a small skill: the accepted answer after consulting y would always be x's (the stronger).
    const pts = [
      ...pointsOf("answer.small", [["A", "B", 1, 0, 15]]),
      ...pointsOf("answer.big", [
        ["A", "A", 1, 1, 30],
        ["B", "A", 0, 1, 30],
      ]),
    ];
    const rule = fitConsultRule(pts, { mode: "answer" })!;
    const p = planXY(rule.plans["answer.small"]!);
    const r = betaMean(p.agreeRate);
    // Consulting y: agree (never seen) or disagree (x's answer kept): the same accuracy as x alone.
    expect(r * betaMean(p.agree) + (1 - r) * betaMean(p.disagree)).toBeCloseTo(betaMean(p.alone), 6);
    for (const lambda of [0.001, 0.01, 0.1]) {
      const j = judge({ plan: p, scope: "answer.small" }, [{ agent: "x", key: "A" }], lambda, { callsLeft: 1 });
      expect(j.action).toBe("accept");
    }
  });

  it("with 3,000 labelled points in a state the posterior matches the empirical rate", () => {
    const pts = pointsOf("answer.s", [
      ["A", "A", 1, 1, 2100],
      ["B", "B", 0, 0, 900],
      ["A", "C", 1, 0, 1000],
    ]);
    const p = planXY(fitConsultRule(pts, { mode: "answer" })!.plans["answer.s"]!);
    expect(betaMean(p.alone)).toBeGreaterThan(0.77);
    expect(Math.abs(betaMean(p.agree) - 0.7)).toBeLessThan(0.001);
    expect(Math.abs(betaMean(p.disagree) - 1)).toBeLessThan(0.002);
  });

  it("a skill with fewer than minLabelled points gets no plans of its own: the mode's serve it", () => {
    const pts = [
      ...pointsOf("answer.big", [
        ["A", "C", 1, 0, 30],
        ["B", "A", 0, 1, 20],
      ]),
      ...pointsOf("answer.small", [["A", "C", 1, 0, 5]]),
    ];
    const rule = fitConsultRule(pts, { mode: "answer" })!;
    expect(Object.keys(rule.plans).sort()).toEqual(["answer", "answer.big"]);
    expect(planXY(rule.plans.answer!).labelled).toBe(55);
    expect(planFor(rule, [{ id: "answer.small", weight: 1 }], "answer", 0, { callsLeft: 3 })!.scope).toBe("answer");
    const lower = fitConsultRule(pts, { mode: "answer", minLabelled: 5 })!;
    expect(Object.keys(lower.plans).sort()).toEqual(["answer", "answer.big", "answer.small"]);
    expect(planFor(lower, [{ id: "answer.small", weight: 1 }], "answer", 0, { callsLeft: 3 })!.scope).toBe(
      "answer.small",
    );
  });
});

describe("learnConsultRule", () => {
  const GEO = [
    "What is the capital city of country",
    "Which river flows through the capital of province",
    "Name the mountain range on the border of nation",
  ];
  const ARITH = [
    "What is the sum of the numbers in list",
    "Multiply the digits and give the product of set",
    "Add the total remainder after you divide group",
  ];
  const word = (i: number) =>
    ["alpha", "bravo", "delta", "echo", "golf", "hotel", "kilo", "lima", "mike", "oscar"][i % 10]!;

  /** Records of x and y on 30 geography and 30 arithmetic questions: x is right on geography only, y on arithmetic. */
  function records(withResponses = true): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    for (let i = 0; i < 60; i++) {
      const geo = i % 2 === 0;
      const query = `${(geo ? GEO : ARITH)[i % 3]!} ${word(Math.floor(i / 2))}?`;
      for (const agent of ["x", "y"]) {
        const right = (agent === "x") === geo;
        out.push(
          ExecutionRecordSchema.parse({
            queryId: `q${i}`,
            query,
            task: geo ? "geo" : "arith",
            references: [`answer${i}`],
            agent,
            mode: "answer",
            response: withResponses ? `The answer is ${right ? `answer${i}` : `guess${agent}${i}`}.` : "",
            score: right ? 1 : 0,
            success: right,
            promptTokens: 20,
            completionTokens: 5,
            costUsd: 0.001,
            provider: "replay",
          }),
        );
      }
    }
    return out;
  }

  /** A candidate handbook whose two answer skills (with centroids in its text model) separate the two tasks. */
  function candidate(): Handbook {
    const items = groupRecords(records());
    const model = fitTextModel(items.map((it) => it.text));
    const centroid = (task: string) =>
      centroidOf(
        model,
        items.filter((it) => it.task === task).map((it) => embed(model, it.text)),
      );
    const h = skeletonHandbook(
      [skill("answer.geo", { centroid: centroid("geo") }), skill("answer.arith", { centroid: centroid("arith") })],
      [
        { id: "x", modes: ["answer"] },
        { id: "y", modes: ["answer"] },
      ],
      { now: "2025-01-01T00:00:00.000Z" },
    );
    h.text = { answer: model };
    return h;
  }

  /** Two folds, each with 15 questions of either task. */
  const folds: string[][] = [[], []];
  for (let i = 0; i < 60; i++) folds[Math.floor(i / 2) % 2]!.push(`q${i}`);

  it("chooses the candidate's scopes over one set of plans for the mode when its skills separate the tasks", () => {
    const items = groupRecords(records());
    const h = candidate();
    // The candidate's skills do tell the tasks apart.
    const found = identifyAll(h, items);
    for (const it of items) expect(found.get(it.key)![0]!.id).toBe(it.task === "geo" ? "answer.geo" : "answer.arith");
    const learnt = learnConsultRule([{ id: "two-skills", handbook: h }], items, { folds })!;
    expect(learnt.scopes).toBe("two-skills");
    expect(learnt.objectives.map((o) => o.id)).toEqual(["mode", "two-skills"]);
    const [mode, cand] = learnt.objectives;
    expect(mode!.scopes).toBe(1);
    expect(cand!.scopes).toBe(2);
    // One plan for both tasks is right half the time; the skills' plans nearly always.
    expect(cand!.objective).toBeGreaterThan(mode!.objective + 0.2);
    const rule = learnt.rule;
    expect(Object.keys(rule.scopes!).sort()).toEqual(["answer.arith", "answer.geo"]);
    expect(rule.scopes!["answer.geo"]!.centroid).toEqual(h.skills["answer.geo"]!.centroid);
    expect(Object.keys(rule.plans).sort()).toEqual(["answer", "answer.arith", "answer.geo"]);
    expect(rule.chosenBy).toContain("two-skills");
    expect(rule.chosenBy).toContain("2-fold cross-validation");
    // Served: a new geography question goes to x first, an arithmetic one to y.
    const served = { ...h, consult: rule };
    const geo = planFor(rule, consultScopes(served, "What is the capital city of country zulu?", []), "answer", 0.5, {
      callsLeft: 3,
    })!;
    expect(geo.scope).toBe("answer.geo");
    expect(geo.plan.agents[0]).toBe("x");
    const arith = planFor(
      rule,
      consultScopes(served, "What is the sum of the numbers in list zulu?", []),
      "answer",
      0.5,
      { callsLeft: 3 },
    )!;
    expect(arith.scope).toBe("answer.arith");
    expect(arith.plan.agents[0]).toBe("y");
  });

  it("without held-out queries every objective is 0 and the tie goes to the mode", () => {
    const learnt = learnConsultRule([{ id: "two-skills", handbook: candidate() }], groupRecords(records()))!;
    expect(learnt.scopes).toBe("mode");
    expect(learnt.objectives.every((o) => o.objective === 0)).toBe(true);
    expect(learnt.rule.scopes).toBeUndefined();
    expect(learnt.rule.chosenBy).toContain("no held-out queries");
  });

  it("is undefined when the records carry no responses, or with maxCalls 1", () => {
    expect(
      learnConsultRule([{ id: "two-skills", handbook: candidate() }], groupRecords(records(false)), { folds }),
    ).toBeUndefined();
    expect(
      learnConsultRule([{ id: "two-skills", handbook: candidate() }], groupRecords(records()), { folds, maxCalls: 1 }),
    ).toBeUndefined();
    const withMax2 = learnConsultRule([], groupRecords(records()), { folds, maxCalls: 2 })!;
    expect(withMax2.rule.maxCalls).toBe(2);
    expect(withMax2.scopes).toBe("mode");
  });
});
