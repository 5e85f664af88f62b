import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localEvidence, usesNeighbours, withNeighbours } from "../../handbook/neighbours.js";
import type { Evidence, Handbook, MemoryPoint } from "../../handbook/schema.js";
import type { ActiveSkill } from "../../handbook/select.js";
import { embed, fitTextModel } from "../../handbook/text.js";
import { skeletonHandbook } from "../../src/learning/profile.js";

/**
 * The neighbours estimator's local evidence, as it was computed before its similarities were shared between
 * handbooks: one inverted-index pass per call within the main skill, then a stable sort by similarity.
 */
function reference(
  h: Handbook,
  text: string,
  skills: readonly ActiveSkill[],
  k = 10,
): { evidence: Record<string, Evidence>; strength: number } | undefined {
  const memory = h.memory?.answer;
  const model = h.text?.answer;
  if (!memory || !model || memory.length === 0 || !usesNeighbours(h)) return undefined;
  const main = [...skills].sort((a, b) => b.weight - a.weight)[0]?.id;
  const within = main !== undefined ? memory.map((p) => p.skills.includes(main)) : undefined;
  if (main !== undefined && !within!.some((x) => x)) return undefined;
  const postings = new Map<number, { p: number[]; v: number[] }>();
  memory.forEach((pt, i) => {
    pt.idx.forEach((d, j) => {
      const l = postings.get(d) ?? { p: [], v: [] };
      l.p.push(i);
      l.v.push(pt.val[j]!);
      postings.set(d, l);
    });
  });
  const q = embed(model, text);
  const sims = new Float64Array(memory.length);
  const touched: number[] = [];
  for (let j = 0; j < q.idx.length; j++) {
    const post = postings.get(q.idx[j]!);
    if (!post) continue;
    const w = q.val[j]!;
    post.p.forEach((i, n) => {
      if (within && !within[i]) return;
      if (sims[i] === 0) touched.push(i);
      sims[i] = sims[i]! + w * post.v[n]!;
    });
  }
  const near = touched.filter((i) => sims[i]! > 0).map((i) => ({ p: memory[i]!, sim: sims[i]! }));
  if (near.length === 0) return undefined;
  near.sort((a, b) => b.sim - a.sim);
  const evidence: Record<string, Evidence> = {};
  for (const { p, sim } of near.slice(0, k))
    for (const [agent, score] of Object.entries(p.outcomes)) {
      const e = (evidence[agent] ??= { successes: 0, failures: 0 });
      e.successes += sim * score;
      e.failures += sim * (1 - score);
    }
  return { evidence, strength: 4 };
}

const WORDS = ["red", "blue", "green", "apple", "ocean", "sky", "cherry", "stone", "river", "code", "sum", "list"];
const SKILLS = ["answer.s0", "answer.s1", "answer.s2"];

/** A neighbours handbook over texts of a few words (repeats give equal vectors: ties), skills assigned at will. */
function handbookOf(texts: readonly string[], skillOf: readonly number[], scores: readonly number[]): Handbook {
  const model = fitTextModel(texts, { minDf: 1 });
  let h = skeletonHandbook(
    SKILLS.map((id) => ({
      id,
      name: id,
      description: "",
      indicators: [],
      examples: [],
      mode: "answer" as const,
      provenance: { discoveredFrom: [], history: [] },
    })),
    [
      { id: "a", modes: ["answer"] },
      { id: "b", modes: ["answer"] },
    ],
  );
  const memory: MemoryPoint[] = texts.map((t, i) => {
    const v = embed(model, t);
    return {
      skills: [SKILLS[skillOf[i]! % SKILLS.length]!],
      idx: Array.from(v.idx),
      val: Array.from(v.val, (x) => Number(x.toPrecision(5))),
      outcomes: { a: scores[i]! % 2, b: (scores[i]! >> 1) % 2 },
    };
  });
  h = withNeighbours({ ...h, text: { answer: model }, memory: { answer: memory } });
  return h;
}

const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 5 }).map((ws) => ws.join(" "));

describe("the neighbours estimator's shared similarities", () => {
  it("give the local evidence of a pass per call (ties in the same order), whatever the handbooks sharing them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.nat(5), fc.nat(3)), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(text, fc.option(fc.nat(2), { nil: undefined })), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(1, 3, 10, 200),
        (points, queries, k) => {
          const texts = points.map((p) => p[0]);
          // Two handbooks over the same vectors with other skills: they share one similarity pass per query.
          const h1 = handbookOf(
            texts,
            points.map((p) => p[1]),
            points.map((p) => p[2]),
          );
          const h2 = handbookOf(
            texts,
            points.map((p) => p[1] + 1),
            points.map((p) => p[2] + 1),
          );
          for (const [q, s] of queries) {
            const skills = s === undefined ? [] : [{ id: SKILLS[s]!, weight: 1 }];
            for (const h of [h1, h2])
              expect(localEvidence(h, q, "answer", skills, { k })).toEqual(reference(h, q, skills, k));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("the same past the global nearest list: a rare skill among hundreds of points", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.nat(40), fc.nat(3)), { minLength: 150, maxLength: 300 }),
        fc.array(text, { minLength: 1, maxLength: 4 }),
        (points, queries) => {
          // Skill 0 is rare (1 point in 41), so its nearest lie beyond the first entries of the global list.
          const h = handbookOf(
            points.map((p) => p[0]),
            points.map((p) => (p[1] === 0 ? 0 : 1)),
            points.map((p) => p[2]),
          );
          for (const q of queries)
            for (const skills of [[{ id: SKILLS[0]!, weight: 1 }], [{ id: SKILLS[1]!, weight: 1 }], []])
              expect(localEvidence(h, q, "answer", skills)).toEqual(reference(h, q, skills));
        },
      ),
      { numRuns: 40 },
    );
  });
});
