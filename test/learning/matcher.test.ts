import MiniSearch from "minisearch";
import { describe, expect, it } from "vitest";
import {
  handbookMatcher,
  leafSkills,
  SkillMatcher,
  skillWeights,
  type MatchableSkill,
} from "../../handbook/matcher.js";

const skills: MatchableSkill[] = [
  {
    id: "answer.maths",
    mode: "answer",
    name: "maths",
    description: "arithmetic and algebra",
    indicators: ["sum", "product"],
    examples: ["what is the sum of 2 and 3", "product of primes"],
  },
  {
    id: "answer.maths.algebra",
    mode: "answer",
    name: "algebra",
    description: "solve for x",
    indicators: ["equation", "solve"],
    examples: ["solve the equation 2x = 4"],
  },
  {
    id: "answer.geo",
    mode: "answer",
    name: "geography",
    description: "capitals and rivers",
    indicators: ["capital", "river"],
    examples: ["capital of france", "longest river"],
  },
  {
    id: "search.web",
    mode: "search",
    name: "web lookup",
    description: "find recent facts",
    indicators: ["latest", "news"],
    examples: ["latest news on the election"],
  },
];

describe("skill matcher", () => {
  it("gives exactly minisearch's BM25 scores (assembled from cached per-term scores)", () => {
    const m = new SkillMatcher(skills);
    const ref = new MiniSearch({
      fields: ["name", "description", "indicators", "examples"],
      storeFields: [],
      searchOptions: { boost: { indicators: 3, name: 2, description: 1, examples: 1 }, combineWith: "OR" },
    });
    ref.addAll(
      skills.map((s) => ({
        id: s.id,
        name: s.name,
        description: s.description,
        indicators: s.indicators.join(" \n "),
        examples: s.examples.join(" \n "),
      })),
    );
    for (const text of [
      "what is the sum and the product, the sum!",
      "capital river capital of spain",
      "solve this equation for the latest news",
      "nothing matches zzz",
    ]) {
      const ours = m.match(text);
      const theirs = ref.search(text);
      expect(ours.map((x) => x.id).sort()).toEqual(theirs.map((x) => String(x.id)).sort());
      for (const h of theirs) expect(ours.find((x) => x.id === h.id)!.score).toBeCloseTo(h.score, 10);
      // The second call (warm cache) gives the same answer.
      expect(m.match(text)).toEqual(ours);
    }
    expect(m.match("latest news", "answer")).toEqual([]);
    expect(m.match("latest news", "search").map((x) => x.id)).toEqual(["search.web"]);
  });

  it("identifies against leaf skills only, with weights summing to 1", () => {
    expect(leafSkills(skills).map((s) => s.id)).toEqual(["answer.geo", "answer.maths.algebra", "search.web"]);
    const h = { skills: Object.fromEntries(skills.map((s) => [s.id, s])) };
    const w = skillWeights(handbookMatcher(h).match("solve equation capital river", "answer"));
    expect(w.map((x) => x.id).sort()).toEqual(["answer.geo", "answer.maths.algebra"]);
    expect(w.reduce((a, x) => a + x.weight, 0)).toBeCloseTo(1, 12);
    expect(handbookMatcher(h)).toBe(handbookMatcher(h));
    // "sum product" only describes the category answer.maths, which has a child: it is never identified.
    expect(handbookMatcher(h).match("sum product", "answer")).toEqual([]);
  });
});
