import { describe, expect, it } from "vitest";
import { SkillSchema } from "../../handbook/schema.js";
import { statisticalDiscoverer } from "../../src/learning/discover.js";
import { identifyAll } from "../../src/learning/identify.js";
import { skeletonHandbook } from "../../src/learning/profile.js";
import { groupRecords } from "../../src/learning/queries.js";
import { AGENTS, synthRecords, TYPES, type TypeSpec } from "./helpers.js";

const agents = [...AGENTS];

describe("statistical discoverer", () => {
  it("finds the query types as skills, with ids, readable names, indicators, examples and provenance", async () => {
    const items = groupRecords(synthRecords({ perType: 40 }));
    const { skills, calls } = await statisticalDiscoverer({ maxCategories: 3 }).discover({
      mode: "answer",
      items,
      agents,
      existing: [],
      seed: 1,
    });
    expect(calls).toEqual([]);
    for (const s of skills) expect(() => SkillSchema.parse(s)).not.toThrow();
    const cats = skills.filter((s) => s.id.split(".").length === 2);
    const leaves = skills.filter((s) => s.id.split(".").length === 3);
    expect(cats.map((c) => c.id)).toEqual(["answer.cat_0", "answer.cat_1", "answer.cat_2"]);
    for (const l of leaves) expect(l.id).toMatch(/^answer\.cat_\d\.skill_\d$/);
    // Each type's vocabulary is described by exactly one category, and its members are that type's queries.
    for (const t of TYPES) {
      const owner = cats.filter((c) => c.indicators.some((w) => t.words.includes(w)));
      expect(owner).toHaveLength(1);
      const c = owner[0]!;
      expect(c.provenance.discoveredFrom.every((id) => id.startsWith(`q-${t.name}-`))).toBe(true);
      expect(c.examples.length).toBeGreaterThan(0);
      expect(
        c.name
          .toLowerCase()
          .split(/ and | /)
          .every((w) => t.words.includes(w)),
      ).toBe(true);
      expect(c.provenance.history[0]).toMatchObject({ op: "discover" });
    }
  });

  it("keeps a split of a category only where the agents' outcome profiles differ", async () => {
    // Two vocabularies with the same agent profile, in one category: no significant split → one skill.
    const same = [
      { name: "a", task: "t", words: ["red", "green", "blue", "cyan"], success: { alpha: 0.8, beta: 0.3, gamma: 0.5 } },
      { name: "b", task: "t", words: ["oak", "pine", "elm", "ash"], success: { alpha: 0.8, beta: 0.3, gamma: 0.5 } },
    ];
    const d = statisticalDiscoverer({ maxCategories: 1, maxSkills: 2 });
    /** How many skills (below the one category) discovery finds on 60 queries of each of these types. */
    const skillsFound = async (types: TypeSpec[]) => {
      const items = groupRecords(synthRecords({ perType: 60, types }));
      const { skills } = await d.discover({ mode: "answer", items, agents, existing: [], seed: 1 });
      return skills.filter((s) => s.id.split(".").length === 3).length;
    };
    expect(await skillsFound(same)).toBe(1);
    // Same vocabularies, opposite profiles: the split is kept.
    const differ = [same[0]!, { ...same[1]!, success: { alpha: 0.1, beta: 0.9, gamma: 0.5 } }];
    expect(await skillsFound(differ)).toBe(2);
  });

  it("is deterministic for a seed and avoids existing ids", async () => {
    const items = groupRecords(synthRecords({ perType: 30 }));
    const d = statisticalDiscoverer();
    const a = await d.discover({ mode: "answer", items, agents, existing: [], seed: 5 });
    const b = await d.discover({ mode: "answer", items, agents, existing: [], seed: 5 });
    const strip = (x: typeof a) => x.skills.map((s) => ({ ...s, provenance: { ...s.provenance, history: [] } }));
    expect(strip(a)).toEqual(strip(b));
    const c = await d.discover({ mode: "answer", items, agents, existing: a.skills, seed: 5 });
    const before = new Set(a.skills.map((s) => s.id));
    expect(c.skills.some((s) => before.has(s.id))).toBe(false);
  });

  it("learned skills identify their own type's queries with the matcher", async () => {
    const items = groupRecords(synthRecords({ perType: 40 }));
    const { skills } = await statisticalDiscoverer({ maxCategories: 3 }).discover({
      mode: "answer",
      items,
      agents,
      existing: [],
      seed: 1,
    });
    const h = skeletonHandbook(
      skills,
      agents.map((id) => ({ id, modes: ["answer"] })),
    );
    const fresh = groupRecords(synthRecords({ perType: 10, seed: "other", prefix: "new" }));
    const ident = identifyAll(h, fresh);
    let right = 0;
    for (const it of fresh) {
      const top = [...ident.get(it.key)!].sort((x, y) => y.weight - x.weight)[0]!;
      const type = TYPES.find((t) => it.queryId.startsWith(`new-${t.name}-`))!;
      if (h.skills[top.id]!.indicators.some((w) => type.words.includes(w))) right++;
      expect(ident.get(it.key)!.reduce((a, s) => a + s.weight, 0)).toBeCloseTo(1, 12);
    }
    expect(right).toBe(fresh.length);
  });
});

describe("absorbing small categories", () => {
  it("dissolves parts below the minimum size into the most similar remaining part, smallest first", async () => {
    const { absorbSmallParts } = await import("../../src/learning/discover.js");
    // 2-d unit vectors: dimension 0 ("x" texts) and dimension 1 ("y" texts); point 6 leans to y, point 7 to x.
    const v = (a: number, b: number) => {
      const n = Math.hypot(a, b);
      const idx: number[] = [];
      const val: number[] = [];
      if (a) {
        idx.push(0);
        val.push(a / n);
      }
      if (b) {
        idx.push(1);
        val.push(b / n);
      }
      return { idx: Int32Array.from(idx), val: Float64Array.from(val) };
    };
    const points = [v(1, 0), v(1, 0), v(1, 0), v(0, 1), v(0, 1), v(0, 1), v(0.2, 1), v(1, 0.3)];
    const parts = absorbSmallParts(
      [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7],
      ],
      points,
      2,
      3,
    );
    expect(parts).toEqual([
      [0, 1, 2, 7],
      [3, 4, 5, 6],
    ]);
    // Nothing below the minimum: unchanged (largest first); a single part stays even when small.
    expect(
      absorbSmallParts(
        [
          [3, 4, 5],
          [0, 1, 2, 7],
        ],
        points,
        2,
        3,
      ),
    ).toEqual([
      [0, 1, 2, 7],
      [3, 4, 5],
    ]);
    expect(absorbSmallParts([[0, 1]], points, 2, 3)).toEqual([[0, 1]]);
  });
});
