/**
 * The consult/accept rule in the compiled orchestrator graph, on recorded real behaviour: a handbook learned by the
 * real pipeline from RouterBench records (read in place from ../shared/data/routerbench), replay agents answering
 * with the recorded responses and costs, and the graph's trajectories checked against the pure replay of the same
 * rule (handbook/consult.ts `consultTrajectory`, and eval's `handbookRouter` with consult). Then the limits of a
 * consultation, with replay agents that never agree: the step limit, the budget and the rule's call cap.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consultScopes, consultTrajectory, planFor, type ConsultRun, type PlanChoice } from "../../handbook/consult.js";
import { skillIdentifier, stepSkills } from "../../handbook/identify.js";
import { HandbookSchema, type ConsultPlan, type Handbook, type HandbookInput } from "../../handbook/schema.js";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType, RoutingDecision } from "../../graphs/orchestrator/state.js";
import { profileByTask } from "../../src/demo/profile.js";
import { handbookRouter, learnHandbook, recordsInPool } from "../../src/eval/learned.js";
import { LEARNING_DEFAULTS } from "../../src/learning/pipeline.js";
import { loadPool } from "../../src/pool/load.js";
import type { Pool } from "../../src/pool/schema.js";
import { createAgents } from "../../src/sim/create-agents.js";
import type { Agent } from "../../src/providers/types.js";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import { writeImport, type ImportResult } from "../../src/records/import-result.js";
import { loadRecords } from "../../src/records/io.js";
import { ExecutionRecordSchema, type ExecutionRecord } from "../../src/records/schema.js";
import { answerKey, answerKind } from "../../tools/answer/key.js";
import { ROOT } from "../support/cli.js";

const DATA = resolve(ROOT, "..", "shared", "data", "routerbench");
const FILES = ["arc_challenge_train.csv", "winograde_train.csv", "mbpp_train.csv"];
/** Labelled queries per task the handbook is learned from (the first ones of each file). */
const LEARN_PER_TASK = 60;
/** Queries per task the graph then answers: the next ones of each file, which learning never saw. */
const RUN_PER_TASK = 5;
const LAMBDAS = [0.02, 0.05, 0.1];

let dir = "";
let handbook: Handbook;
let agents: Map<string, Agent>;
/** Recorded outcome of (query, pool agent). */
let recorded: Map<string, ExecutionRecord>;
let queries: { id: string; text: string; task: string }[];

const keyOf = (queryId: string, agent: string) => `${queryId}\u0000${agent}`;

/** The first `from + n` query ids of an import, the ones from `from` on. */
function slice(result: ImportResult, from: number, n: number): ExecutionRecord[] {
  const ids = new Set([...new Set(result.records.map((r) => r.queryId))].slice(from, from + n));
  return result.records.filter((r) => ids.has(r.queryId));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "so-consult-"));
  const imports: ImportResult[] = [];
  for (const f of FILES) imports.push(await importRouterBench({ csv: join(DATA, f), split: "train" }));
  const subset = (records: ExecutionRecord[]): ImportResult => ({
    ...imports[0]!,
    rows: new Set(records.map((r) => r.queryId)).size,
    records,
  });
  const learnRecords = join(dir, "learn.jsonl");
  const learnPool = join(dir, "learn.pool.json");
  writeImport(subset(imports.flatMap((r) => slice(r, 0, LEARN_PER_TASK))), learnRecords, learnPool);
  const runRecords = join(dir, "run.jsonl");
  const runPool = join(dir, "run.pool.json");
  writeImport(subset(imports.flatMap((r) => slice(r, LEARN_PER_TASK, RUN_PER_TASK))), runRecords, runPool);

  const learned = await learnHandbook(
    { ...LEARNING_DEFAULTS, records: learnRecords, pool: learnPool },
    join(dir, "learning"),
  );
  handbook = learned.handbook;

  const pool = loadPool(runPool);
  agents = await createAgents(pool);
  const records = recordsInPool(await loadRecords(runRecords), pool, runRecords, runPool);
  recorded = new Map(records.map((r) => [keyOf(r.queryId, r.agent), r]));
  const seen = new Map<string, { id: string; text: string; task: string }>();
  for (const r of records)
    if (!seen.has(r.queryId)) seen.set(r.queryId, { id: r.queryId, text: r.query, task: r.task });
  queries = [...seen.values()];
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const consultOf = (d: RoutingDecision) => {
  expect(d.policy === "consult" || d.consult?.action === "first").toBe(true);
  return d.consult!;
};

