import { describe, expect, it } from "vitest";
import {
  aggregateSeeds,
  callShares,
  collapse,
  gapRecovered,
  mostExpensiveAgent,
  normalisedEntropy,
  routingMetrics,
  stat,
} from "../../src/eval/metrics.js";
import { buildReplayTable, routeAll, type Router } from "../../src/eval/replay.js";
import { testRecords, testTable } from "./helpers.js";

describe("entropy and collapse", () => {
  it("normalised entropy: H / ln(pool size)", () => {
    expect(normalisedEntropy([2, 2, 0], 3)).toBeCloseTo(Math.log(2) / Math.log(3), 12);
    expect(normalisedEntropy([1, 1, 1], 3)).toBeCloseTo(1, 12);
    expect(normalisedEntropy([4, 0, 0], 3)).toBe(0);
    // Agents never chosen still count in the normaliser.
    expect(normalisedEntropy([1, 1], 4)).toBeCloseTo(0.5, 12);
    expect(normalisedEntropy([5], 1)).toBe(0);
    expect(normalisedEntropy([0, 0], 2)).toBe(0);
  });

  it("shares, most-used and most-expensive agents", () => {
    expect(callShares({ A: 1, B: 3, C: 0 })).toEqual({ A: 0.25, B: 0.75, C: 0 });
    expect(mostExpensiveAgent({ A: 0.1, B: 0.3, C: 0.3 })).toBe("B");
    const c = collapse({ A: 1, B: 3, C: 0 }, ["A", "B", "C"], { A: 0.5, B: 0.1, C: 0.2 });
    expect(c.topAgent).toBe("B");
    expect(c.topShare).toBe(0.75);
    expect(c.expensiveAgent).toBe("A");
    expect(c.expensiveShare).toBe(0.25);
    expect(c.entropy).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)) / Math.log(3), 12);
    // Ties on use go to the smaller id.
    expect(collapse({ B: 2, A: 2 }, ["A", "B"], { A: 1, B: 1 }).topAgent).toBe("A");
  });

  it("gap recovered", () => {
    expect(gapRecovered(0.6, 0.3, 0.85)).toBeCloseTo(0.3 / 0.55, 12);
    expect(gapRecovered(0.85, 0.3, 0.85)).toBe(1);
    expect(gapRecovered(0.3, 0.3, 0.85)).toBe(0);
    expect(gapRecovered(0.5, 0.5, 0.5)).toBeNull();
  });
});

describe("stat over seeds", () => {
  it("mean, sample std (n − 1), min, max", () => {
    expect(stat([1, 2, 3, 4])).toEqual({ mean: 2.5, std: expect.closeTo(Math.sqrt(5 / 3), 12), min: 1, max: 4, n: 4 });
    expect(stat([0.7])).toEqual({ mean: 0.7, std: 0, min: 0.7, max: 0.7, n: 1 });
    expect(() => stat([])).toThrow(RangeError);
  });
});

describe("routing metrics", () => {
  const { table, ctx } = testTable();
  const byTask = (fruit: string, cars: string): Router => ({
    name: "t",
    route: (q) => (q.task === "fruit" ? fruit : cars),
  });

  it("accuracy, cost, gap recovered, shares, collapse and per-task figures of one run", async () => {
    const m = routingMetrics(await routeAll(byTask("A", "B"), table), ctx);
    expect(m.queries).toBe(4);
    expect(m.accuracy).toBeCloseTo(0.6, 12);
    expect(m.meanCostUsd).toBeCloseTo(0.025, 12);
    expect(m.gapRecovered).toBeCloseTo(0.3 / 0.55, 12);
    expect(m.shares).toEqual({ A: 0.5, B: 0.5, C: 0 });
    expect(m.collapse).toEqual({
      topAgent: "A",
      topShare: 0.5,
      expensiveAgent: "A",
      expensiveShare: 0.5,
      entropy: expect.closeTo(Math.log(2) / Math.log(3), 12),
    });
    expect(Object.keys(m.byTask)).toEqual(["cars", "fruit"]);
    expect(m.byTask.fruit!.accuracy).toBeCloseTo(0.7, 12);
    expect(m.byTask.cars!.accuracy).toBeCloseTo(0.5, 12);
    expect(m.byTask.cars!.collapse.topShare).toBe(1);
    expect(m.byTask.cars!.collapse.entropy).toBe(0);
  });

  it("aggregates runs over seeds: mean ± std and the averaged call distribution", async () => {
    const r1 = routingMetrics(await routeAll(byTask("A", "B"), table, { seed: 1 }), ctx); // 0.6
    const r2 = routingMetrics(await routeAll(byTask("C", "C"), table, { seed: 2 }), ctx); // 0.5
    const agg = aggregateSeeds([r1, r2], [1, 2], ctx);
    expect(agg.seeds).toEqual([1, 2]);
    expect(agg.accuracy.mean).toBeCloseTo(0.55, 12);
    expect(agg.accuracy.std).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
    expect(agg.accuracy.min).toBeCloseTo(0.5, 12);
    expect(agg.accuracy.max).toBeCloseTo(0.6, 12);
    expect(agg.calls).toEqual({ A: 1, B: 1, C: 2 });
    expect(agg.shares).toEqual({ A: 0.25, B: 0.25, C: 0.5 });
    expect(agg.collapse.topAgent).toBe("C");
    expect(agg.topShare.mean).toBeCloseTo(0.75, 12); // 0.5 and 1
    expect(agg.entropy.mean).toBeCloseTo(Math.log(2) / Math.log(3) / 2, 12);
    expect(agg.runs).toHaveLength(2);
    expect(() => aggregateSeeds([r1], [1, 2], ctx)).toThrow(RangeError);
  });

  it("counts queries routed to an agent with no record, overall, per task and over seeds", async () => {
    // A has no record on t1 (fruit) and t3 (cars); B has none on t4 (cars).
    const holes = buildReplayTable(
      testRecords().filter(
        (r) =>
          !((r.agent === "A" && (r.queryId === "t1" || r.queryId === "t3")) || (r.agent === "B" && r.queryId === "t4")),
      ),
    );
    const allA = routingMetrics(await routeAll(byTask("A", "A"), holes, { seed: 1 }), ctx);
    expect(allA.missing).toBe(2);
    expect(allA.byTask.fruit!.missing).toBe(1);
    expect(allA.byTask.cars!.missing).toBe(1);
    expect(allA.accuracy).toBeCloseTo(1.4 / 4, 12); // t2 0.4 + t4 1; the holes score 0
    const mixed = routingMetrics(await routeAll(byTask("C", "B"), holes, { seed: 2 }), ctx);
    expect(mixed.missing).toBe(1);
    expect(mixed.byTask).toMatchObject({
      fruit: { missing: 0 },
      cars: { missing: 1, accuracy: 0.5, meanCostUsd: 0.01 },
    });
    const agg = aggregateSeeds([allA, mixed], [1, 2], ctx);
    expect(agg.missing).toMatchObject({ mean: 1.5, min: 1, max: 2, n: 2 });
    expect(routingMetrics(await routeAll(byTask("C", "C"), holes), ctx).missing).toBe(0);
  });
});
