import { beforeAll, describe, expect, it } from "vitest";
import type { OrchestratorStateType, RoutingDecision } from "../../graphs/orchestrator/state.js";
import { StructuredOutputError } from "../../src/providers/runtime.js";
import type { Agent, StepResult } from "../../src/providers/types.js";
import { buildSimFixture, fixtureOrchestrator, inputOf, runOnFixture, testTask, type SimFixture } from "./fixture.js";

let fx: SimFixture;
beforeAll(async () => {
  fx = await buildSimFixture();
}, 60_000);

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The agents of the fixture with every answer-serving agent wrapped: the run's first answers are `scripted`, later ones are the real agent's. */
function evasiveFirst(
  agents: Map<string, Agent>,
  scripted: string[],
): { agents: Map<string, Agent>; calls: () => number } {
  let calls = 0;
  const out = new Map<string, Agent>();
  for (const [id, a] of agents) {
    if (!a.spec.modes.includes("answer")) {
      out.set(id, a);
      continue;
    }
    out.set(id, {
      spec: a.spec,
      async act(req, opts): Promise<StepResult> {
        if (req.mode !== "answer") return a.act(req, opts);
        const n = calls++;
        const real = await a.act(req, opts);
        return n < scripted.length ? { ...real, output: scripted[n]! } : real;
      },
    });
  }
  return { agents: out, calls: () => calls };
}

function expectDecisionShape(d: RoutingDecision) {
  expect(["search", "code", "answer"]).toContain(d.mode);
  expect(d.record.mode).toBe(d.mode);
  expect(d.record.candidates.length).toBeGreaterThan(0);
  for (const c of d.record.candidates) {
    expect(typeof c.agent).toBe("string");
    expect(Number.isFinite(c.score)).toBe(true);
  }
  expect(d.record.candidates.map((c) => c.agent)).toContain(d.record.chosen);
  expect(d.expectedCostUsd).toBe(d.record.candidates.find((c) => c.agent === d.record.chosen)!.cost ?? 0);
  const w = sum(d.record.skills.map((s) => s.weight));
  if (d.record.skills.length) expect(w).toBeCloseTo(1, 9);
}