/** The pure replay of the handbook's rule for a query: the plan, its run, and every recorded call's cost. */
function replayRule(
  h: Handbook,
  q: { id: string; text: string },
  lambda: number,
): { choice: PlanChoice; run: ConsultRun; costUsd: number } {
  const rule = h.consult!;
  const skills = stepSkills(h, skillIdentifier(h), q.text, "answer").skills;
  const left = { callsLeft: rule.maxCalls };
  const choice = planFor(rule, consultScopes(h, q.text, skills), "answer", lambda, left);
  if (!choice) throw new Error(`no consult plan for ${q.id} at λ=${lambda}`);
  let costUsd = 0;
  const kind = answerKind(q.text);
  const run = consultTrajectory(
    choice,
    (agent) => {
      const r = recorded.get(keyOf(q.id, agent));
      if (!r) throw new Error(`no record of ${agent} on ${q.id}`);
      costUsd += r.costUsd;
      return answerKey(r.response, kind);
    },
    lambda,
    left,
  );
  return { choice, run, costUsd };
}

describe("consult/accept on RouterBench replay, with a learned handbook", () => {
  it("learning fits a consult rule from the labelled responses", () => {
    const rule = handbook.consult;
    expect(rule).toBeDefined();
    expect(HandbookSchema.parse(handbook).consult).toEqual(rule);
    expect(rule!.maxCalls).toBe(3);
    expect(Object.keys(rule!.plans)).toContain("answer");
    for (const plans of Object.values(rule!.plans))
      for (const p of plans) {
        expect(p.agents.length).toBeGreaterThanOrEqual(2);
        expect(p.agents.every((a) => agents.has(a))).toBe(true);
        expect(p.costs).toHaveLength(p.agents.length);
      }
    expect(rule!.chosenBy).toMatch(/best held-out objective/);
    expect(queries).toHaveLength(FILES.length * RUN_PER_TASK);
  });

  it("the graph's answer agents, final answer and cost are those of the replayed rule, query by query", async () => {
    const graph = await createOrchestrator({ handbook, agents });
    const router = handbookRouter(handbook, { name: "consult", consult: true, modeOf: () => "answer" });
    const callsAt = new Map<number, number[]>();
    for (const lambda of LAMBDAS) {
      const calls: number[] = [];
      for (const q of queries) {
        const s = (await graph.invoke({
          task: { id: q.id, text: q.text },
          settings: { lambda },
        })) as OrchestratorStateType;
        const { choice, run, costUsd } = replayRule(handbook, q, lambda);
        const where = `${q.id} at λ=${lambda}`;
        const asked: string[] = [];
        const ask = (agent: string) => {
          asked.push(agent);
          return answerKey(recorded.get(keyOf(q.id, agent))!.response, answerKind(q.text));
        };

        expect(s.stopReason, where).toBe("answered");
        if (!choice.consults) {
          // The best plan would not consult: the step is routed by agent selection, its answer accepted outright,
          // as eval's router does.
          expect(
            s.decisions.every((d) => d.consult === undefined),
            where,
          ).toBe(true);
          expect(
            s.steps.map((x) => x.agent),
            where,
          ).toEqual([router.route({ id: q.id, text: q.text }, lambda)]);
          const t = await router.trajectory!({ id: q.id, text: q.text }, ask, lambda);
          expect(asked, where).toEqual(s.steps.map((x) => x.agent));
          expect(t.answeredBy, where).toBe(s.steps[0]!.agent);
          calls.push(1);
          continue;
        }
        expect(
          s.steps.every((x) => x.mode === "answer"),
          where,
        ).toBe(true);
        // The same agents asked in the same order, with the same answer keys read from their responses.
        expect(
          s.steps.map((x) => x.agent),
          where,
        ).toEqual(run.answers.map((a) => a.agent));
        expect(
          s.consulting!.answers.map((a) => [a.agent, a.key]),
          where,
        ).toEqual(run.answers.map((a) => [a.agent, a.key]));
        // The same plan, and the same decision after each answer.
        const decisions = s.decisions.map(consultOf);
        expect(decisions[0]!.plan, where).toEqual(choice.plan.agents);
        expect(decisions[0]!.scope, where).toBe(choice.scope);
        expect(
          decisions.map((d) => d.action),
          where,
        ).toEqual(["first", ...run.judgements.map((j) => j.action)]);
        expect(
          decisions.slice(1).map((d) => d.reason),
          where,
        ).toEqual(run.judgements.map((j) => j.reason));
        // The accepted answer is the recorded response of the agent the rule accepts.
        const accepted = run.answers[run.accepted]!.agent;
        expect(s.finalAnswer, where).toBe(recorded.get(keyOf(q.id, accepted))!.response.trim());
        expect(s.decisions.at(-1)!.record.chosen, where).toBe(accepted);
        // Every call is paid at its recorded cost, and nothing else is.
        const paid = s.steps.reduce((t, x) => t + recorded.get(keyOf(q.id, x.agent))!.costUsd, 0);
        expect(s.costUsd, where).toBeCloseTo(paid, 12);
        expect(s.costUsd, where).toBeCloseTo(costUsd, 12);
        expect(
          s.steps.map((x) => x.costUsd),
          where,
        ).toEqual(s.steps.map((x) => recorded.get(keyOf(q.id, x.agent))!.costUsd));

        // Eval's multi-step router asks the same agents and scores the same one.
        const t = await router.trajectory!({ id: q.id, text: q.text }, ask, lambda);
        expect(asked, where).toEqual(s.steps.map((x) => x.agent));
        expect(t.answeredBy, where).toBe(accepted);
        calls.push(s.steps.length);
      }
      callsAt.set(lambda, calls);
    }
    // Consulting does happen at these λ: some runs ask a second agent, some escalate to a third.
    const all = [...callsAt.values()].flat();
    expect(all.some((n) => n === 2)).toBe(true);
    expect(all.some((n) => n === 3)).toBe(true);
    expect(Math.max(...all)).toBeLessThanOrEqual(handbook.consult!.maxCalls);
  }, 60_000);

  it("decisions: the plan's first agent, then consults, then one accept; streamed as custom events", async () => {
    const graph = await createOrchestrator({ handbook, agents });
    let escalated = 0;
    let judged = 0;
    for (const q of queries) {
      const events: RoutingDecision[] = [];
      let last: OrchestratorStateType | undefined;
      for await (const [mode, chunk] of await graph.stream(
        { task: { id: q.id, text: q.text }, settings: { lambda: 0.05 } },
        { streamMode: ["custom", "values"] },
      )) {
        if (mode === "custom" && (chunk as { type?: string }).type === "decision") {
          const { type: _t, ...d } = chunk as RoutingDecision & { type: string };
          events.push(d);
        } else if (mode === "values") last = chunk as OrchestratorStateType;
      }
      const s = last!;
      expect(events).toEqual(s.decisions);
      // A query whose best plan would not consult is routed as without a rule (covered above).
      if (s.decisions.every((d) => d.consult === undefined)) continue;
      judged++;
      const actions = s.decisions.map((d) => d.consult!.action);
      expect(actions[0]).toBe("first");
      expect(actions.at(-1)).toBe("accept");
      expect(actions.slice(1, -1).every((a) => a === "consult")).toBe(true);
      // One decision per answer step, then the accept.
      expect(s.decisions).toHaveLength(s.steps.length + 1);
      expect(s.decisions.slice(0, -1).map((d) => d.record.chosen)).toEqual(s.steps.map((x) => x.agent));
      expect(s.decisions.slice(1).every((d) => d.policy === "consult")).toBe(true);
      expect(s.decisions[0]!.policy).toBe("offline");
      const accept = s.decisions.at(-1)!.consult!;
      expect(accept.reason).toContain("P(correct |");
      expect(accept.pCorrect).toBeGreaterThan(0);
      expect(accept.pCorrect).toBeLessThan(1);
      expect(accept.answers.map((a) => a.agent)).toEqual(s.steps.map((x) => x.agent));
      expect(s.decisions[0]!.consult!.state).toBe("start");
      // The state after each answer: alone, then agree or disagree, then escalated.
      s.decisions.slice(1).forEach((d, i) => {
        const expected = i === 0 ? ["alone"] : i === 1 ? ["agree", "disagree"] : ["escalated"];
        expect(expected).toContain(d.consult!.state);
      });
      if (s.decisions.some((d) => d.consult!.action === "consult" && d.consult!.state !== "alone")) {
        escalated++;
        const esc = s.decisions.find((d) => d.consult!.action === "consult" && d.consult!.state !== "alone")!;
        expect(esc.consult!.reason).toMatch(/^escalate to /);
      }
    }
    expect(judged).toBeGreaterThan(0);
    expect(escalated).toBeGreaterThan(0);
  }, 60_000);
});

