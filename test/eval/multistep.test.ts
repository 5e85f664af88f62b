import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/eval/evaluate.js";
import { formatEvaluation, formatResultsTable } from "../../src/eval/format.js";
import { aggregateSeeds, collapse, routingMetrics } from "../../src/eval/metrics.js";
import { buildReplayTable, routeAll, type RouteQuery, type Router } from "../../src/eval/replay.js";
import { keysAgree } from "../../tools/answer/key.js";
import { renderReport } from "../../src/eval/report-html.js";
import { rec, testRecords, testTable, trainRecords } from "./helpers.js";

const CHOICE = "Which planet is the largest?\nA) Mars\nB) Jupiter\nC) Venus";

/** Three arithmetic queries; A 0.01, B 0.02, C 0.05 per call; C has no record on q3. */
function records() {
  const r = (q: string, agent: string, score: number, cost: number, response: string, extra = {}) =>
    rec(q, `What is ${q === "q1" ? "2 + 2" : q === "q2" ? "3 + 4" : "5 + 6"}?`, "math", agent, score, cost, {
      response,
      ...extra,
    });
  return [
    r("q1", "A", 1, 0.01, "The answer is 4"),
    r("q1", "B", 1, 0.02, "4"),
    r("q1", "C", 1, 0.05, "four"),
    r("q2", "A", 0, 0.01, "The answer is 8"),
    r("q2", "B", 1, 0.02, "7", { costEstimated: true }),
    r("q2", "C", 1, 0.05, "seven"),
    r("q3", "A", 0, 0.01, ""),
    r("q3", "B", 0.5, 0.02, "11.0"),
  ];
}

/** A router following a fixed script per query; `answer` names whose answer is final. */
function scripted(script: Record<string, { ask: string[]; answer: string }>, seen: (string | null)[][] = []): Router {
  return {
    name: "scripted",
    route: () => {
      throw new Error("route must not be called for a multi-step router");
    },
    async trajectory(q: RouteQuery, ask) {
      const s = script[q.id]!;
      seen.push(s.ask.map((a) => ask(a)));
      return { answeredBy: s.answer };
    },
  };
}

describe("answer keys in the replay table", () => {
  it("keys each response by the query's answer kind: choice letters agree across forms; an empty response is null", () => {
    const t = buildReplayTable([
      rec("c", CHOICE, "mc", "A", 1, 0.01, { response: "B" }),
      rec("c", CHOICE, "mc", "B", 1, 0.02, { response: "Answer: (b)" }),
      rec("c", CHOICE, "mc", "C", 0, 0.03, { response: "" }),
      rec("c", CHOICE, "mc", "D", 0, 0.03, { response: "C) Venus" }),
    ]);
    const row = t.outcomes.get("c")!;
    expect(row.get("A")!.key).toBe("B");
    expect(row.get("B")!.key).toBe("B");
    expect(keysAgree(row.get("A")!.key, row.get("B")!.key)).toBe(true);
    expect(row.get("C")!.key).toBeNull();
    expect(row.get("D")!.key).toBe("C");
    expect(keysAgree(row.get("A")!.key, row.get("D")!.key)).toBe(false);
  });

  it("text answers: the final answer, numbers canonical", () => {
    const t = buildReplayTable(records());
    expect(t.outcomes.get("q1")!.get("A")!.key).toBe("4");
    expect(t.outcomes.get("q1")!.get("C")!.key).toBe("4");
    expect(t.outcomes.get("q3")!.get("A")!.key).toBeNull();
    expect(t.outcomes.get("q3")!.get("B")!.key).toBe("11");
  });
});

