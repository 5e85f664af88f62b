import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "../support/dev-server.js";
import { ORCHESTRATOR_DEFAULTS } from "../../graphs/orchestrator/configuration.js";
import { MODES } from "../../src/core/modes.js";

/**
 * The schemas Studio shows for the orchestrator, fetched from the real `langgraphjs dev` server while the machine is
 * busy (busy-loop processes on every core): they come from the graph's zod schemas at run time, not from a type-check
 * of the graph module, so they are served (HTTP 200) with required fields, defaults and a description on every field.
 */

type Schema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  $ref?: string;
  $defs?: Record<string, Schema>;
  definitions?: Record<string, Schema>;
};

let dev: DevServer | undefined;
const busy: ChildProcess[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) busy.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  dev = await startDevServer();
}, DEV_SERVER_STARTUP_MS + 30_000);

afterAll(async () => {
  for (const p of busy) p.kill("SIGKILL");
  await dev?.stop();
}, 15_000);

/** A property's schema, its `$ref` resolved against the root's definitions. */
function resolved(root: Schema, s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace(/^#\/(\$defs|definitions)\//, "");
  return root.$defs?.[name] ?? root.definitions?.[name] ?? {};
}

describe("the orchestrator's schemas, served while the machine is loaded", () => {
  it("serves input, state and context schemas with required fields, defaults and descriptions", async () => {
    const [assistant] = await dev!.client.assistants.search({ graphId: "orchestrator" });
    expect(assistant).toBeDefined();
    const res = await fetch(`${dev!.url}/assistants/${assistant!.assistant_id}/schemas`);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as {
      input_schema: Schema;
      state_schema: Schema;
      output_schema: Schema;
      context_schema: Schema;
    };

    // Input: the task (its id and text required) and the run's overrides, every field described.
    const input = body.input_schema;
    expect(Object.keys(input.properties ?? {}).sort()).toEqual(["settings", "task"]);
    const task = resolved(input, input.properties!.task!);
    expect(task.description).toBeTruthy();
    expect(task.required).toEqual(expect.arrayContaining(["id", "text"]));
    expect(Object.keys(task.properties ?? {})).toEqual(expect.arrayContaining(["id", "text", "family", "modes"]));
    for (const [k, f] of Object.entries(task.properties ?? {})) expect(f.description, `task.${k}`).toBeTruthy();
    expect(input.$defs?.Task ?? input.definitions?.Task).toBeDefined();
    expect(task.properties!.modes!.items?.enum).toEqual(MODES.filter((m) => m !== "answer"));
    const settings = resolved(input, input.properties!.settings!);
    expect(Object.keys(settings.properties ?? {}).sort()).toEqual(["budgetUsd", "lambda", "maxSteps"]);

    // Context: every field described; defaults shown.
    const context = body.context_schema;
    const fields = context.properties ?? {};
    expect(Object.keys(fields)).toEqual(
      expect.arrayContaining(["handbook", "pool", "lambda", "budgetUsd", "strategy", "maxSteps", "exploreRate"]),
    );
    for (const [k, f] of Object.entries(fields)) expect(f.description, `context.${k}`).toBeTruthy();
    expect(fields.lambda!.default).toBe(0.2);
    expect(fields.maxSteps!.default).toBe(8);
    expect(fields.exploreRate!.default).toBe(0);
    expect(fields.strategy!.default).toBe("tradeoff");
    for (const [k, v] of Object.entries(ORCHESTRATOR_DEFAULTS)) expect(fields[k]?.default, `context.${k}`).toEqual(v);
    expect(context.required ?? []).toEqual([]);

    // State and output: more than the input, every channel described.
    for (const state of [body.state_schema, body.output_schema]) {
      const channels = state.properties ?? {};
      expect(Object.keys(channels)).toEqual(
        expect.arrayContaining(["task", "steps", "decisions", "costUsd", "finalAnswer", "stopReason"]),
      );
      for (const [k, f] of Object.entries(channels)) expect(resolved(state, f).description, `state.${k}`).toBeTruthy();
    }
    const steps = body.state_schema.properties!.steps!;
    expect(steps.items?.required).toEqual(expect.arrayContaining(["index", "mode", "agent"]));
  }, 120_000);
});
