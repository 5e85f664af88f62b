import { describe, expect, it } from "vitest";
import { ExecutionRecordSchema, type ExecutionRecord } from "../../src/records/schema.js";
import { formatSummary, formatUsdPlain, summarize } from "../../src/records/summary.js";
import { rec } from "./helpers.js";

const r = (over: Parameters<typeof rec>[0]): ExecutionRecord => ExecutionRecordSchema.parse(rec(over));

describe("summarize", () => {
  const records = [
    r({ queryId: "q1", task: "math", agent: "big", score: 1, success: true, costUsd: 0.004, costEstimated: true }),
    r({ queryId: "q2", task: "math", agent: "big", score: 0.5, success: true, costUsd: 0.002 }),
    r({ queryId: "q3", task: "qa", agent: "big", score: 0, success: false, costUsd: 0.003 }),
    r({ queryId: "q1", task: "math", agent: "small", score: 0, success: false, costUsd: 0.001, simulated: true }),
    r({ queryId: "q2", task: "math", agent: "small", score: 0.25, success: false, costUsd: 0.001, simulated: true }),
    r({ queryId: "q3", task: "qa", agent: "small", score: 1, success: true, costUsd: 0.001, simulated: true }),
    r({ queryId: "q3", task: "qa", agent: "tiny", score: 1, success: true, costUsd: 0.0005 }),
  ];
  const s = summarize(records);

  it("computes per-agent accuracy, success rate, mean cost and labels", () => {
    expect(s.records).toBe(7);
    expect(s.queries).toBe(3);
    expect(s.agents.map((a) => a.agent)).toEqual(["tiny", "big", "small"]);
    const big = s.agents.find((a) => a.agent === "big")!;
    expect(big.count).toBe(3);
    expect(big.accuracy).toBeCloseTo(0.5, 12);
    expect(big.successRate).toBeCloseTo(2 / 3, 12);
    expect(big.meanCostUsd).toBeCloseTo(0.003, 12);
    expect([big.costEstimated, big.simulated]).toEqual([true, false]);
    const small = s.agents.find((a) => a.agent === "small")!;
    expect(small.accuracy).toBeCloseTo(1.25 / 3, 12);
    expect([small.costEstimated, small.simulated]).toEqual([false, true]);
  });

  it("finds each task's best agent, breaking ties by lower cost", () => {
    expect(s.tasks.map((t) => [t.task, t.queries, t.count, t.bestAgent, t.bestAccuracy])).toEqual([
      ["math", 2, 4, "big", 0.75],
      ["qa", 1, 3, "tiny", 1],
    ]);
    expect(s.tasks[1]!.agents.map((a) => a.agent)).toEqual(["tiny", "small", "big"]);
  });

  it("formats a table with cost labels", () => {
    const text = formatSummary(s);
    expect(text.split("\n")[0]).toBe("7 records, 3 queries, 3 agents, 2 tasks");
    expect(text).toMatch(/^big +3 +0\.5000 +0\.6667 +0\.003000 \(estimated\)$/m);
    expect(text).toMatch(/^small +3 +0\.4167 +0\.3333 +0\.001000 \(simulated\)$/m);
    expect(text).toMatch(/^tiny +1 +1\.0000 +1\.0000 +0\.0005000$/m);
    expect(text).toMatch(/^qa +1 +tiny +1\.0000$/m);
  });

  it("handles no records", () => {
    expect(summarize([])).toEqual({ records: 0, queries: 0, agents: [], tasks: [] });
  });

  it("formats USD with four significant digits", () => {
    expect([formatUsdPlain(0), formatUsdPlain(0.000194), formatUsdPlain(1.5), formatUsdPlain(1234.5)]).toEqual([
      "0",
      "0.0001940",
      "1.500",
      "1235",
    ]);
  });
});