// ---- limits, with agents that never agree ----------------------------------------------------------------------

const NEVER = ["cheap1", "cheap2", "strong"] as const;
const LETTER: Record<(typeof NEVER)[number], string> = { cheap1: "A", cheap2: "B", strong: "C" };
const COST: Record<(typeof NEVER)[number], number> = { cheap1: 0.001, cheap2: 0.002, strong: 0.01 };
const QUESTION = (i: number) =>
  `Question ${i}: which of these is a prime number?\nA) ${4 * i + 4}\nB) ${4 * i + 6}\nC) 7\nD) ${4 * i + 8}\nAnswer with the option letter.`;

/** Records where every agent answers its own letter on every query: no two ever agree. */
function neverAgreeRecords(n: number): ExecutionRecord[] {
  const out: ExecutionRecord[] = [];
  for (let i = 0; i < n; i++)
    for (const agent of NEVER)
      out.push(
        ExecutionRecordSchema.parse({
          queryId: `prime-${i}`,
          query: QUESTION(i),
          task: "prime",
          agent,
          mode: "answer",
          response: `Answer: ${LETTER[agent]}`,
          score: agent === "strong" ? 1 : 0,
          success: agent === "strong",
          promptTokens: 40,
          completionTokens: 3,
          costUsd: COST[agent],
          provider: "replay",
        }),
      );
  return out;
}

