import { describe, expect, it } from "vitest";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import { checkRunInput } from "../../graphs/orchestrator/input.js";
import { createHandbook } from "../../handbook/build.js";
import type { Agent } from "../../src/providers/types.js";

/** An agent that fails the test if it is ever called: malformed input must be refused before any step. */
const never: Agent = {
  spec: {
    id: "never",
    modes: ["answer"],
    provider: "openai",
    model: "m",
    price: { inputPer1M: 1, outputPer1M: 1 },
  },
  act: async () => {
    throw new Error("an agent was called");
  },
};

describe("the orchestrator's input is checked before any step", () => {
  it.each([
    [{ task: "not an object" }, /input: \$\.task: expected an object/],
    [{ task: { id: "q1" } }, /input: \$\.task\.text: expected a string/],
    [{ task: { id: "q1", text: "" } }, /input: \$\.task\.text: must not be empty/],
    [{ task: { id: "q1", text: "x", modes: ["dance"] } }, /input: \$\.task\.modes\.0:/],
    [{ task: { id: "q1", text: "x" }, settings: { lambda: -1 } }, /input: \$\.settings\.lambda:/],
    [{ task: { id: "q1", text: "x" }, settings: { maxSteps: 1.5 } }, /input: \$\.settings\.maxSteps:/],
  ])("%j is refused naming the field", async (input, message) => {
    expect(() => checkRunInput(input)).toThrow(message);
    const h = {
      ...createHandbook(),
      agents: {
        never: {
          modes: ["answer" as const],
          competence: {},
          costs: {},
          strengths: [],
          weaknesses: [],
          routingSignals: [],
        },
      },
    };
    const graph = await createOrchestrator({ handbook: h, agents: new Map([["never", never]]) });
    await expect(graph.invoke(input as never)).rejects.toThrow(message);
  });

  it("a well-formed input passes", () => {
    expect(() =>
      checkRunInput({ task: { id: "q1", text: "What is 2 + 2?", modes: ["code"] }, settings: { lambda: 0.1 } }),
    ).not.toThrow();
    expect(() => checkRunInput({ task: { id: "q1", text: "x" }, settings: null })).not.toThrow();
  });
});
