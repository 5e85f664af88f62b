import { Command, MemorySaver } from "@langchain/langgraph";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApprovalReply } from "../../graphs/orchestrator/nodes.js";
import type { OrchestratorStateType, RoutingDecision } from "../../graphs/orchestrator/state.js";
import type { SimTask } from "../../src/sim/index.js";
import { buildSimFixture, fixtureOrchestrator, inputOf, runOnFixture, testTask, type SimFixture } from "./fixture.js";

let fx: SimFixture;
/** A task whose first decision, with no budget, picks an agent that has a cheaper candidate. */
let task: SimTask;
let first: RoutingDecision;
/** A budget between the cheapest candidate's expected cost and the chosen agent's. */
let budget: number;
let cheapest: { agent: string; cost: number };

beforeAll(async () => {
  fx = await buildSimFixture();
  for (const family of [
    "founder_birth_year",
    "capital_lookup",
    "definition",
    "statistics",
    "arithmetic",
    "unit_conversion",
  ] as const) {
    const t = testTask(fx.world, family);
    const d = (await runWithBudget(undefined, t)).decisions[0]!;
    const costs = d.record.candidates.filter((c) => c.cost !== null).map((c) => ({ agent: c.agent, cost: c.cost! }));
    const low = costs.sort((a, b) => a.cost - b.cost)[0]!;
    if (low.cost < d.expectedCostUsd) {
      task = t;
      first = d;
      cheapest = low;
      budget = (low.cost + d.expectedCostUsd) / 2;
      break;
    }
  }
  if (!task) throw new Error("no task whose first choice has a cheaper candidate");
}, 60_000);

const thread = (id: string) => ({ configurable: { thread_id: id } });

/** The final state of a run of `t` (default: the chosen task) with this budget (default: none). */
const runWithBudget = (budgetUsd?: number, t: SimTask = task) =>
  runOnFixture(fx, t, budgetUsd === undefined ? {} : { defaults: { budgetUsd } });

const askingGraph = () =>
  fixtureOrchestrator(fx, { checkpointer: new MemorySaver(), defaults: { budgetUsd: budget, ask: true } });

/** Start a run that must stop at the interrupt before its first step; returns the graph and the interrupt value. */
async function interrupted(id: string) {
  const graph = await askingGraph();
  const out = (await graph.invoke(inputOf(task), thread(id))) as OrchestratorStateType;
  expect(out.steps).toEqual([]);
  const snap = await graph.getState(thread(id));
  expect(snap.next).toEqual(["approve"]);
  const value = snap.tasks[0]!.interrupts[0]!.value as Record<string, any>;
  return { graph, value };
}

describe("budget with ask: a step whose expected cost exceeds the budget asks a human", () => {
  it("raises an interrupt naming the agent, its expected cost and the cheaper options", async () => {
    const { value } = await interrupted("ask-shape");
    expect(value.kind).toBe("approve_step");
    expect(value.step).toBe(0);
    expect(value.mode).toBe(first.mode);
    expect(value.agent).toBe(first.record.chosen);
    expect(value.expectedCostUsd).toBe(first.expectedCostUsd);
    expect(value.expectedCostUsd).toBeGreaterThan(budget);
    expect(value.budgetUsd).toBe(budget);
    expect(value.costSoFarUsd).toBe(0);
    const cheaper = value.cheaper as { agent: string; expectedCostUsd: number; score: number }[];
    expect(cheaper.map((c) => c.agent)).toContain(cheapest.agent);
    for (const c of cheaper) expect(c.expectedCostUsd).toBeLessThan(value.expectedCostUsd);
    expect(cheaper.map((c) => c.expectedCostUsd)).toEqual(
      [...cheaper.map((c) => c.expectedCostUsd)].sort((a, b) => a - b),
    );
  });

  it("approve: the step runs with the costly agent and the decision is marked approved", async () => {
    const { graph } = await interrupted("ask-approve");
    const s = (await graph.invoke(
      new Command({ resume: { action: "approve" } satisfies ApprovalReply }),
      thread("ask-approve"),
    )) as OrchestratorStateType;
    expect(s.steps[0]!.agent).toBe(first.record.chosen);
    expect(s.decisions[0]!.human).toBe("approved");
    expect(s.decisions[0]!.record.chosen).toBe(first.record.chosen);
    expect(s.costUsd).toBeGreaterThan(0);
  });

  it("redirect: the step runs with the cheaper agent and the decision is marked redirected", async () => {
    const { graph } = await interrupted("ask-redirect");
    const reply: ApprovalReply = { action: "redirect", agent: cheapest.agent };
    const s = (await graph.invoke(new Command({ resume: reply }), thread("ask-redirect"))) as OrchestratorStateType;
    expect(s.steps[0]!.agent).toBe(cheapest.agent);
    expect(s.steps[0]!.mode).toBe(first.mode);
    const d = s.decisions[0]!;
    expect(d.human).toBe("redirected");
    expect(d.record.chosen).toBe(cheapest.agent);
    expect(d.record.reason).toContain(`from ${first.record.chosen} to ${cheapest.agent}`);
    expect(d.expectedCostUsd).toBe(cheapest.cost);
  });

  it("stop: the run ends with stopped_by_user and no step taken", async () => {
    const { graph } = await interrupted("ask-stop");
    const s = (await graph.invoke(
      new Command({ resume: { action: "stop" } satisfies ApprovalReply }),
      thread("ask-stop"),
    )) as OrchestratorStateType;
    expect(s.stopReason).toBe("stopped_by_user");
    expect(s.steps).toEqual([]);
    expect(s.finalAnswer).toBeNull();
    expect((await graph.getState(thread("ask-stop"))).next).toEqual([]);
  });
});