describe("routeAll with a multi-step router", () => {
  it("pays every call, scores the agent that answered, counts every call and logs them in order", async () => {
    const table = buildReplayTable(records());
    const seen: (string | null)[][] = [];
    const router = scripted(
      {
        q1: { ask: ["A"], answer: "A" },
        // B twice: paid twice.
        q2: { ask: ["A", "B", "B"], answer: "B" },
        // C has no record on q3 (cost 0, key null) and Z is unknown to the table: answered by C, a miss.
        q3: { ask: ["A", "Z", "C"], answer: "C" },
      },
      seen,
    );
    const r = await routeAll(router, table, { lambda: 0.5 });
    expect(seen).toEqual([["4"], ["8", "7", "7"], [null, null, null]]);
    expect(r.decisions).toEqual([
      { queryId: "q1", task: "math", agent: "A", score: 1, costUsd: 0.01, calls: ["A"] },
      { queryId: "q2", task: "math", agent: "B", score: 1, costUsd: expect.closeTo(0.05, 12), calls: ["A", "B", "B"] },
      { queryId: "q3", task: "math", agent: "C", score: 0, costUsd: 0.01, missing: true, calls: ["A", "Z", "C"] },
    ]);
    expect(r.calls).toEqual({ A: 3, B: 2, C: 1, Z: 1 });
    expect(r.missing).toBe(1);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
    expect(r.totalCostUsd).toBeCloseTo(0.07, 12);
    expect(r.meanCostUsd).toBeCloseTo(0.07 / 3, 12);
    // B's record on q2 is estimated: a call that was paid marks the result.
    expect(r.costEstimated).toBe(true);
    expect(r.lambda).toBe(0.5);
  });

  it("scores the answering agent, not the last one asked; a router answering with an agent it never asked is an Error", async () => {
    const table = buildReplayTable(records());
    const early = await routeAll(
      scripted({
        q1: { ask: ["C", "A"], answer: "C" },
        q2: { ask: ["A", "C"], answer: "A" },
        q3: { ask: ["B"], answer: "B" },
      }),
      table,
    );
    expect(early.decisions.map((d) => [d.agent, d.score, d.costUsd])).toEqual([
      ["C", 1, expect.closeTo(0.06, 12)],
      ["A", 0, expect.closeTo(0.06, 12)],
      ["B", 0.5, 0.02],
    ]);
    expect(early.costEstimated).toBe(false);
    const bug = scripted({
      q1: { ask: ["A"], answer: "A" },
      q2: { ask: ["A", "B"], answer: "C" },
      q3: { ask: ["A"], answer: "A" },
    });
    await expect(routeAll(bug, table)).rejects.toThrow(
      "router scripted: query q2: answered by C, an agent it never asked (asked: A, B)",
    );
    const silent = scripted({
      q1: { ask: [], answer: "A" },
      q2: { ask: [], answer: "A" },
      q3: { ask: [], answer: "A" },
    });
    await expect(routeAll(silent, table)).rejects.toThrow(
      "router scripted: query q1: answered by A, an agent it never asked (asked: none)",
    );
  });

  it("leaves single-step routers as they were: no calls list, one call per query", async () => {
    const r = await routeAll({ name: "always-A", route: () => "A" }, buildReplayTable(testRecords()));
    expect(r.decisions.every((d) => d.calls === undefined)).toBe(true);
    expect(r.calls).toEqual({ A: 4, B: 0, C: 0 });
  });
});

describe("step metrics", () => {
  const { table, ctx } = testTable();
  // t1: C; t2: C then B then A; t3: C then A; t4: C then B.
  const cascade = scripted({
    t1: { ask: ["C"], answer: "C" },
    t2: { ask: ["C", "B", "A"], answer: "A" },
    t3: { ask: ["C", "A"], answer: "A" },
    t4: { ask: ["C", "B"], answer: "B" },
  });

  it("calls per query, the share answered after each number of calls, the collapse at each call index", async () => {
    const m = routingMetrics(await routeAll(cascade, table), ctx);
    expect(m.callsPerQuery).toBe(2);
    expect(m.acceptedAtStep).toEqual([0.25, 0.5, 0.25]);
    expect(m.callsByStep).toEqual([
      { A: 0, B: 0, C: 4 },
      { A: 1, B: 2, C: 0 },
      { A: 1, B: 0, C: 0 },
    ]);
    expect(m.collapseByStep).toEqual([
      { topAgent: "C", topShare: 1, expensiveAgent: "A", expensiveShare: 0, entropy: 0 },
      {
        topAgent: "B",
        topShare: 2 / 3,
        expensiveAgent: "A",
        expensiveShare: 1 / 3,
        entropy: expect.closeTo(collapse({ A: 1, B: 2 }, ctx.pool, ctx.agentCosts).entropy, 12),
      },
      { topAgent: "A", topShare: 1, expensiveAgent: "A", expensiveShare: 1, entropy: 0 },
    ]);
    // The whole result's figures count every call; so do the per-task ones.
    expect(m.calls).toEqual({ A: 2, B: 2, C: 4 });
    expect(m.collapse).toEqual(collapse({ A: 2, B: 2, C: 4 }, ctx.pool, ctx.agentCosts));
    expect(m.byTask.fruit!.calls).toEqual({ A: 1, B: 1, C: 2 });
    // t1 C 1, t2 A 0.4, t3 A 0, t4 B 0.
    expect(m.accuracy).toBeCloseTo(1.4 / 4, 12);
  });

  it("single-step routers: one call per query, all answered at the first, the collapse of their choices", async () => {
    const m = routingMetrics(await routeAll({ name: "t", route: (q) => (q.task === "fruit" ? "A" : "B") }, table), ctx);
    expect(m.callsPerQuery).toBe(1);
    expect(m.acceptedAtStep).toEqual([1]);
    expect(m.collapseByStep).toEqual([m.collapse]);
  });

  it("aggregates the step figures over seeds, a seed that never made a call counting as none there", async () => {
    const multi = routingMetrics(await routeAll(cascade, table, { seed: 1 }), ctx);
    const single = routingMetrics(await routeAll({ name: "c", route: () => "C" }, table, { seed: 2 }), ctx);
    const agg = aggregateSeeds([multi, single], [1, 2], ctx);
    expect(agg.callsPerQuery).toMatchObject({ mean: 1.5, min: 1, max: 2, n: 2 });
    expect(agg.acceptedAtStep.map((s) => s.mean)).toEqual([0.625, 0.25, 0.125]);
    expect(agg.acceptedAtStep[2]).toMatchObject({ min: 0, max: 0.25 });
    expect(agg.collapseByStep).toHaveLength(3);
    expect(agg.collapseByStep[0]!.topShare).toMatchObject({ mean: 1, std: 0 });
    expect(agg.collapseByStep[1]!.calls).toEqual({ A: 0.5, B: 1, C: 0 });
    expect(agg.collapseByStep[1]!.topShare).toMatchObject({ mean: 1 / 3, min: 0, max: 2 / 3 });
    expect(agg.collapseByStep[2]!.collapse).toMatchObject({ topAgent: "A", topShare: 1 });
    // A single run: the step figures with std 0.
    const one = aggregateSeeds([single], [2], ctx);
    expect(one.callsPerQuery).toMatchObject({ mean: 1, std: 0 });
    expect(one.acceptedAtStep).toHaveLength(1);
    expect(one.acceptedAtStep[0]!.mean).toBe(1);
  });
});