const beta = (alpha: number, b: number) => ({ alpha, beta: b });

/** A plan of the three that always consults at λ = 0: a weak first answer, a weak disagreement, a strong escalation. */
function neverAgreePlan(): ConsultPlan {
  return {
    agents: [...NEVER],
    weights: [-0.4, -0.2, 2],
    costs: NEVER.map((a) => COST[a]),
    costScale: COST.strong,
    final: "escalation",
    alone: beta(4, 6),
    agreeRate: beta(1, 9),
    agree: beta(8, 2),
    disagree: beta(5, 5),
    escalateAgree: beta(9, 1),
    escalateDisagree: beta(9, 1),
    labelled: 20,
  };
}

async function neverAgreeGraph(maxCalls: number, edit: (records: ExecutionRecord[]) => ExecutionRecord[] = (r) => r) {
  const records = edit(neverAgreeRecords(6));
  const pool: Pool = {
    version: 1,
    name: "never agree",
    agents: NEVER.map((id) => ({
      id,
      modes: ["answer"],
      provider: "replay",
      model: id,
      price: { inputPer1M: 1, outputPer1M: 1 },
      replay: { records: "(in memory)" },
    })),
  };
  const agents = await createAgents(pool, { records });
  const base = profileByTask(records, pool);
  const input: HandbookInput = {
    ...base,
    consult: { version: 1, maxCalls, strength: 8, plans: { answer: [neverAgreePlan()] } },
  };
  const h = HandbookSchema.parse(input);
  return { graph: await createOrchestrator({ handbook: h, agents }), records, handbook: h };
}

