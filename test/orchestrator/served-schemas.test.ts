import { getConfigTypeSchema, getInputTypeSchema } from "@langchain/langgraph/zod/schema";
import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_DEFAULTS } from "../../graphs/orchestrator/configuration.js";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import { checkRunInput, TaskSchema } from "../../graphs/orchestrator/input.js";
import { createHandbook } from "../../handbook/build.js";
import { MODES } from "../../src/core/modes.js";

/**
 * The schemas the server serves for the orchestrator (the same functions the dev server calls on the graph), checked
 * against the rules that run: the task and the overrides are described from the zod schema checkRunInput checks with,
 * and the context's defaults are ORCHESTRATOR_DEFAULTS.
 */

type Schema = {
  type?: string | string[];
  default?: unknown;
  enum?: unknown[];
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  $defs?: Record<string, Schema>;
};

async function served(): Promise<{ input: Schema; context: Schema }> {
  const graph = await createOrchestrator({ handbook: createHandbook(), agents: new Map() });
  return { input: getInputTypeSchema(graph) as Schema, context: getConfigTypeSchema(graph) as Schema };
}

/** Whether checkRunInput accepts a task with `task` over a valid one, and `settings`. */
function accepts(task: Record<string, unknown>, settings?: Record<string, unknown>): boolean {
  try {
    checkRunInput({ task: { id: "q1", text: "x", ...task }, settings });
    return true;
  } catch {
    return false;
  }
}

describe("the orchestrator's served schemas come from the rules that run", () => {
  it("the Task and RunOverrides definitions state the zod schema's enum, lengths and bounds", async () => {
    const { input } = await served();
    expect(input.properties!.task!.$ref).toBe("#/$defs/Task");
    expect(input.properties!.settings!.$ref).toBe("#/$defs/RunOverrides");
    const task = input.$defs!.Task!;
    const settings = input.$defs!.RunOverrides!.properties!;

    // Tool modes: MODES without "answer", each accepted by the check; "answer" refused.
    const modes = MODES.filter((m) => m !== "answer");
    expect(task.properties!.modes!.items!.enum).toEqual(modes);
    for (const m of modes) expect(accepts({ modes: [m] }), m).toBe(true);
    expect(accepts({ modes: ["answer"] })).toBe(false);

    // Non-empty id and text: the zod check's length, required.
    expect(task.required).toEqual(["id", "text"]);
    for (const k of ["id", "text"] as const) {
      expect(task.properties![k]!.minLength).toBe(TaskSchema.shape[k].minLength);
      expect(task.properties![k]!.minLength).toBe(1);
      expect(accepts({ [k]: "" })).toBe(false);
    }

    // Bounds: λ ≥ 0, budget > 0, steps an integer ≥ 0; the check agrees at each edge.
    expect(settings.lambda).toMatchObject({ type: "number", minimum: 0 });
    expect(accepts({}, { lambda: 0 })).toBe(true);
    expect(accepts({}, { lambda: -0.01 })).toBe(false);
    expect(settings.budgetUsd).toMatchObject({ type: "number", exclusiveMinimum: 0 });
    expect(accepts({}, { budgetUsd: 0.01 })).toBe(true);
    expect(accepts({}, { budgetUsd: 0 })).toBe(false);
    expect(settings.maxSteps).toMatchObject({ type: "integer", minimum: 0 });
    expect(accepts({}, { maxSteps: 0 })).toBe(true);
    expect(accepts({}, { maxSteps: -1 })).toBe(false);
    expect(accepts({}, { maxSteps: 1.5 })).toBe(false);
  });

  it("every ORCHESTRATOR_DEFAULTS key is a context field shown with that default", async () => {
    const { context } = await served();
    const fields = context.properties ?? {};
    for (const [key, value] of Object.entries(ORCHESTRATOR_DEFAULTS)) {
      expect(fields[key], key).toBeDefined();
      expect(fields[key]!.default, key).toEqual(value);
    }
    // Fields without a default there (the files, the orchestrator model) show none.
    for (const [key, f] of Object.entries(fields))
      if (!(key in ORCHESTRATOR_DEFAULTS)) expect(f.default, key).toBe(undefined);
    expect(context.required ?? []).toEqual([]);
  });
});
