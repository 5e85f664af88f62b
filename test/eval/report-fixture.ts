import { createHandbook } from "../../handbook/build.js";
import type { Handbook, Skill } from "../../handbook/schema.js";
import { evaluate, type RouterComparison, type RouterSpec } from "../../src/eval/evaluate.js";
import type { Router } from "../../src/eval/replay.js";
import { rec, testRecords, trainRecords } from "./helpers.js";

const T0 = "2025-01-01T00:00:00.000Z";

function skill(id: string, name: string, indicators: string[] = []): Skill {
  const parts = id.split(".");
  return {
    id,
    name,
    description: `${name} questions`,
    indicators,
    examples: [],
    mode: "answer",
    ...(parts.length > 2 ? { parent: parts.slice(0, -1).join(".") } : {}),
    provenance: { discoveredFrom: [], history: [] },
  };
}

const cost = (meanCostUsd: number, estimated = false) => ({
  meanPromptTokens: 100,
  meanCompletionTokens: 20,
  meanCostUsd,
  meanLatencyMs: 300,
  count: 4,
  estimated,
});

/**
 * Five skill nodes (two categories, three skills), three agents, and a mode-level entry for agent C: a heat map
 * of 6 rows × 3 agents. One indicator holds markup, to check escaping.
 */
export function fixtureHandbook(): Handbook {
  const h = createHandbook({ now: T0, modes: { answer: { description: "write the final answer" } } });
  for (const s of [
    skill("answer.facts", "Facts"),
    skill("answer.facts.dates", "Dates", ["a year is asked", "<script>alert('x')</script>"]),
    skill("answer.facts.people", "People", ["who"]),
    skill("answer.math", "Math"),
    skill("answer.math.algebra", "Algebra", ["solve for x"]),
  ])
    h.skills[s.id] = s;
  const profile = (competence: Handbook["agents"][string]["competence"], c: number, estimated = false) => ({
    modes: ["answer" as const],
    competence,
    costs: { answer: cost(c, estimated) },
    strengths: [],
    weaknesses: [],
    routingSignals: [],
  });
  h.agents.A = profile(
    { "answer.facts.dates": { successes: 3, failures: 1 }, "answer.math.algebra": { successes: 0.5, failures: 1.5 } },
    0.03,
  );
  h.agents.B = profile({ "answer.facts.people": { successes: 2, failures: 0 } }, 0.02);
  h.agents.C = profile({ answer: { successes: 1, failures: 3 } }, 0.01, true);
  h.metadata.learning = { traces: 12, llmCalls: 30, usd: 0.42 };
  return h;
}

/** Our stand-in router: per task at λ < 0.5, cheapest beyond. */
const ours: RouterSpec = {
  name: "ours",
  label: "ours (mean)",
  make: (): Router => ({
    name: "ours",
    route: (q, lambda = 0) => (lambda >= 0.5 ? "C" : q.task === "fruit" ? "A" : "B"),
  }),
};

export function fixtureEvaluation(): Promise<RouterComparison> {
  return evaluate({
    train: trainRecords(),
    test: testRecords({ costEstimated: true }),
    lambdas: [0, 0.4, 1],
    seeds: [1, 2, 3],
    k: 2,
    routers: [ours],
  });
}

const CROWD_AGENTS = {
  "gpt-4-1106-preview": 0.03,
  "claude-v2": 0.012,
  "mixtral-8x7b-chat": 0.0006,
  "yi-34b-chat": 0.0008,
  "gpt-3.5-turbo-1106": 0.001,
} as const;
type CrowdAgent = keyof typeof CROWD_AGENTS;
const CROWD_SKILL: Record<CrowdAgent, number> = {
  "gpt-4-1106-preview": 0.9,
  "claude-v2": 0.8,
  "mixtral-8x7b-chat": 0.6,
  "yi-34b-chat": 0.7,
  "gpt-3.5-turbo-1106": 0.65,
};

/** A deterministic value in [0, 1) of a string. */
function unit(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

function crowdRecords(prefix: string, n: number) {
  const tasks = ["arc", "mbpp", "winogrande"];
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}${i}`;
    const task = tasks[i % 3]!;
    return (Object.keys(CROWD_AGENTS) as CrowdAgent[]).map((a) =>
      rec(id, `${task} question ${i}`, task, a, unit(`${id}:${a}`) < CROWD_SKILL[a] ? 1 : 0, CROWD_AGENTS[a]),
    );
  }).flat();
}

/** A router of ours that routes a share of the queries, growing with λ, to cheaper agents (per family). */
function crowdRouter(name: string, label: string, offset: number): RouterSpec {
  const order: CrowdAgent[] = [
    "gpt-4-1106-preview",
    "claude-v2",
    "gpt-3.5-turbo-1106",
    "yi-34b-chat",
    "mixtral-8x7b-chat",
  ];
  return {
    name,
    label: `ours (${label})`,
    make: (): Router => ({
      name,
      route: (q, lambda = 0) => {
        const step = Math.min(order.length - 1, Math.floor(unit(`${q.id}:${offset}`) * (1 + lambda * 6)));
        return order[step]!;
      },
    }),
  };
}

/**
 * A crowded evaluation: five agents with RouterBench-like prices, three families of ours and kNN over six λ,
 * so many points sit close together and some on the same spot.
 */
export function crowdedEvaluation(): Promise<RouterComparison> {
  return evaluate({
    train: crowdRecords("r", 60),
    test: crowdRecords("t", 60),
    lambdas: [0, 0.05, 0.1, 0.2, 0.5, 1],
    seeds: [1, 2, 3],
    k: 5,
    routers: [
      crowdRouter("mean", "posterior mean", 0),
      crowdRouter("quantile", "posterior quantile q=0.25", 0),
      crowdRouter("thompson", "Thompson", 1),
    ],
  });
}

/** A handbook with a large skill tree (8 categories of 6 skills) over the crowded evaluation's agents. */
export function bigHandbook(): Handbook {
  const h = createHandbook({ now: T0, modes: { answer: { description: "write the final answer" } } });
  for (let c = 0; c < 8; c++) {
    const cat = skill(`answer.cat_${c}`, `Category ${c}`);
    h.skills[cat.id] = cat;
    for (let s = 0; s < 6; s++) {
      const sk = skill(`answer.cat_${c}.skill_${s}`, `Skill ${c}.${s}`, [
        `term${c}${s}`,
        "another indicator",
        "a third indicator",
      ]);
      h.skills[sk.id] = sk;
    }
  }
  for (const [a, c] of Object.entries(CROWD_AGENTS))
    h.agents[a] = {
      modes: ["answer"],
      competence: Object.fromEntries(
        Object.keys(h.skills).map((id) => [id, { successes: unit(`${a}${id}`) * 10, failures: 3 }]),
      ),
      costs: { answer: cost(c) },
      strengths: [],
      weaknesses: [],
      routingSignals: [],
    };
  return h;
}
