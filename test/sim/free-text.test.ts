import { beforeAll, describe, expect, it } from "vitest";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import { decideFreeText } from "../../src/sim/free-text.js";
import { createWorld } from "../../src/sim/world.js";
import { buildSimFixture, fixtureOrchestrator, type SimFixture } from "../orchestrator/fixture.js";

let fx: SimFixture;
beforeAll(async () => {
  fx = await buildSimFixture();
}, 60_000);

describe("sim agents on free text (a task that is not the world's)", () => {
  it("decide deterministically, by the agent's competence in the mode, from the text alone", () => {
    const world = createWorld({ seed: 7 });
    const strong = world.agents.find((a) => a.modes.includes("code"))!;
    const state = { mode: "code" as const, step: 0, documents: [], codeResults: [], attempts: [] };
    const a = decideFreeText(7, strong, { id: "q", text: "Compute 12 * 7." }, state);
    const b = decideFreeText(7, strong, { id: "q", text: "Compute 12 * 7." }, state);
    expect(a).toEqual(b);
    expect(a.output).toMatch(/^print\((12 \* 7|0)\)\n$/);
    const answer = decideFreeText(
      7,
      strong,
      { id: "q", text: "Compute 12 * 7." },
      {
        ...state,
        mode: "answer",
        codeResults: [{ language: "python", program: "print(12 * 7)", stdout: "84\n", stderr: "", exitCode: 0 }],
      },
    );
    expect(["84", "I cannot tell from the information given."]).toContain(answer.output);
    expect(answer.evidence).toBe(true);
  });

  it("run through the orchestrator graph to an answer, every step simulated, instead of failing", async () => {
    const graph = await fixtureOrchestrator(fx);
    const s = (await graph.invoke({ task: { id: "my-q", text: "Compute 12 * 7." } })) as OrchestratorStateType;
    expect(s.stopReason).not.toBe("agent_error");
    expect(s.failures).toEqual([]);
    expect(s.steps.length).toBeGreaterThan(0);
    for (const step of s.steps) expect(step.simulated).toBe(true);
    expect(s.finalAnswer).not.toBeNull();
  });
});
