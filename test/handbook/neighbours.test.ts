import { describe, expect, it } from "vitest";
import { localEvidence, withNeighbours } from "../../handbook/neighbours.js";
import { selectAgent } from "../../handbook/select.js";
import { fitTextModel } from "../../handbook/text.js";
import { identifyAll } from "../../src/learning/identify.js";
import { profile, skeletonHandbook } from "../../src/learning/profile.js";
import type { QueryItem } from "../../src/learning/queries.js";
import { clusterSkills } from "../../src/learning/discover.js";

/** Two kinds of query in one skill: "red" ones only agent a gets right, "blue" ones only agent b. */
function items(): QueryItem[] {
  const out: QueryItem[] = [];
  for (let i = 0; i < 24; i++) {
    const red = i % 2 === 0;
    const text = red ? `red apple cherry question ${i % 5}` : `blue ocean sky question ${i % 5}`;
    const o = (agent: string, score: number) => ({
      agent,
      score,
      acted: true,
      promptTokens: 1,
      completionTokens: 1,
      costUsd: 0.001,
      costEstimated: false,
      latencyMs: 0,
      response: "",
    });
    out.push({
      key: `q${i}`,
      queryId: `q${i}`,
      mode: "answer",
      task: "t",
      text,
      outcomes: [o("a", red ? 1 : 0), o("b", red ? 0 : 1)],
    });
  }
  return out;
}

describe("the neighbours estimator", () => {
  it("keeps labelled points when profiled, and moves each agent's competence towards its record on the nearest ones", () => {
    const its = items();
    const model = fitTextModel(its.map((i) => i.text));
    const skills = clusterSkills("answer", its, { k: 1, seed: 1, model, minSize: 4 });
    let h = skeletonHandbook(skills, [
      { id: "a", modes: ["answer"] },
      { id: "b", modes: ["answer"] },
    ]);
    h.text = { answer: model };
    h = withNeighbours(h);
    h = profile(h, its, identifyAll(h, its));
    expect(h.memory?.answer).toHaveLength(24);
    const skill = [{ id: skills[0]!.id, weight: 1 }];
    // At skill level the two agents tie (12/24 each); the neighbours of a red query say a, of a blue one b.
    const plain = selectAgent(h, { mode: "answer", skills: skill });
    expect(plain.candidates[0]!.competence).toBeCloseTo(plain.candidates[1]!.competence, 12);
    const red = localEvidence(h, "red apple cherry question 9", "answer", skill)!;
    expect(red.evidence.a!.successes).toBeGreaterThan(red.evidence.b!.successes);
    expect(selectAgent(h, { mode: "answer", skills: skill, local: red }).chosen).toBe("a");
    const blue = localEvidence(h, "blue ocean sky question 9", "answer", skill)!;
    expect(selectAgent(h, { mode: "answer", skills: skill, local: blue }).chosen).toBe("b");
    // A handbook not switched to the estimator keeps no memory and gets no local evidence.
    const off = profile(
      skeletonHandbook(skills, [
        { id: "a", modes: ["answer"] },
        { id: "b", modes: ["answer"] },
      ]),
      its,
      new Map(),
    );
    expect(off.memory).toBeUndefined();
    expect(localEvidence(off, "red apple", "answer", skill)).toBeUndefined();
  });
});
