import { describe, expect, it } from "vitest";
import type { Mode } from "../../src/core/modes.js";
import { costOf, type AgentSpec } from "../../src/pool/schema.js";
import { createSimAgent, type SimAgent } from "../../src/sim/provider.js";
import type { Document } from "../../src/core/types.js";
import type { StepRequest } from "../../src/providers/types.js";
import { createWorld } from "../../src/sim/world.js";
import type { Family, SimTask } from "../../src/sim/types.js";

const world = createWorld();
const agents = new Map<string, SimAgent>(world.pool().agents.map((spec) => [spec.id, createSimAgent(spec, world)]));
const agent = (id: string) => agents.get(id)!;

function docOf(id: string): Document {
  const d = world.corpus.find((x) => x.id === id)!;
  return { id: `${d.id}#0`, title: d.title, text: d.text, score: 1 };
}

function request(task: SimTask, mode: Mode, state: Partial<StepRequest> = {}): StepRequest {
  return {
    mode,
    task: { id: task.id, text: task.text, family: task.family },
    step: 0,
    documents: [],
    codeResults: [],
    attempts: [],
    ...state,
  };
}

/** The gold evidence of a task's answer step. */
function evidence(task: SimTask): Partial<StepRequest> {
  const documents = task.steps.filter((s) => s.goldDocId).map((s) => docOf(s.goldDocId!));
  const p = task.facts.program;
  return {
    documents,
    codeResults: p ? [{ language: "python", program: p.source, stdout: `${p.prints}\n`, stderr: "", exitCode: 0 }] : [],
  };
}

const tasksOf = (family: Family, n: number) => world.tasks(n * 6, "calibration").filter((t) => t.family === family);

/** |rate − p| within 4 binomial standard deviations (plus a hair for p near 0 or 1). */
function expectRate(successes: number, n: number, p: number) {
  const sd = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(successes / n - p), `rate ${successes}/${n} vs p ${p}`).toBeLessThanOrEqual(4 * sd + 0.01);
}

