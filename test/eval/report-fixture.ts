import { createHandbook } from "../../handbook/build.js";
import type { Handbook, Skill } from "../../handbook/schema.js";
import { evaluate, type Evaluation, type RouterSpec } from "../../src/eval/evaluate.js";
import type { Router } from "../../src/eval/replay.js";
import { testRecords, trainRecords } from "./helpers.js";

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
  h.agents.A = profile({ "answer.facts.dates": { successes: 3, failures: 1 }, "answer.math.algebra": { successes: 0.5, failures: 1.5 } }, 0.03);
  h.agents.B = profile({ "answer.facts.people": { successes: 2, failures: 0 } }, 0.02);
  h.agents.C = profile({ answer: { successes: 1, failures: 3 } }, 0.01, true);
  h.metadata.learning = { traces: 12, llmCalls: 30, usd: 0.42 };
  return h;
}

/** Our stand-in router: per task at λ < 0.5, cheapest beyond. */
const ours: RouterSpec = {
  name: "ours",
  label: "ours (mean)",
  make: (): Router => ({ name: "ours", route: (q, lambda = 0) => (lambda >= 0.5 ? "C" : q.task === "fruit" ? "A" : "B") }),
};

export function fixtureEvaluation(): Promise<Evaluation> {
  return evaluate({
    train: trainRecords(),
    test: testRecords({ costEstimated: true }),
    lambdas: [0, 0.4, 1],
    seeds: [1, 2, 3],
    k: 2,
    routers: [ours],
  });
}