describe("consult limits, with agents that never agree", () => {
  const task = (i: number) => ({ task: { id: `prime-${i}`, text: QUESTION(i) } });

  it("unlimited: the first, the second (disagree), the escalation; the escalation's answer is accepted", async () => {
    const { graph, handbook: h } = await neverAgreeGraph(3);
    expect(answerKind(QUESTION(0))).toBe("choice");
    const s = (await graph.invoke({ ...task(0), settings: { lambda: 0 } })) as OrchestratorStateType;
    expect(s.steps.map((x) => x.agent)).toEqual(["cheap1", "cheap2", "strong"]);
    expect(s.consulting!.answers.map((a) => a.key)).toEqual(["A", "B", "C"]);
    expect(s.decisions.map((d) => [d.consult!.action, d.consult!.state])).toEqual([
      ["first", "start"],
      ["consult", "alone"],
      ["consult", "disagree"],
      ["accept", "escalated"],
    ]);
    expect(s.decisions[2]!.consult!.reason).toMatch(
      /^escalate to strong: P\(correct \| cheap1 and cheap2 disagree, answer\) = 0\.500/,
    );
    expect(s.finalAnswer).toBe("Answer: C");
    expect(s.stopReason).toBe("answered");
    expect(s.costUsd).toBeCloseTo(COST.cheap1 + COST.cheap2 + COST.strong, 12);
    // The same as the pure replay.
    const run = consultTrajectory(
      { plan: h.consult!.plans.answer![0]!, scope: "answer" },
      (a) => LETTER[a as (typeof NEVER)[number]],
      0,
      { callsLeft: 3 },
    );
    expect(run.answers.map((a) => a.agent)).toEqual(s.steps.map((x) => x.agent));
  });

  it("maxSteps 2 or 1: never more answer steps than the step limit; where consulting cannot pay, the step is routed as without a rule", async () => {
    const { graph } = await neverAgreeGraph(3);
    for (const i of [0, 1, 2]) {
      const s = (await graph.invoke({ ...task(i), settings: { lambda: 0, maxSteps: 2 } })) as OrchestratorStateType;
      expect(s.steps.length).toBeLessThanOrEqual(2);
      expect(s.stopReason).toBe("answered");
      expect(s.decisions.some((d) => d.forced)).toBe(false);
      const judgedHere = s.decisions.filter((d) => d.consult);
      if (judgedHere.length > 0) {
        // Consulted: two calls at most, then an accept that says the calls ran out.
        expect(judgedHere.at(-1)!.consult!.action).toBe("accept");
        expect(judgedHere.at(-1)!.consult!.reason).toContain("no call left");
      } else {
        // Two calls leave no room to escalate: the plan would not consult, and agent selection answers alone.
        expect(s.steps).toHaveLength(1);
        expect(s.steps[0]!.agent).toBe(s.decisions[0]!.record.chosen);
      }
    }
    const one = (await graph.invoke({ ...task(3), settings: { lambda: 0, maxSteps: 1 } })) as OrchestratorStateType;
    // maxSteps 1: no room to consult; one answer, accepted (not forced), no consult record.
    expect(one.steps).toHaveLength(1);
    expect(one.decisions.every((d) => d.consult === undefined)).toBe(true);
    expect(one.stopReason).toBe("answered");
  });

  it("a budget below the first two agents' expected cost: one answer within the budget; room for two but not three: no escalation", async () => {
    const { graph } = await neverAgreeGraph(3);
    const budgetUsd = COST.cheap1 + COST.cheap2 / 2;
    const s = (await graph.invoke({ ...task(1), settings: { lambda: 0, budgetUsd } })) as OrchestratorStateType;
    // No plan can consult within it: agent selection among the agents that fit, one answer.
    expect(s.steps.map((x) => x.agent)).toEqual(["cheap1"]);
    expect(s.decisions.every((d) => d.consult === undefined)).toBe(true);
    expect(s.finalAnswer).toBe("Answer: A");
    expect(s.stopReason).toBe("answered");
    expect(s.costUsd).toBeLessThanOrEqual(budgetUsd);

    // Room for the second but not the escalation: at most two calls, never the escalation, within the budget.
    const two = COST.cheap1 + COST.cheap2 + COST.strong / 2;
    const t = (await graph.invoke({ ...task(2), settings: { lambda: 0, budgetUsd: two } })) as OrchestratorStateType;
    expect(t.steps.length).toBeLessThanOrEqual(2);
    expect(t.steps.map((x) => x.agent)).not.toContain("strong");
    expect(t.stopReason).toBe("answered");
    expect(t.costUsd).toBeLessThanOrEqual(two);
  });

  it("never more answer calls than the rule's maxCalls", async () => {
    for (const maxCalls of [1, 2, 3]) {
      const { graph } = await neverAgreeGraph(maxCalls);
      for (let i = 0; i < 6; i++) {
        const s = (await graph.invoke({ ...task(i), settings: { lambda: 0 } })) as OrchestratorStateType;
        const where = `maxCalls ${maxCalls}, query ${i}`;
        expect(s.stopReason, where).toBe("answered");
        expect(s.steps.filter((x) => x.mode === "answer").length, where).toBe(maxCalls);
        if (maxCalls === 1) {
          // Consulting is off: the first usable answer is accepted, with no consult record.
          expect(
            s.decisions.every((d) => d.consult === undefined),
            where,
          ).toBe(true);
        } else {
          expect(s.decisions.at(-1)!.consult!.action, where).toBe("accept");
          expect(s.decisions.filter((d) => d.consult!.action !== "accept").length, where).toBe(maxCalls);
        }
      }
    }
  });

  it("an evasive answer is paid and counts against the rule's maxCalls", async () => {
    // cheap2 does not commit to an answer on query 4: its call is a step (and paid), and the consultation goes on
    // within the calls left.
    const evasive = (records: ExecutionRecord[]) =>
      records.map((r) => (r.queryId === "prime-4" && r.agent === "cheap2" ? { ...r, response: "I don't know." } : r));
    const { graph } = await neverAgreeGraph(3, evasive);
    const s = (await graph.invoke({ ...task(4), settings: { lambda: 0 } })) as OrchestratorStateType;
    // The rejected call is not judged (cheap2 is asked again while calls are left), but each one is a call.
    expect(s.steps.map((x) => [x.agent, x.observation])).toEqual([
      ["cheap1", "answered (answer A); judged next"],
      ["cheap2", "rejected: evasive answer"],
      ["cheap2", "rejected: evasive answer"],
    ]);
    expect(s.consulting!.answers.map((a) => a.agent)).toEqual(["cheap1"]);
    expect(s.decisions.at(-1)!.consult!.reason).toMatch(
      /^accept cheap1's answer: P\(correct \| cheap1 alone, answer\) = 0\.400; no call left/,
    );
    expect(s.finalAnswer).toBe("Answer: A");
    expect(s.costUsd).toBeCloseTo(COST.cheap1 + 2 * COST.cheap2, 12);
    expect(s.stopReason).toBe("answered");
  });
});
