import { describe, expect, it } from "vitest";
import { chooseHandbook } from "../../src/learning/choose.js";
import { evaluateHandbook, replayIndex } from "../../src/learning/evaluate.js";
import type { QueryItem } from "../../src/learning/queries.js";
import { ev, handbookWith } from "../handbook/helpers.js";

/** "lucky" won its two dates traces and fails elsewhere in the category; "steady" is good everywhere. */
function handbook() {
  const h = handbookWith(["answer.facts", "answer.facts.dates", "answer.facts.people"], {
    lucky: { modes: ["answer"], competence: { "answer.facts.dates": ev(2, 0), "answer.facts.people": ev(2, 8) } },
    steady: { modes: ["answer"], competence: { "answer.facts.dates": ev(7, 3), "answer.facts.people": ev(8, 2) } },
  });
  h.skills["answer.facts.dates"]!.indicators = ["dates", "year"];
  h.skills["answer.facts.people"]!.indicators = ["person", "born"];
  return h;
}

const outcome = (agent: string, score: number) => ({
  agent,
  score,
  acted: true,
  promptTokens: 10,
  completionTokens: 5,
  costUsd: 0.001,
  costEstimated: false,
  latencyMs: 1,
  response: "",
});
const items: QueryItem[] = ["q1", "q2", "q3"].map((q) => ({
  key: `${q}\u0000answer`,
  queryId: q,
  mode: "answer",
  task: "t",
  text: "which year were these dates",
  outcomes: [outcome("lucky", 0), outcome("steady", 1)],
}));

describe("replay with shrinkage", () => {
  it("evaluation and selection pass the shrinkage setting to the router", () => {
    const h = handbook();
    const index = replayIndex(items);
    const plain = evaluateHandbook(h, index, undefined, { shrinkage: "none" });
    expect(plain.calls).toEqual({ lucky: 3 });
    expect(plain.accuracy).toBe(0);
    const shrunk = evaluateHandbook(h, index, undefined, { shrinkage: { strength: 4 } });
    expect(shrunk.calls).toEqual({ steady: 3 });
    expect(shrunk.accuracy).toBe(1);
    const val = { index, queries: ["q1", "q2", "q3"] };
    const a = chooseHandbook(h, val, { shrinkage: "none" }).selection;
    const b = chooseHandbook(h, val, { shrinkage: { strength: 4 } }).selection;
    const acc = (s: typeof a) => s.candidates.find((c) => c.id === "answer=all")!.evaluation.accuracy;
    expect(acc(a)).toBe(0);
    expect(acc(b)).toBe(1);
  });
});
