import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { agentStats, buildReplayTable, routeAll, type Router } from "../../src/eval/replay.js";
import { rec, testRecords } from "./helpers.js";

const fixed = (agent: string): Router => ({ name: `always-${agent}`, route: () => agent });

describe("replay table", () => {
  it("indexes records by query and agent, queries in file order, agents sorted", () => {
    const t = buildReplayTable(testRecords());
    expect(t.queries.map((q) => q.id)).toEqual(["t1", "t2", "t3", "t4"]);
    expect(t.queries[0]).toEqual({ id: "t1", text: "banana split", task: "fruit" });
    expect(t.agents).toEqual(["A", "B", "C"]);
    expect(t.outcomes.get("t2")!.get("A")).toMatchObject({ score: 0.4, success: false, costUsd: 0.03 });
    expect(t.costEstimated).toBe(false);
    expect(t.simulated).toBe(false);
  });

  it("flags estimated and simulated costs when any record is", () => {
    const records = testRecords();
    records[5] = { ...records[5]!, costEstimated: true };
    records[7] = { ...records[7]!, simulated: true };
    const t = buildReplayTable(records);
    expect(t.costEstimated).toBe(true);
    expect(t.simulated).toBe(true);
  });

  it("skips multi-step records, filters by mode, and rejects a second record of the same (query, agent)", () => {
    const base = [rec("q", "x", "t", "A", 1, 0.1)];
    const step = rec("q", "x", "t", "B", 1, 0.1, { step: 0 });
    expect(buildReplayTable([...base, step]).agents).toEqual(["A"]);
    const search = rec("q", "x", "t", "A", 0, 0.2, { mode: "search" });
    expect(() => buildReplayTable([...base, search], { source: "r.jsonl" })).toThrow(
      new InputError(
        "r.jsonl: record 2: second record of agent A on query q (records of several modes? choose one mode)",
      ),
    );
    const t = buildReplayTable([...base, search], { mode: "search" });
    expect(t.outcomes.get("q")!.get("A")!.score).toBe(0);
    expect(() => buildReplayTable([step], { source: "r.jsonl" })).toThrow(
      /r\.jsonl: no single-call records to evaluate on/,
    );
  });

  it("per-agent mean score and cost", () => {
    const stats = agentStats(buildReplayTable(testRecords()));
    expect(stats.map((s) => s.agent)).toEqual(["A", "B", "C"]);
    expect(stats[0]!.accuracy).toBeCloseTo(0.6, 12); // (1 + 0.4 + 0 + 1) / 4
    expect(stats[1]!.accuracy).toBeCloseTo(0.3, 12);
    expect(stats[2]!.accuracy).toBeCloseTo(0.5, 12);
    expect(stats[2]!.meanCostUsd).toBeCloseTo(0.01, 12);
  });
});

describe("routeAll", () => {
  it("looks up each routed (query, agent) score and cost and counts calls per agent", async () => {
    const table = buildReplayTable(testRecords());
    const byTask: Router = { name: "by-task", route: (q) => (q.task === "fruit" ? "A" : "C") };
    const r = await routeAll(byTask, table, { lambda: 0.5, seed: 3 });
    expect(r.decisions.map((d) => [d.queryId, d.agent, d.score])).toEqual([
      ["t1", "A", 1],
      ["t2", "A", 0.4],
      ["t3", "C", 1],
      ["t4", "C", 0],
    ]);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    expect(r.meanCostUsd).toBeCloseTo(0.02, 12); // (0.03 + 0.03 + 0.01 + 0.01) / 4
    expect(r.totalCostUsd).toBeCloseTo(0.08, 12);
    expect(r.calls).toEqual({ A: 2, B: 0, C: 2 });
    expect(r.lambda).toBe(0.5);
    expect(r.seed).toBe(3);
  });

  it("passes λ to the router and accepts async routers", async () => {
    const seen: (number | undefined)[] = [];
    const router: Router = {
      name: "async",
      route: async (_q, lambda) => {
        seen.push(lambda);
        return "B";
      },
    };
    const r = await routeAll(router, buildReplayTable(testRecords()), { lambda: 2 });
    expect(seen).toEqual([2, 2, 2, 2]);
    expect(r.accuracy).toBeCloseTo(0.3, 12);
  });

  it("scores a choice of an agent with no record on the query as a miss (score 0, cost 0) and counts it", async () => {
    const unknown = await routeAll(fixed("Z"), buildReplayTable(testRecords()));
    expect(unknown.missing).toBe(4);
    expect(unknown.accuracy).toBe(0);
    expect(unknown.totalCostUsd).toBe(0);
    expect(unknown.calls).toEqual({ A: 0, B: 0, C: 0, Z: 4 });
    expect(unknown.decisions[0]).toEqual({
      queryId: "t1",
      task: "fruit",
      agent: "Z",
      score: 0,
      costUsd: 0,
      missing: true,
    });

    // A hole in the recorded data: A has no record on t1 and t3.
    const holes = buildReplayTable(
      testRecords().filter((r) => !(r.agent === "A" && (r.queryId === "t1" || r.queryId === "t3"))),
    );
    const r = await routeAll(fixed("A"), holes);
    expect(r.missing).toBe(2);
    expect(r.decisions.map((d) => [d.queryId, d.score, d.costUsd, d.missing ?? false])).toEqual([
      ["t1", 0, 0, true],
      ["t2", 0.4, 0.03, false],
      ["t3", 0, 0, true],
      ["t4", 1, 0.03, false],
    ]);
    expect(r.accuracy).toBeCloseTo(1.4 / 4, 12);
    expect(r.meanCostUsd).toBeCloseTo(0.06 / 4, 12);
    expect(r.calls).toEqual({ A: 4, B: 0, C: 0 });
    expect((await routeAll(fixed("B"), holes)).missing).toBe(0);
  });

  it("marks results estimated when a routed cost is", async () => {
    const r = await routeAll(fixed("A"), buildReplayTable(testRecords({ costEstimated: true })));
    expect(r.costEstimated).toBe(true);
  });
});
