import { describe, expect, it } from "vitest";
import { fitTextModel } from "../../handbook/text.js";
import { SkillSetsAhead } from "../../src/learning/ahead.js";
import { groupRecords } from "../../src/learning/queries.js";
import { textSkillSets } from "../../src/learning/skill-sets.js";
import { synthRecords } from "./helpers.js";

// Three tasks of 60 queries: clusterings at k = 2..12 (minCount 5) and one skill per task.
const train = groupRecords(synthRecords({ perType: 60 }));
const text = { answer: fitTextModel(train.map((i) => i.text)) };
const settings = { seed: 7, minCount: 5, examples: 4 };

/** Skill sets without their creation times (each run stamps its own). */
const timeless = (sets: unknown) => JSON.parse(JSON.stringify(sets).replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"T"'));

describe("select's skill sets computed ahead in a worker", () => {
  it("are the sets textSkillSets computes in this thread", async () => {
    const here = textSkillSets(text, train, settings);
    expect(here.map((s) => s.id)).toEqual([
      "clusters-2",
      "clusters-3",
      "clusters-4",
      "clusters-6",
      "clusters-8",
      "clusters-12",
      "tasks",
    ]);
    const ahead = SkillSetsAhead.start();
    ahead.send(text, train, settings);
    const there = await ahead.take(structuredClone(text), train, { ...settings });
    expect(there).toBeDefined();
    expect(timeless(there)).toEqual(timeless(here));
  });

  it("are not given for another job: other text models, queries or settings", async () => {
    const other = { answer: fitTextModel(train.slice(0, 90).map((i) => i.text)) };
    for (const [t, q, s] of [
      [other, train, settings],
      [text, train.slice(1), settings],
      [text, train, { ...settings, seed: 8 }],
      [text, train, { ...settings, minCount: 6 }],
    ] as const) {
      const ahead = SkillSetsAhead.start();
      ahead.send(text, train, settings);
      expect(await ahead.take(t, q, s)).toBeUndefined();
    }
  });

  it("are not given when no job was sent, or when the job failed", async () => {
    const idle = SkillSetsAhead.start();
    expect(await idle.take(text, train, settings)).toBeUndefined();
    const failing = SkillSetsAhead.start();
    // A text model the worker cannot read: its clustering throws there, and select computes the sets itself.
    const broken = { answer: { ...text.answer, vocabulary: null } } as unknown as typeof text;
    failing.send(broken, train, settings);
    expect(await failing.take(broken, train, settings)).toBeUndefined();
  });
});
