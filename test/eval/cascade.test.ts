import { describe, expect, it } from "vitest";
import { frugalCascade } from "../../src/eval/baselines/cascade.js";
import { routingMetrics } from "../../src/eval/metrics.js";
import { buildReplayTable, routeAll } from "../../src/eval/replay.js";
import { rec } from "./helpers.js";

/**
 * Three agents: `cheap` (0.001 per call) is right exactly on queries with the marker word "lemma", `mid` (0.004)
 * exactly on those with "zebra", `dear` (0.01) always. Half the queries carry the marker, a quarter "zebra", the
 * rest neither; a colour word spread evenly over the three groups carries no signal.
 */
const COST = { cheap: 0.001, mid: 0.004, dear: 0.01 } as const;
const COLOURS = ["red", "green", "blue", "amber", "violet"];

function table(prefix: string, groups: { marker: number; zebra: number; plain: number }) {
  const records = [];
  let i = 0;
  for (const [group, count] of Object.entries(groups))
    for (let j = 0; j < count; j++, i++) {
      const colour = COLOURS[j % COLOURS.length]!;
      const text =
        group === "marker"
          ? `prove the lemma ${colour}`
          : group === "zebra"
            ? `count the zebra ${colour}`
            : `sum the numbers ${colour}`;
      const id = `${prefix}${i}`;
      records.push(rec(id, text, group, "cheap", group === "marker" ? 1 : 0, COST.cheap));
      records.push(rec(id, text, group, "mid", group === "zebra" ? 1 : 0, COST.mid));
      records.push(rec(id, text, group, "dear", 1, COST.dear));
    }
  return buildReplayTable(records);
}

const train = table("r", { marker: 10, zebra: 5, plain: 5 });
const test = table("t", { marker: 6, zebra: 3, plain: 3 });
const ORDER = ["cheap", "mid", "dear"];

describe("FrugalGPT-style cascade", () => {
  const cascade = frugalCascade(train);

  it("orders agents by ascending mean train cost and only ever asks them in that order", async () => {
    expect(cascade.order).toEqual(ORDER);
    for (const lambda of [0, 0.2, 0.5, 1, 2, 5]) {
      const r = await routeAll(cascade, test, { lambda });
      for (const d of r.decisions) {
        const at = d.calls!.map((a) => ORDER.indexOf(a));
        expect(
          at.every((k, j) => k >= 0 && (j === 0 || k > at[j - 1]!)),
          `λ=${lambda} ${d.queryId}: ${d.calls}`,
        ).toBe(true);
        expect(d.calls!.at(-1)).toBe(d.agent);
      }
      expect(cascade.route(test.queries[0]!, lambda)).toBe(cascade.policy(lambda).chain[0]);
    }
  });

  it("at a large λ answers with the cheap agent alone", async () => {
    expect(cascade.policy(5)).toMatchObject({
      chain: ["cheap"],
      thresholds: [],
      trainAccuracy: 0.5,
      trainMeanCostUsd: expect.closeTo(COST.cheap, 12),
    });
    const r = await routeAll(cascade, test, { lambda: 5 });
    expect(r.decisions.every((d) => d.agent === "cheap" && d.calls!.length === 1)).toBe(true);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
    expect(r.meanCostUsd).toBeCloseTo(COST.cheap, 12);
  });

  it("at λ = 0 reaches the expensive agent's accuracy for less, escalating exactly where the scorer is unsure", async () => {
    const p = cascade.policy(0);
    // cheap, then mid, then dear: right everywhere at 0.001 + 0.5·0.004 + 0.25·0.01 per query (dear alone: 0.01).
    expect(p.chain).toEqual(ORDER);
    expect(p.trainAccuracy).toBe(1);
    expect(p.trainMeanCostUsd).toBeCloseTo(0.0055, 12);
    const r = await routeAll(cascade, test, { lambda: 0 });
    expect(r.accuracy).toBe(1);
    expect(r.meanCostUsd).toBeCloseTo(0.0055, 12);
    expect(r.missing).toBe(0);
    for (const d of r.decisions) {
      const q = test.queries.find((x) => x.id === d.queryId)!;
      const est = cascade.estimates(q);
      // Each agent's answer is accepted when its p̂ reaches its threshold, else the next is asked.
      d.calls!.forEach((a, j) => {
        if (j < d.calls!.length - 1) expect(est[a]!, `${q.text}: ${a}`).toBeLessThan(p.thresholds[j]!);
        else if (j < p.chain.length - 1) expect(est[a]!, `${q.text}: ${a}`).toBeGreaterThanOrEqual(p.thresholds[j]!);
      });
      expect(d.calls).toEqual(q.task === "marker" ? ["cheap"] : q.task === "zebra" ? ["cheap", "mid"] : ORDER);
    }
    const m = routingMetrics(r, { pool: test.agents, agentCosts: { ...COST }, bestSingle: 1, oracle: 1 });
    expect(m.acceptedAtStep).toEqual([0.5, 0.25, 0.25]);
    expect(m.callsPerQuery).toBe(1.75);
    expect(m.collapseByStep.map((c) => c.topAgent)).toEqual(ORDER);
  });

  it("is deterministic; chains of one agent give the best single agent at λ = 0; bad options are rejected", () => {
    const again = frugalCascade(train);
    for (const lambda of [0, 1, 5]) expect(again.policy(lambda)).toEqual(cascade.policy(lambda));
    const one = frugalCascade(train, { maxLength: 1 });
    expect(one.policy(0)).toMatchObject({ chain: ["dear"], trainAccuracy: 1 });
    expect(() => frugalCascade(train, { quantiles: 0 })).toThrow(/quantiles must be a positive integer/);
    expect(() => cascade.policy(-1)).toThrow(/lambda must be a finite number >= 0/);
  });
});
