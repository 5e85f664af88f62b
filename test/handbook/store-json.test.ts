import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../handbook/store.js";
import { checkHandbook, validateHandbook } from "../../handbook/validate.js";
import { embed, fitTextModel } from "../../handbook/text.js";
import { memoryPoint, withNeighbours } from "../../handbook/neighbours.js";
import { skeletonHandbook } from "../../src/learning/profile.js";
import type { Handbook } from "../../handbook/schema.js";

const stringify = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, "utf8");

/** A neighbours handbook with a text model and memory points (their vectors and scores frozen, as learning makes them). */
function neighboursHandbook(): Handbook {
  const texts = ["red apple …", "blue ocean λ", "red cherry", "green stone", "blue sky − 1"];
  const model = fitTextModel(texts, { minDf: 1 });
  const h = skeletonHandbook([], [{ id: "a", modes: ["answer"] }]);
  const scores = Object.freeze({ a: 1 });
  return withNeighbours({
    ...h,
    text: { answer: model },
    memory: { answer: texts.map((t) => memoryPoint(embed(model, t), [], scores)) },
  });
}

describe("jsonBytes", () => {
  it("is JSON.stringify(value, null, 2) and a newline, byte for byte", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(Buffer.from(jsonBytes(v)).equals(stringify(v))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("the same for undefined, toJSON, dropped keys and a handbook's memory, written twice", () => {
    const frozen = Object.freeze([1, 2.5, -0, 1e-7]);
    const cases: unknown[] = [
      undefined,
      {
        a: undefined,
        b: () => 1,
        c: [undefined, () => 1, null],
        d: new Date(0),
        e: { toJSON: (k: string) => `k:${k}` },
      },
      { x: [[[[1, { y: [2, 3] }]]]], z: [], w: {}, "\u2028": "\ud83d\ude00 é …" },
      [frozen, [frozen, [frozen, [frozen]]]],
      {
        memory: { answer: [{ skills: ["s"], idx: frozen, val: [3, 4], outcomes: Object.freeze({ a: 1 }) }], code: [] },
      },
      neighboursHandbook(),
    ];
    for (let round = 0; round < 2; round++)
      for (const c of cases) expect(Buffer.from(jsonBytes(c)).equals(stringify(c))).toBe(true);
  });
});

describe("checkHandbook", () => {
  const errorOf = (f: () => unknown) => {
    try {
      f();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };

  it("throws what validateHandbook throws, and passes what it passes", () => {
    const h = neighboursHandbook();
    const point = h.memory!.answer![0]!;
    const model = h.text!.answer!;
    // Valid: the handbook, and a point with a key the schema drops.
    const valid: unknown[] = [h, { ...h, memory: { answer: [{ ...point, extra: 1 }] } }];
    const invalid: unknown[] = [
      { ...h, memory: { answer: [{ ...point, idx: [-1, ...point.idx] }] } },
      { ...h, memory: { answer: [{ ...point, val: [Number.POSITIVE_INFINITY] }] } },
      { ...h, memory: { answer: [{ ...point, outcomes: { a: 2 } }] } },
      { ...h, memory: { nowhere: [point] } },
      { ...h, text: { answer: { ...model, idf: model.idf.map(() => 0) } } },
      { ...h, text: { answer: { ...model, vocabulary: model.vocabulary.slice(1) } } },
      { ...h, text: { answer: { ...model, templateWeight: -1 } } },
      { ...h, agents: { a: { ...h.agents.a!, modes: ["nowhere"] } } },
    ];
    for (const data of valid) expect(errorOf(() => checkHandbook(data, "h.json"))).toBeUndefined();
    for (const data of invalid) {
      const error = errorOf(() => validateHandbook(data, "h.json"));
      expect(error).toBeDefined();
      expect(errorOf(() => checkHandbook(data, "h.json"))).toBe(error);
    }
  });
});
