import { describe, expect, it } from "vitest";
import { observations, subtreeEvidence } from "../../handbook/competence.js";
import type { Handbook, Skill } from "../../handbook/schema.js";
import { replayIndex } from "../../src/learning/evaluate.js";
import { identifyAll } from "../../src/learning/identify.js";
import { profile, skeletonHandbook } from "../../src/learning/profile.js";
import { groupRecords, type QueryItem } from "../../src/learning/queries.js";
import { refine } from "../../src/learning/refine.js";
import { skill } from "../handbook/helpers.js";
import { synthRecords, type TypeSpec } from "./helpers.js";

const AGENTS = ["alpha", "beta", "gamma"];
const ARITH = ["sum", "multiply", "digits", "total", "plus", "product"];
const GEO = ["capital", "country", "city", "river", "border", "nation"];

function types(arith: Record<string, number>, geo: Record<string, number>): TypeSpec[] {
  return [
    { name: "arith", task: "arith", words: ARITH, success: arith },
    { name: "geo", task: "geo", words: GEO, success: geo },
  ];
}

const GOOD = types({ alpha: 0.95, beta: 0.15, gamma: 0.4 }, { alpha: 0.15, beta: 0.95, gamma: 0.4 });
const REVERSED = types({ alpha: 0.15, beta: 0.95, gamma: 0.4 }, { alpha: 0.95, beta: 0.15, gamma: 0.4 });

/** A handbook of these skills and the three answer agents, profiled on the training items. */
function profiled(skills: Skill[], train: QueryItem[]): Handbook {
  const h = skeletonHandbook(
    skills,
    AGENTS.map((id) => ({ id, modes: ["answer"] })),
  );
  return profile(h, train, identifyAll(h, train));
}

/** One skill covering both vocabularies, profiled on the training items. */
function oneSkill(train: QueryItem[]): Handbook {
  return profiled(
    [
      skill("answer.cat_0"),
      skill("answer.cat_0.skill_0", { indicators: [...ARITH, ...GEO], examples: [ARITH.join(" "), GEO.join(" ")] }),
    ],
    train,
  );
}

/** Training items of `types` (40 a type), and validation items of `valTypes` (`valPerType` a type). */
function itemsOf(types: TypeSpec[], valPerType: number, valTypes = types) {
  return {
    train: groupRecords(synthRecords({ perType: 40, types, seed: "train" })),
    val: groupRecords(synthRecords({ perType: valPerType, types: valTypes, seed: "val", prefix: "v" })),
  };
}

/** Refine `h` on the training items, validating on `val` by replay. */
function refineOn(h: Handbook, train: QueryItem[], val: QueryItem[], maxRounds: number) {
  return refine(
    h,
    train,
    identifyAll(h, train),
    { index: replayIndex(val), queries: [...new Set(val.map((v) => v.queryId))] },
    { maxRounds },
  );
}

function modeTotal(h: Handbook, agent: string): number {
  return observations(subtreeEvidence(h, agent, "answer"));
}

describe("refinement", () => {
  it("splits a skill whose agents' outcomes differ inside it, re-attributing its traces exactly, when validation agrees", async () => {
    const { train, val } = itemsOf(GOOD, 20);
    const h = oneSkill(train);
    const r = await refineOn(h, train, val, 1);
    const split = r.steps.find((s) => s.op === "split")!;
    expect(split).toMatchObject({ skills: ["answer.cat_0.skill_0"], kept: true });
    expect(split.test.p).toBeLessThan(0.01);
    expect(split.after).toBeGreaterThan(split.before);
    const children = Object.keys(r.handbook.skills).filter((id) => id.startsWith("answer.cat_0.skill_0."));
    expect(children).toHaveLength(2);
    expect(r.handbook.skills[children[0]!]!.provenance.history.at(-1)).toMatchObject({
      op: "split",
      from: ["answer.cat_0.skill_0"],
    });
    for (const a of AGENTS) {
      // Evidence exact: the parent's subtree holds what the parent held, and every trace counts once in the mode.
      const before = h.agents[a]!.competence["answer.cat_0.skill_0"]!;
      const after = subtreeEvidence(r.handbook, a, "answer.cat_0.skill_0");
      expect(after.successes).toBeCloseTo(before.successes, 9);
      expect(after.failures).toBeCloseTo(before.failures, 9);
      expect(modeTotal(r.handbook, a)).toBeCloseTo(train.length, 9);
    }
    // The children separate the agents: alpha leads on one, beta on the other.
    const leader = (id: string) =>
      AGENTS.map((a) => [a, r.handbook.agents[a]!.competence[id]!] as const).sort(
        (x, y) => y[1].successes / observations(y[1]) - x[1].successes / observations(x[1]),
      )[0]![0];
    expect(children.map(leader).sort()).toEqual(["alpha", "beta"]);
  });

  it("rolls back a significant split that lowers validation accuracy − λ·cost, and logs it", async () => {
    const { train, val } = itemsOf(GOOD, 20, REVERSED);
    const h = oneSkill(train);
    const r = await refineOn(h, train, val, 2);
    const split = r.steps.find((s) => s.op === "split")!;
    expect(split.test.p).toBeLessThan(0.01);
    expect(split.kept).toBe(false);
    expect(split.after).toBeLessThan(split.before);
    expect(r.handbook.skills).toEqual(h.skills);
    expect(r.handbook.agents).toEqual(h.agents);
  });

  it("merges two skills no agent tells apart, summing their evidence exactly", async () => {
    const same = types({ alpha: 0.8, beta: 0.3, gamma: 0.5 }, { alpha: 0.8, beta: 0.3, gamma: 0.5 });
    const { train, val } = itemsOf(same, 20);
    const h = profiled(
      [
        skill("answer.cat_0"),
        skill("answer.cat_0.arith", { indicators: ARITH, examples: [ARITH.join(" ")] }),
        skill("answer.cat_0.geo", { indicators: GEO, examples: [GEO.join(" ")] }),
      ],
      train,
    );
    const r = await refineOn(h, train, val, 1);
    const merge = r.steps.find((s) => s.op === "merge")!;
    expect(merge).toMatchObject({ skills: ["answer.cat_0.arith", "answer.cat_0.geo"], kept: true });
    expect(Object.keys(r.handbook.skills).sort()).toEqual(["answer.cat_0", "answer.cat_0.arith"]);
    for (const a of AGENTS) {
      const x = h.agents[a]!.competence["answer.cat_0.arith"]!;
      const y = h.agents[a]!.competence["answer.cat_0.geo"]!;
      expect(r.handbook.agents[a]!.competence["answer.cat_0.arith"]).toEqual({
        successes: x.successes + y.successes,
        failures: x.failures + y.failures,
      });
    }
    expect(r.handbook.skills["answer.cat_0.arith"]!.provenance.history.at(-1)).toMatchObject({
      op: "merge",
      from: ["answer.cat_0.arith", "answer.cat_0.geo"],
    });
  });

  it("does not merge skills whose agents differ", async () => {
    const { train, val } = itemsOf(GOOD, 10);
    const h = profiled(
      [
        skill("answer.cat_0"),
        skill("answer.cat_0.arith", { indicators: ARITH }),
        skill("answer.cat_0.geo", { indicators: GEO }),
      ],
      train,
    );
    const r = await refineOn(h, train, val, 1);
    expect(r.steps.filter((s) => s.op === "merge")).toEqual([]);
  });
});
