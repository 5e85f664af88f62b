import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frontierAuc, paretoFrontier, type CostAccuracyPoint } from "../../src/core/frontier.js";

const P = (cost: number, accuracy: number, label?: string): CostAccuracyPoint => ({
  cost,
  accuracy,
  ...(label ? { label } : {}),
});

describe("Pareto frontier", () => {
  it("keeps the non-dominated points by ascending cost", () => {
    const pts = [
      P(2, 0.4, "dominated"),
      P(1, 0.5, "a"),
      P(3, 0.7, "same accuracy, dearer"),
      P(2, 0.7, "b"),
      P(4, 0.9, "c"),
    ];
    expect(paretoFrontier(pts).map((p) => p.label)).toEqual(["a", "b", "c"]);
  });

  it("keeps the first of identical points", () => {
    expect(paretoFrontier([P(1, 0.5, "x"), P(1, 0.5, "y")]).map((p) => p.label)).toEqual(["x"]);
    expect(paretoFrontier([])).toEqual([]);
  });

  it("property: no frontier point is dominated, and every point is weakly dominated by one on the frontier", () => {
    const point = fc.record({
      cost: fc.double({ min: 0, max: 10, noNaN: true }),
      accuracy: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 30 }), (pts) => {
        const f = paretoFrontier(pts);
        for (const p of f)
          for (const q of pts)
            expect(q.cost <= p.cost && q.accuracy >= p.accuracy && (q.cost < p.cost || q.accuracy > p.accuracy)).toBe(
              false,
            );
        for (const q of pts) expect(f.some((p) => p.cost <= q.cost && p.accuracy >= q.accuracy)).toBe(true);
        for (let i = 1; i < f.length; i++)
          expect(f[i]!.cost > f[i - 1]!.cost && f[i]!.accuracy > f[i - 1]!.accuracy).toBe(true);
      }),
    );
  });
});

describe("area under the accuracy–cost curve", () => {
  const pts = [P(2, 0.4), P(1, 0.5), P(3, 0.7), P(2, 0.7), P(4, 0.9)];

  it("step function over [0, max cost]: (0·1 + 0.5·1 + 0.7·2) / 4 = 0.475", () => {
    expect(frontierAuc(pts)).toBeCloseTo(0.475, 12);
  });

  it("over a given range: [0, 5] → (0.5 + 1.4 + 0.9) / 5 = 0.56; [1.5, 3] → (0.5·0.5 + 0.7·1) / 1.5", () => {
    expect(frontierAuc(pts, { lo: 0, hi: 5 })).toBeCloseTo(0.56, 12);
    expect(frontierAuc(pts, { lo: 1.5, hi: 3 })).toBeCloseTo((0.25 + 0.7) / 1.5, 12);
  });

  it("degenerate ranges and inputs", () => {
    expect(frontierAuc([P(0, 0.6)])).toBe(0.6);
    expect(frontierAuc(pts, { lo: 2, hi: 2 })).toBe(0.7);
    expect(frontierAuc([])).toBe(0);
    expect(() => frontierAuc(pts, { lo: 3, hi: 1 })).toThrow(RangeError);
  });

  it("property: lies between 0 and the best accuracy, and never falls when a point is added", () => {
    const point = fc.record({
      cost: fc.double({ min: 0, max: 10, noNaN: true }),
      accuracy: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 20 }), point, (pts, extra) => {
        const range = { lo: 0, hi: 10 };
        const a = frontierAuc(pts, range);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(Math.max(...pts.map((p) => p.accuracy)) + 1e-12);
        expect(frontierAuc([...pts, extra], range)).toBeGreaterThanOrEqual(a - 1e-12);
      }),
    );
  });
});