describe("an invalid reply to the interrupt asks again, and the thread is never broken", () => {
  it("an unknown agent, then a malformed reply, re-raise the interrupt with the error; a valid reply then runs", async () => {
    const { graph } = await interrupted("ask-invalid");
    await graph.invoke(new Command({ resume: { action: "redirect", agent: "nobody" } }), thread("ask-invalid"));
    // The thread waits at the approval again (its pending task holds the new interrupt), with nothing run.
    let snap = await graph.getState(thread("ask-invalid"));
    expect(snap.tasks.map((t) => t.name)).toEqual(["approve"]);
    expect(snap.values.steps).toEqual([]);
    let value = snap.tasks[0]!.interrupts.at(-1)!.value as Record<string, any>;
    expect(value.kind).toBe("approve_step");
    expect(value.error).toMatch(/redirect: agent nobody does not serve mode/);

    await graph.invoke(new Command({ resume: "yes please" }), thread("ask-invalid"));
    snap = await graph.getState(thread("ask-invalid"));
    expect(snap.tasks.map((t) => t.name)).toEqual(["approve"]);
    value = snap.tasks[0]!.interrupts.at(-1)!.value as Record<string, any>;
    expect(value.error).toMatch(/invalid reply "yes please"/);
    expect(value.agent).toBe(first.record.chosen);

    const s = (await graph.invoke(
      new Command({ resume: { action: "redirect", agent: cheapest.agent } satisfies ApprovalReply }),
      thread("ask-invalid"),
    )) as OrchestratorStateType;
    expect(s.steps[0]!.agent).toBe(cheapest.agent);
    expect(s.decisions[0]!.human).toBe("redirected");
    expect(s.steps.length).toBeGreaterThan(0);
  });
});

describe("budget without ask", () => {
  it("chooses agents that fit the remaining budget, and never starts a step it expects to overrun", async () => {
    const s = await runWithBudget(budget);
    expect(s.decisions.length).toBeGreaterThan(0);
    expect(s.decisions[0]!.record.chosen).not.toBe(first.record.chosen);
    for (const d of s.decisions) {
      const before = s.steps.slice(0, d.step).reduce((a, x) => a + x.costUsd, 0);
      expect(before + d.expectedCostUsd).toBeLessThanOrEqual(budget);
    }
    // The first choice was re-made among the candidates that fit, and is the best-scoring of them.
    const d0 = s.decisions[0]!;
    expect(d0.record.candidates.length).toBeGreaterThan(0);
    for (const c of d0.record.candidates) expect(c.cost ?? 0).toBeLessThanOrEqual(budget);
    expect(d0.record.candidates.find((c) => c.agent === d0.record.chosen)!.score).toBe(
      Math.max(...d0.record.candidates.map((c) => c.score)),
    );
    expect(["answered", "budget"]).toContain(s.stopReason);
    if (s.stopReason === "answered") expect(s.finalAnswer).toBeTruthy();
  });

  it("stops with stopReason budget when no agent fits", async () => {
    const s = await runWithBudget(cheapest.cost / 10);
    expect(s.stopReason).toBe("budget");
    expect(s.steps).toEqual([]);
    expect(s.costUsd).toBe(0);
  });

  it("stops with stopReason budget once the cost so far reaches the budget", async () => {
    const free = await runWithBudget();
    const step0 = free.steps[0]!;
    expect(free.steps.length).toBeGreaterThan(1);
    // Room for exactly the first step: it is taken as without a budget, then nothing fits what is left.
    const tight = Math.max(step0.costUsd, free.decisions[0]!.expectedCostUsd);
    const s = await runWithBudget(tight);
    expect(s.steps.length).toBe(1);
    expect(s.steps[0]).toEqual(step0);
    expect(s.stopReason).toBe("budget");
    expect(s.finalAnswer).toBeNull();
    expect(s.costUsd).toBeLessThanOrEqual(tight);
  });
});