describe("sim agents", () => {
  it("succeed at a step about as often as their latent probability for the step's latent skill", async () => {
    const cases: [string, Family, Mode, (t: SimTask, out: string) => boolean, boolean][] = [
      ["sim-search-8b", "capital_lookup", "search", (t, o) => o === t.facts.goodQueries[0], false],
      ["sim-general-sm", "founder_birth_year", "search", (t, o) => o === t.facts.goodQueries[0], false],
      ["sim-coder-32b", "statistics", "code", (t, o) => o === t.facts.program!.source, false],
      ["sim-general-md", "arithmetic", "code", (t, o) => o === t.facts.program!.source, false],
      ["sim-frontier-xl", "capital_lookup", "answer", (t, o) => world.check(t, o) === 1, true],
      ["sim-math-72b", "capital_lookup", "answer", (t, o) => world.check(t, o) === 1, true],
      ["sim-general-sm", "statistics", "answer", (t, o) => world.check(t, o) === 1, true],
      ["sim-coder-32b", "definition", "answer", (t, o) => world.check(t, o) === 1, false],
    ];
    for (const [id, family, mode, good, withEvidence] of cases) {
      const tasks = tasksOf(family, 500);
      let ok = 0;
      for (const t of tasks) {
        const r = await agent(id).act(request(t, mode, withEvidence ? evidence(t) : {}));
        if (good(t, r.output)) ok++;
      }
      const skill = tasks[0]!.steps.find((s) => s.mode === mode)!.skill;
      expectRate(ok, tasks.length, world.groundTruth.successProbability(id, skill));
    }
  });

  it("answer far less often right without the evidence (0.1× the latent probability)", async () => {
    const tasks = tasksOf("founder_birth_year", 600);
    let ok = 0;
    for (const t of tasks)
      if (world.check(t, (await agent("sim-frontier-xl").act(request(t, "answer"))).output) === 1) ok++;
    expectRate(
      ok,
      tasks.length,
      0.1 * world.groundTruth.successProbability("sim-frontier-xl", "answer.compose.multi_hop"),
    );
    // Half the evidence (the company, not the founder's birth year) is not the evidence either.
    const t = tasks[0]!;
    const d = agent("sim-frontier-xl").decide(request(t, "answer", { documents: [docOf(t.steps[0]!.goldDocId!)] }));
    expect(d.evidence).toBe(false);
  });

  it("give plausible wrong answers, and sometimes evade", async () => {
    const tasks = tasksOf("capital_lookup", 400);
    const outputs = await Promise.all(
      tasks.map(async (t) => [t, (await agent("sim-math-72b").act(request(t, "answer", evidence(t)))).output] as const),
    );
    const wrong = outputs.filter(([t, o]) => world.check(t, o) === 0);
    const evasive = wrong.filter(([, o]) => /know|tell|enough/i.test(o));
    expect(wrong.length).toBeGreaterThan(50);
    expect(evasive.length).toBeGreaterThan(0);
    expect(evasive.length).toBeLessThan(wrong.length * 0.3);
    for (const [t, o] of wrong.filter((w) => !evasive.includes(w))) expect(t.facts.wrongAnswers).toContain(o);
    // A rejected wrong answer is not given again.
    const [t, first] = wrong.find((w) => !evasive.includes(w))!;
    const again = await agent("sim-math-72b").act(request(t, "answer", { ...evidence(t), attempts: [first] }));
    expect(again.output).not.toBe(first);
  });

  it("take the step's skill from the world and the state, not from the orchestrator's guess", () => {
    const t = tasksOf("founder_birth_year", 30)[0]!;
    const a = agent("sim-frontier-xl");
    const hop1 = a.decide(request(t, "search"));
    const guessed = a.decide(request(t, "search", { skills: [{ id: "search.entity.lookup", weight: 1 }] }));
    expect(guessed).toEqual(hop1);
    expect(hop1.skill).toBe("search.entity.multi_hop");
    expect(hop1.planIndex).toBe(0);
    // With the company's document in the state, the agent is at the second hop: it searches for the founder.
    const hop2 = a.decide(request(t, "search", { step: 1, documents: [docOf(t.steps[0]!.goldDocId!)] }));
    expect(hop2.planIndex).toBe(1);
    if (hop2.outcome === "good") expect(hop2.output).toBe(t.facts.goodQueries[1]);
    const founder = world.entities.companies.find((c) => c.docId === t.steps[0]!.goldDocId)!.founder.name;
    const goodHop2 = tasksOf("founder_birth_year", 60)
      .map((x) => a.decide(request(x, "search", { documents: [docOf(x.steps[0]!.goldDocId!)] })))
      .find((d) => d.outcome === "good")!;
    expect(goodHop2.output).toMatch(/ born$/);
    expect(t.facts.goodQueries[1]).toContain(founder);
  });

  it("are deterministic, and label every output simulated with cost from the pool price", async () => {
    const spec: AgentSpec = { ...world.pool().agents[1]!, price: { inputPer1M: 3, outputPer1M: 15 } };
    const a = createSimAgent(spec, world);
    for (const t of world.tasks(12, "train")) {
      for (const mode of spec.modes) {
        const req = request(t, mode, evidence(t));
        const r1 = await a.act(req);
        const r2 = await createSimAgent(spec, createWorld()).act(req);
        expect(r2).toEqual(r1);
        expect(r1.provider).toBe("sim");
        expect(r1.simulated).toBe(true);
        expect(r1.costEstimated).toBe(false);
        expect(r1.costUsd).toBe(costOf(spec.price, r1.usage.promptTokens, r1.usage.completionTokens));
        expect(r1.latencyMs).toBeGreaterThan(0);
        if (mode === "code") expect(r1.language).toBe("python");
      }
    }
    // A more verbose agent pays for more completion tokens on the same step.
    const t = world.tasks(1, "train")[0]!;
    const big = await agent("sim-frontier-xl").act(request(t, "answer", evidence(t)));
    const small = await agent("sim-general-sm").act(request(t, "answer", evidence(t)));
    expect(big.usage.completionTokens).toBeGreaterThan(small.usage.completionTokens);
    expect(big.usage.promptTokens).toBe(small.usage.promptTokens);
  });

  it("refuse what they cannot do, with clear errors", async () => {
    const t = world.tasks(1, "train")[0]!;
    await expect(agent("sim-search-8b").act(request(t, "answer"))).rejects.toThrow(
      "agent sim-search-8b does not serve mode answer (it serves search)",
    );
    // A task that is not the world's is free text: answered (simulated), not refused (test/sim/free-text.test.ts).
    const free = await agent("sim-general-md").act({ ...request(t, "answer"), task: { id: "q42", text: "?" } });
    expect(free).toMatchObject({ simulated: true, provider: "sim", mode: "answer" });
    const spec = world.pool().agents.find((a) => a.id === "sim-coder-32b")!;
    expect(() => createSimAgent({ ...spec, modes: ["search"] }, world)).toThrow(/does not serve mode search/);
    expect(() => createSimAgent({ ...spec, sim: { seed: 9 } }, world)).toThrow(
      "agent sim-coder-32b: sim.seed 9 differs from the world's seed 7",
    );
    expect(() => createSimAgent({ ...spec, provider: "openai" }, world)).toThrow(/not sim/);
  });
});
