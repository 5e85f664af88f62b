import { describe, expect, it } from "vitest";
import {
  describeCluster,
  distinctivePhrases,
  distinctSkillNames,
  nameFromPhrases,
  type DescribeContext,
} from "../../src/learning/describe.js";
import type { QueryItem } from "../../src/learning/queries.js";
import { textVectors } from "../../src/learning/vectors.js";

function contextOf(texts: string[]): { ctx: DescribeContext; all: number[] } {
  const v = textVectors(texts);
  const items = texts.map((text, i) => ({ queryId: `q${i}`, text }) as unknown as QueryItem);
  return {
    ctx: { docs: v.docs, points: v.points, texts, items, dims: v.dims, examples: 3, indicators: 8 },
    all: texts.map((_, i) => i),
  };
}

const OBJECTS = ["string", "list", "tuple", "dictionary", "matrix", "array", "set", "number", "sentence", "heap"];
const VERBS = ["reverse", "sort", "count", "merge", "flatten", "rotate", "filter", "sum", "split", "search"];
const code = (i: number, object = OBJECTS[i % 10]!) =>
  `Write a function to ${VERBS[(i * 3) % 10]} the given ${object}.`;
const HISTORY = [
  "treaty",
  "empire",
  "revolution",
  "battle",
  "dynasty",
  "republic",
  "kingdom",
  "council",
  "war",
  "charter",
];
const history = (i: number) =>
  `In what year was the ${HISTORY[i % 10]} of ${["Rome", "Ghent", "Utrecht", "Paris", "Vienna"][i % 5]} signed or founded?`;

describe("cluster names", () => {
  it("name a cluster by the phrase its queries share, not by a list of terms", () => {
    const texts = [
      ...Array.from({ length: 12 }, (_, i) => code(i)),
      ...Array.from({ length: 12 }, (_, i) => history(i)),
    ];
    const { ctx, all } = contextOf(texts);
    const d = describeCluster(all.slice(0, 12), all, ctx);
    expect(d.name).toBe("Write function");
    expect(d.name).not.toMatch(/, /);
    // Indicators (what the matcher uses) are still the distinctive single terms.
    expect(d.indicators).toContain("function");
    expect(d.indicators).toContain("write");
  });

  it("join the two best terms when the cluster shares no phrase", () => {
    expect(nameFromPhrases(["water", "energy", "mass"])).toBe("Water and energy");
    expect(nameFromPhrases(["write function", "string"])).toBe("Write function");
    expect(nameFromPhrases(["water"])).toBe("Water");
    expect(nameFromPhrases([])).toBeUndefined();
  });

  it("rank phrases by how much more often they occur inside than outside, longer ones kept over their parts", () => {
    const texts = [
      ...Array.from({ length: 12 }, (_, i) => code(i)),
      ...Array.from({ length: 12 }, (_, i) => history(i)),
    ];
    const { ctx, all } = contextOf(texts);
    const phrases = distinctivePhrases(all.slice(0, 12), all, ctx, 5);
    expect(phrases[0]).toBe("write function");
    // "write" and "function" alone are inside the better phrase; "write function given" only extends it.
    expect(phrases).not.toContain("write");
    expect(phrases).not.toContain("function");
    expect(phrases).not.toContain("write function given");
  });

  it("name sub-clusters against their siblings, so two sub-skills of one category differ", () => {
    // One category of code queries: half about strings, half about lists; then history queries.
    const texts = [
      ...Array.from({ length: 10 }, (_, i) => code(i, "string")),
      ...Array.from({ length: 10 }, (_, i) => code(i, "list")),
      ...Array.from({ length: 10 }, (_, i) => history(i)),
    ];
    const { ctx, all } = contextOf(texts);
    const category = describeCluster(all.slice(0, 20), all, ctx);
    const strings = describeCluster(all.slice(0, 10), all, ctx);
    const lists = describeCluster(all.slice(10, 20), all, ctx);
    expect(category.name).toBe("Write function");
    // Against the whole mode both halves look like "write function"; against each other they differ by their object.
    expect(strings.name.toLowerCase()).toContain("string");
    expect(lists.name.toLowerCase()).toContain("list");
    expect(new Set([category.name, strings.name, lists.name]).size).toBe(3);
  });

  it("never give two clusters of one context the same name", () => {
    const texts = [
      ...Array.from({ length: 12 }, (_, i) => code(i)),
      ...Array.from({ length: 12 }, (_, i) => history(i)),
    ];
    const { ctx, all } = contextOf(texts);
    const names = [0, 1, 2, 3].map(() => describeCluster(all.slice(0, 12), all, ctx).name);
    expect(names[0]).toBe("Write function");
    expect(new Set(names).size).toBe(4);
    // The second is qualified by the next distinctive phrase or term, not numbered.
    expect(names[1]).toMatch(/^Write function \(.+\)$/);
  });
});

describe("distinctSkillNames", () => {
  const skill = (id: string, name: string, indicators: string[] = []) => ({ id, name, indicators });

  it("keeps the first of a shared name (in id order) and qualifies the others by an indicator not in the name", () => {
    const out = distinctSkillNames([
      skill("answer.cat_0.skill_0", "Best and likely", ["best", "likely", "earth"]),
      skill("answer.cat_0", "Best and likely", ["best", "likely", "water"]),
      skill("answer.cat_1", "best AND likely", ["best", "likely", "water"]),
    ]);
    expect(out.map((s) => s.name)).toEqual(["Best and likely (earth)", "Best and likely", "best AND likely (water)"]);
  });

  it("numbers a duplicate with no indicator left, and returns distinct names unchanged", () => {
    const out = distinctSkillNames([skill("a", "Dates"), skill("b", "Dates"), skill("c", "Dates")]);
    expect(out.map((s) => s.name)).toEqual(["Dates", "Dates 2", "Dates 3"]);
    const unique = [skill("a", "Dates"), skill("b", "People")];
    const same = distinctSkillNames(unique);
    expect(same[0]).toBe(unique[0]);
    expect(same[1]).toBe(unique[1]);
  });
});