describe("tables and report with a multi-step router", () => {
  const spec = {
    name: "steps",
    label: "scripted steps",
    sweep: false,
    make: () =>
      scripted({
        t1: { ask: ["C"], answer: "C" },
        t2: { ask: ["C", "B", "A"], answer: "A" },
        t3: { ask: ["C", "A"], answer: "A" },
        t4: { ask: ["C", "B"], answer: "B" },
      }),
  };

  it("the results table gains calls/q: 1 for single-step rows, calls and shares answered per call for multi-step ones", async () => {
    const ev = await evaluate({
      train: trainRecords(),
      test: testRecords(),
      k: 2,
      baselines: ["best-single"],
      routers: [spec],
    });
    const text = formatResultsTable(ev).trimEnd().split("\n");
    expect(text[0]).toMatch(/^router\s+accuracy\s+USD\/query\s+calls\/q\s+gap recovered/);
    expect(text.find((l) => l.startsWith("scripted steps"))).toMatch(/\s2\.00 \(25\/50\/25 %\)\s/);
    expect(text.find((l) => l.startsWith("best single (B)"))).toMatch(/0\.0200\s+1\s+0\.000/);
    expect(formatEvaluation(ev)).toContain("calls/q: calls per query (every call paid)");
    const row = ev.rows.find((r) => r.id === "steps")!;
    expect(row.callsPerQuery.mean).toBe(2);
    expect(row.acceptedAtStep.map((a) => a.mean)).toEqual([0.25, 0.5, 0.25]);
    expect(row.collapseByStep.map((c) => c.collapse.topAgent)).toEqual(["C", "B", "A"]);

    const html = renderReport({ evaluation: ev });
    expect(html.match(/<td class="n" data-calls="/g)).toHaveLength(ev.rows.length);
    expect(html).toContain(`data-calls="2">2.00 (25/50/25 %)</td>`);
    // The per-call section: one row per call index of each multi-step row, after the router table.
    expect(html.match(/<tr data-step-row /g)).toHaveLength(3);
    expect(html).toContain(
      `<tr data-step-row data-router="steps" data-step="2" class="ours"><td>scripted steps</td><td class="n">2</td><td class="n">75.0%</td><td class="n">50.0%</td><td>B (0.667)</td>`,
    );
    expect(html.indexOf("data-step-row")).toBeGreaterThan(html.indexOf('data-row="steps"'));
    expect(html.indexOf("data-step-row")).toBeLessThan(html.indexOf('id="evaluation"'));
  });

  it("without a multi-step router: no calls/q column and no per-call section", async () => {
    const ev = await evaluate({
      train: trainRecords(),
      test: testRecords(),
      k: 2,
      baselines: ["best-single", "logistic"],
    });
    expect(formatResultsTable(ev).split("\n")[0]).not.toContain("calls/q");
    expect(formatEvaluation(ev)).not.toContain("calls/q");
    const html = renderReport({ evaluation: ev });
    expect(html).not.toContain("data-calls=");
    expect(html).not.toContain("data-step-row");
  });
});
