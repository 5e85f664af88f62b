import { describe, expect, it } from "vitest";
import { chiSquareSurvival, gTest, perAgentTests, profileTest } from "../../src/learning/stats.js";

describe("G-tests", () => {
  it("computes the G statistic and its chi-square p-value for a 2x2 table", () => {
    // Expected counts are all 25: G = 2·(30 ln(30/25)·2 + 20 ln(20/25)·2).
    const g = 2 * (2 * 30 * Math.log(30 / 25) + 2 * 20 * Math.log(20 / 25));
    const r = gTest([
      [30, 20],
      [20, 30],
    ]);
    expect(r.df).toBe(1);
    expect(r.g).toBeCloseTo(g, 10);
    expect(r.p).toBeCloseTo(chiSquareSurvival(g, 1), 12);
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 6);
  });

  it("drops empty rows and columns and reports p = 1 when nothing can be tested", () => {
    expect(gTest([[5, 5]]).p).toBe(1);
    expect(
      gTest([
        [5, 0],
        [3, 0],
      ]).df,
    ).toBe(0);
    expect(
      gTest([
        [5, 5, 0],
        [0, 0, 0],
        [5, 5, 0],
      ]),
    ).toEqual({ g: 0, df: 1, p: 1 });
  });

  it("profile test: a group that is uniformly harder is not different; a changed ranking is", () => {
    // Agent rates 0.8/0.4 in group 1, 0.4/0.2 in group 2 (same ratio): successes proportional.
    const harder = profileTest({
      successes: [
        [80, 40],
        [40, 20],
      ],
      failures: [
        [20, 60],
        [60, 80],
      ],
    });
    const flipped = profileTest({
      successes: [
        [80, 20],
        [20, 80],
      ],
      failures: [
        [20, 80],
        [80, 20],
      ],
    });
    expect(flipped.p).toBeLessThan(1e-6);
    expect(harder.p).toBeGreaterThan(flipped.p);
    // On the successes alone the harder group is exactly proportional.
    expect(
      gTest([
        [80, 40],
        [40, 20],
      ]).g,
    ).toBeCloseTo(0, 10);
  });

  it("per-agent tests skip agents below the minimum count", () => {
    const { p, tested } = perAgentTests(
      { successes: [9, 1], failures: [1, 1] },
      { successes: [1, 1], failures: [9, 0] },
      5,
    );
    expect(tested).toBe(1);
    expect(p[0]).toBeLessThan(0.01);
    expect(Number.isNaN(p[1]!)).toBe(true);
  });
});