describe("orchestrator graph over sim agents, real search and real sandbox", () => {
  it("answers a search task end to end; state holds steps, documents, decisions, cost, answer, stop reason", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const s = await runOnFixture(fx, task);

    expect(s.stopReason).toBe("answered");
    expect(s.finalAnswer).toBeTruthy();
    const last = s.steps[s.steps.length - 1]!;
    expect(last.mode).toBe("answer");
    expect(last.input).toBe(s.finalAnswer);
    expect(last.observation).toBe("accepted");

    const search = s.steps.find((x) => x.mode === "search");
    expect(search).toBeDefined();
    expect(search!.input.length).toBeGreaterThan(0);
    expect(s.documents.length).toBeGreaterThan(0);
    const corpusIds = new Set(fx.world.corpus.map((d) => d.id));
    for (const d of s.documents) expect(corpusIds.has(d.id.split("#")[0]!)).toBe(true);
    expect(search!.observation).toContain(s.documents[0]!.title);

    s.steps.forEach((st, i) => {
      expect(st.index).toBe(i);
      expect(fx.agents.has(st.agent)).toBe(true);
      expect(fx.agents.get(st.agent)!.spec.modes).toContain(st.mode);
      expect(st.costUsd).toBeGreaterThan(0);
      expect(st.simulated).toBe(true);
    });
    expect(s.costUsd).toBeCloseTo(sum(s.steps.map((x) => x.costUsd)), 12);

    // One decision per step, in order, each naming the agent that then acted.
    expect(s.decisions.map((d) => d.step)).toEqual(s.steps.map((x) => x.index));
    s.decisions.forEach((d, i) => {
      expectDecisionShape(d);
      expect(d.policy).toBe("offline");
      expect(d.record.chosen).toBe(s.steps[i]!.agent);
      expect(d.mode).toBe(s.steps[i]!.mode);
      expect(d.forced).toBe(false);
    });
    expect(s.dispatch).toBeNull();
  });

  it("runs code in the sandbox for an arithmetic task and keeps the result", async () => {
    const task = testTask(fx.world, "arithmetic");
    const s = await runOnFixture(fx, task);
    const code = s.steps.filter((x) => x.mode === "code");
    expect(code.length).toBeGreaterThan(0);
    expect(s.codeResults.length).toBe(code.length);
    expect(s.codeResults[0]!.program).toBe(code[0]!.input);
    expect(code[0]!.observation).toMatch(/^exit /);
    // The observation is the sandbox's real output of the agent's program.
    expect(code[0]!.observation).toContain(
      s.codeResults[0]!.stdout.trim() || s.codeResults[0]!.stderr.trim().slice(0, 50),
    );
    expect(s.stopReason).toBe("answered");
  });

  it("streams one custom decision event per step, matching the decisions in state", async () => {
    const task = testTask(fx.world, "founder_birth_year");
    const graph = await fixtureOrchestrator(fx);
    const events: any[] = [];
    const updates: Record<string, any>[] = [];
    for await (const [mode, chunk] of await graph.stream(inputOf(task), { streamMode: ["custom", "updates"] })) {
      if (mode === "custom") events.push(chunk);
      else updates.push(chunk as Record<string, any>);
    }
    const steps = updates.flatMap((u) => Object.values(u).flatMap((v: any) => v?.steps ?? []));
    const decisionsInUpdates = updates.flatMap((u) => (u.orchestrate?.decisions as RoutingDecision[]) ?? []);
    expect(events.length).toBeGreaterThan(1);
    expect(events.length).toBe(steps.length);
    expect(events.every((e) => e.type === "decision")).toBe(true);
    events.forEach((e, i) => {
      expect(e.step).toBe(i);
      expectDecisionShape(e);
      expect(e.record.skills.length).toBeGreaterThan(0);
      for (const sk of e.record.skills) expect(fx.handbook.skills[sk.id]?.mode).toBe(e.mode);
      expect(e.record.chosen).toBe(steps[i].agent);
      const { type, ...rest } = e;
      expect(type).toBe("decision");
      expect(rest).toEqual(decisionsInUpdates[i]);
    });
  });

  it("rejects empty and evasive answers, stores them as attempts, and goes on until an answer is accepted", async () => {
    const task = testTask(fx.world, "unit_conversion");
    const { agents, calls } = evasiveFirst(fx.agents, ["", "I don't know."]);
    const s = await runOnFixture(fx, task, { agents });

    expect(s.attempts).toEqual(["", "I don't know."]);
    const answers = s.steps.filter((x) => x.mode === "answer");
    expect(answers.length).toBe(calls());
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers[0]!.observation).toBe("rejected: empty answer");
    expect(answers[1]!.observation).toBe("rejected: evasive answer");
    expect(answers[answers.length - 1]!.observation).toBe("accepted");
    expect(s.stopReason).toBe("answered");
    expect(s.finalAnswer).toBe(answers[answers.length - 1]!.input);
    expect(s.finalAnswer).not.toBe("I don't know.");
    // Rejected steps still cost money.
    expect(answers[0]!.costUsd).toBeGreaterThan(0);
    expect(s.costUsd).toBeCloseTo(sum(s.steps.map((x) => x.costUsd)), 12);
  });

  it("at the step limit makes exactly one forced answer by the best-scoring answer agent", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const { agents } = evasiveFirst(fx.agents, ["I don't know", "not sure", "I don't know", "I don't know"]);
    const s = await runOnFixture(fx, task, { agents, defaults: { maxSteps: 3 } });

    expect(s.steps.length).toBe(4);
    const forced = s.decisions.filter((d) => d.forced);
    expect(forced.length).toBe(1);
    const f = forced[0]!;
    expect(f.step).toBe(3);
    expect(f.mode).toBe("answer");
    expect(f.policy).toBe("limit");
    const best = Math.max(...f.record.candidates.map((c) => c.score));
    expect(f.record.candidates.find((c) => c.agent === f.record.chosen)!.score).toBe(best);
    // The forced answer is accepted whatever it says: the run ends there.
    const last = s.steps[3]!;
    expect(last.agent).toBe(f.record.chosen);
    expect(last.observation).toBe("accepted");
    expect(s.stopReason).toBe("forced_answer");
    expect(s.finalAnswer).toBe(last.input);
  });

  it("an answer agent whose output is unusable: the loop goes on, one forced answer, then stop at the step limit", async () => {
    const task = testTask(fx.world, "definition");
    const agents = new Map<string, Agent>();
    for (const [id, a] of fx.agents)
      agents.set(id, {
        spec: a.spec,
        async act(req, opts) {
          if (req.mode !== "answer") return a.act(req, opts);
          throw new StructuredOutputError(id, "empty answer output", "", {
            usage: { promptTokens: 100, completionTokens: 0 },
            costUsd: 1e-5,
            costEstimated: true,
          });
        },
      });
    const s = await runOnFixture(fx, task, { agents, defaults: { maxSteps: 2 } });
    expect(s.decisions.filter((d) => d.forced)).toHaveLength(1);
    expect(s.steps).toHaveLength(3);
    const failed = s.steps.filter((x) => x.error);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) {
      expect(f.error).toContain("empty answer output");
      expect(f.observation).toBe(`unusable output from ${f.agent}`);
      // A failed call was still billed: its cost is on the step as well as in the total.
      expect(f.costUsd).toBe(1e-5);
      expect(f.costEstimated).toBe(true);
    }
    expect(s.steps[2]!.error).toBeDefined();
    expect(s.stopReason).toBe("step_limit");
    expect(s.finalAnswer).toBeNull();
    expect(s.costUsd).toBeCloseTo(sum(s.steps.map((x) => x.costUsd)), 12);
  });

  it("per-run settings in the input override the defaults (maxSteps 0: the forced answer comes first)", async () => {
    const task = testTask(fx.world, "capital_lookup");
    const graph = await fixtureOrchestrator(fx, { defaults: { maxSteps: 8 } });
    const s = (await graph.invoke({ ...inputOf(task), settings: { maxSteps: 0 } })) as OrchestratorStateType;
    expect(s.steps.map((x) => x.mode)).toEqual(["answer"]);
    expect(s.decisions.map((d) => d.forced)).toEqual([true]);
    expect(s.stopReason).toBe("forced_answer");
  });
});
