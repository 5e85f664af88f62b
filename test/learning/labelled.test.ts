import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { splitLabelled } from "../../src/learning/labelled.js";
import { groupRecords } from "../../src/learning/queries.js";
import { synthRecords, TYPES } from "./helpers.js";

const items = groupRecords(synthRecords({ perType: 30 }));

describe("labelled split", () => {
  it("takes N labelled queries per task, split by query into training and validation, seeded", () => {
    const s = splitLabelled(items, { labelled: 10, validation: 4, seed: 1 });
    expect(s.strata).toBe("task");
    for (const t of TYPES) expect(s.counts[t.task!]).toEqual({ total: 30, train: 6, validation: 4 });
    expect(new Set(s.train).size).toBe(18);
    expect(s.train.filter((id) => s.validationIds.includes(id))).toEqual([]);
    expect(splitLabelled(items, { labelled: 10, validation: 4, seed: 1 })).toEqual(s);
    expect(splitLabelled(items, { labelled: 10, validation: 4, seed: 2 }).train).not.toEqual(s.train);
  });

  it("uses all queries by default with a quarter for validation, keeping one training query per task", () => {
    const s = splitLabelled(items, { seed: 3 });
    expect(s.train.length + s.validationIds.length).toBe(90);
    expect(s.validationIds.length).toBe(3 * Math.round(0.25 * 30));
    const tiny = splitLabelled(items, { labelled: 1, validation: 5, seed: 3 });
    expect(tiny.validationIds).toEqual([]);
    expect(tiny.train.length).toBe(3);
  });

  it("stratifies by text clusters when every record has the same task", () => {
    const one = groupRecords(synthRecords({ perType: 20, types: TYPES.map((t) => ({ ...t, task: "only" })) }));
    const s = splitLabelled(one, { labelled: 5, validation: 2, seed: 1 });
    expect(s.strata).toBe("cluster");
    expect(Object.keys(s.counts).length).toBeGreaterThan(1);
    for (const c of Object.values(s.counts)) expect(c.train + c.validation).toBeLessThanOrEqual(5);
  });

  it("rejects bad budgets with one-line errors", () => {
    expect(() => splitLabelled(items, { labelled: 0, seed: 1 })).toThrow(InputError);
    expect(() => splitLabelled(items, { validation: 2.5, seed: 1 })).toThrow(/--validation/);
  });
});
