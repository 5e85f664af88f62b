import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { learningRun, resolveKnobs, settingsOf } from "../../graphs/learning/configuration.js";
import { artefactPaths, candidatesDir, runOutOf } from "../../src/learning/artefacts.js";
import { LEARNING_DEFAULTS, Handoff, learningSettings, type LearningSettings } from "../../src/learning/pipeline.js";

const dir = mkdtempSync(join(tmpdir(), "learn-driver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every setting away from its default. */
const ALL_SET: LearningSettings = {
  records: "r.jsonl",
  pool: "p.json",
  seed: 11,
  labelled: 12,
  validation: 0.3,
  lambda: 0.2,
  budgetUsd: 0.004,
  llm: "learner",
  strategy: "cascade",
  estimator: "quantile",
  shrinkage: { strength: 3 },
  alpha: 0.05,
  minCount: 5,
  maxRounds: 2,
  examples: 7,
  maxCategories: 4,
  maxSkills: 3,
  pooled: false,
  neighbours: false,
  folds: 3,
  foldValidation: false,
  maxCalls: 2,
};

describe("learning settings → the graph's input and context", () => {
  it("maps every setting and back (settingsOf is learningRun's inverse)", () => {
    const { input, context } = learningRun(ALL_SET, "out/H.json");
    expect(input).toEqual({
      records: "r.jsonl",
      out: "out/H.json",
      pool: "p.json",
      seed: 11,
      labelled: 12,
      validation: 0.3,
      lambda: 0.2,
      budgetUsd: 0.004,
      llm: "learner",
    });
    // The context holds the knobs only, no input.
    expect(Object.keys(context).sort()).toEqual(
      Object.keys(ALL_SET)
        .filter((k) => !(k in input))
        .sort(),
    );
    expect(settingsOf(input, context)).toEqual(ALL_SET);
    const plain = learningSettings({ records: "r.jsonl" });
    expect(settingsOf(learningRun(plain, "H.json").input, learningRun(plain, "H.json").context)).toEqual(plain);
  });

  it("takes every default from LEARNING_DEFAULTS, unset fields of a Studio form (undefined or null) included", () => {
    const expected = { ...LEARNING_DEFAULTS, records: "r.jsonl" };
    expect(learningSettings({ records: "r.jsonl" })).toEqual(expected);
    expect(settingsOf({ records: "r.jsonl" }, undefined)).toEqual(expected);
    expect(
      settingsOf({ records: "r.jsonl", pool: "", seed: null, labelled: null, lambda: null, llm: "" }, {
        minCount: null,
        strategy: undefined,
      } as never),
    ).toEqual(expected);
    expect(resolveKnobs({ minCount: 4 })).toMatchObject({
      minCount: 4,
      alpha: LEARNING_DEFAULTS.alpha,
      folds: LEARNING_DEFAULTS.folds,
    });
  });
});

describe("artefact names", () => {
  it("names a run's artefacts from its chosen handbook, and finds the run back from an artefact's name", () => {
    const p = artefactPaths(join("out", "H.json"));
    expect(p).toEqual({
      work: join("out", "H.learn"),
      log: join("out", "H.learn", "learning.log.jsonl"),
      split: join("out", "H.learn", "split.json"),
      skills: join("out", "H.learn", "skills.json"),
      profiled: join("out", "H.learn", "profiled.json"),
      full: join("out", "H.full.json"),
      refineReport: join("out", "H.learn", "refine.json"),
      chosen: join("out", "H.json"),
      selection: join("out", "H.selection.json"),
    });
    expect(candidatesDir(p.selection)).toBe(join("out", "H.candidates"));
    for (const k of ["log", "split", "skills", "profiled", "full", "refineReport", "chosen", "selection"] as const)
      expect(runOutOf(k, p[k])).toBe(p.chosen);
    expect(runOutOf("split", "./out/H.learn/split.json")).toBe("./out/H.json");
    // Names a run does not give.
    expect(runOutOf("split", join("out", "split.json"))).toBeUndefined();
    expect(runOutOf("skills", join("out", "H.learn", "split.json"))).toBeUndefined();
    expect(runOutOf("full", join("out", "full.json"))).toBeUndefined();
  });
});

describe("Handoff", () => {
  it("hands over what was written while the file is unchanged, and reads the file otherwise", () => {
    const path = join(dir, "a.json");
    const read = (p: string) => ({ from: "disk", p });
    const h = new Handoff();
    expect(h.take(path, read)).toEqual({ from: "disk", p: path }); // not held (and no file)
    writeFileSync(path, "{}\n");
    const value = { from: "memory" };
    h.put(path, value);
    expect(h.take(path, read)).toBe(value);
    // Rewritten since (another process, or a resumed run's phase): the file wins.
    writeFileSync(path, '{"changed": true}\n');
    expect(h.take(path, read)).toEqual({ from: "disk", p: path });
    h.put(path, value);
    h.clear();
    expect(h.take(path, read)).toEqual({ from: "disk", p: path });
  });
});
