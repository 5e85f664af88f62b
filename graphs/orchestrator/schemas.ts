/**
 * The JSON Schemas the LangGraph server serves for the orchestrator (`GET /assistants/:id/schemas`, shown by Studio):
 * what each field of the input, the state and the context is, with its name, description, required fields and
 * default. They are given at run time, as zod schemas with JSON Schema metadata, so the server reads them from the
 * graph instead of type-checking the graph module (which takes a minute on a small machine, and can time out).
 *
 * Each field accepts any value at run time (the schema only describes it): the input is checked by checkRunInput
 * (one error line naming the field) and the context by resolveSettings, as before; values in use (Infinity included)
 * are never rejected or stripped when a node updates the state. The input's task and overrides are described from
 * input.ts's zod schemas (jsonOf), the ones checkRunInput checks with, so their rules (non-empty strings, the tool
 * modes, the bounds) are stated once.
 */
import { z } from "zod";
import { MODES } from "../../src/core/modes.js";
import { RunOverridesSchema, TaskSchema } from "./input.js";

/** A JSON Schema fragment (the subset written here). */
export type Json = Record<string, unknown>;

/**
 * A field described by `json` (shown in the served schema) that accepts any value at run time: its type `T` is the
 * TypeScript one. An `id` names it in `$defs`.
 */
export function described<T>(json: Json): z.ZodType<T> {
  return z.unknown().meta(json) as unknown as z.ZodType<T>;
}

/**
 * The JSON Schema of a zod schema named by the `id` in its metadata, as a described field's `json`: what a caller may
 * give (zod's input view: its types, checks, descriptions and required fields), with that `id`.
 */
export function jsonOf(schema: z.ZodType): Json {
  const id = z.globalRegistry.get(schema)?.id;
  const { $defs = {} } = z.toJSONSchema(schema, { io: "input" }) as { $defs?: Record<string, Json> };
  const json = id === undefined ? undefined : $defs[id];
  if (json === undefined || Object.keys($defs).length !== 1)
    throw new Error(`jsonOf: expected a schema with an id and no other named part, got $defs ${Object.keys($defs)}`);
  return { id, ...json };
}

/** A named object (its `id` names it in `$defs`): its fields, and those of them that are required. */
function named(id: string, title: string, description: string, properties?: Json, required?: string[]): Json {
  return { id, title, type: "object", description, ...(properties && { properties }), ...(required && { required }) };
}

const str = (description: string): Json => ({ type: "string", description });
const num = (description: string): Json => ({ type: "number", description });
const int = (description: string): Json => ({ type: "integer", description });
const bool = (description: string): Json => ({ type: "boolean", description });
const obj = (description: string): Json => ({ type: "object", description });
const oneOf = (values: readonly string[], description: string): Json => ({
  type: "string",
  enum: [...values],
  description,
});
const mode = (description: string): Json => oneOf(MODES, description);
const SKILLS: Json = {
  type: "array",
  description: "The skills the step was dispatched for, with their weights.",
  items: {
    type: "object",
    properties: { id: str("Skill id."), weight: num("Its weight in the step.") },
    required: ["id", "weight"],
  },
};

/** The task (input and state `task`): input.ts's TaskSchema, whose checks checkRunInput applies. */
export const TASK_JSON: Json = jsonOf(TaskSchema);

/** The run's overrides (input and state `settings`): input.ts's RunOverridesSchema. */
export const SETTINGS_JSON: Json = jsonOf(RunOverridesSchema);

export const STEP_JSON: Json = named(
  "Step",
  "Step",
  "One step taken: which mode, which agent, what it was asked and what came back.",
  {
    index: int("Step index, from 0."),
    mode: mode("The step's mode."),
    agent: str("Pool agent id that took the step."),
    input: str("What the agent wrote: a search query, a program, or an answer."),
    observation: str("What the tool or the check returned, as shown in the trajectory."),
    costUsd: num("Cost of the step in USD."),
    costEstimated: bool("True when the cost is an estimate."),
    promptTokens: int("Prompt tokens of the agent's call."),
    completionTokens: int("Completion tokens of the agent's call."),
    latencyMs: num("Latency of the agent's call in ms."),
    simulated: bool("True for a simulated agent."),
    error: str("Set when this step failed and the loop went on."),
  },
  ["index", "mode", "agent", "input", "observation", "costUsd", "costEstimated", "latencyMs", "simulated"],
);

export const DECISION_JSON: Json = named(
  "RoutingDecision",
  "Routing decision",
  "A routing decision: the mode, the agent and why (also streamed as a custom `decision` event).",
  {
    step: int("The step it routed."),
    mode: mode("The chosen mode."),
    policy: oneOf(["offline", "llm", "re-route", "limit", "consult"], "What chose the mode and skills."),
    policyError: str("Set when the LLM policy's reply was unusable: what was wrong with it."),
    modeReason: str("Why this mode was chosen."),
    record: obj("The handbook's decision record (candidates, scores, chosen agent)."),
    expectedCostUsd: num("The chosen agent's expected cost of this step in USD."),
    forced: bool("True for the one forced answer at the step or budget limit."),
    explore: bool("Set when the agent was chosen on a Thompson sample (exploration)."),
    human: oneOf(["approved", "redirected"], "Set when a human approved or redirected."),
    policyCostUsd: num("What the orchestrator model's own call cost for this decision."),
    candidate: str("The learned selection's candidate the step was routed with."),
    handbookVersion: str("The published handbook version that made this decision (NAME@vN)."),
    consult: obj("The consult rule's decision (accept, consult or first)."),
    reroute: obj("Set when this decision re-routes a step whose agent failed for good."),
  },
  ["step", "mode", "policy", "modeReason", "record", "expectedCostUsd", "forced"],
);

export const FAILURE_JSON: Json = named(
  "AgentFailure",
  "Agent failure",
  "A call that failed for good (after every attempt its provider allows).",
  {
    step: int("The step it failed at."),
    role: oneOf(["step", "policy"], "The step's agent, or the orchestrator model."),
    mode: { type: ["string", "null"], description: "The step's mode (null for the orchestrator model)." },
    agent: str("The agent that failed."),
    error: str("What failed, in a few words."),
    detail: str("The server's error body or what went wrong, when known."),
    attempts: int("HTTP attempts made."),
    deadline: bool("True when the run's deadline ended the call."),
    skills: SKILLS,
    forced: bool("True for the forced answer."),
  },
  ["step", "role", "mode", "agent", "error", "attempts", "deadline", "skills", "forced"],
);

export const DISPATCH_JSON: Json = named(
  "Dispatch",
  "Dispatch",
  "The dispatch the orchestrator node chose, consumed by the node it routes to.",
  {
    mode: mode("The mode dispatched."),
    agent: str("The agent dispatched."),
    skills: SKILLS,
    forced: bool("True for the one forced answer."),
    consult: bool("True when the answer is judged by the consult rule."),
  },
  ["mode", "agent", "skills", "forced"],
);

export const DOCUMENT_JSON: Json = named(
  "Document",
  "Document",
  "A passage a search step found.",
  { id: str("Passage id."), title: str("Its title."), text: str("Its text.") },
  ["id"],
);

export const CODE_RESULT_JSON: Json = named(
  "CodeResult",
  "Code result",
  "What a code step's program did in the sandbox.",
);

export const CONSULTING_JSON: Json = named(
  "Consulting",
  "Consulting",
  "The consultation of the current answer: the plan it follows and the answers so far.",
  {
    plan: obj("The consult plan."),
    scope: str("The skill (or mode) the plan is the handbook's for."),
    answers: { type: "array", items: { type: "object" }, description: "The answers given so far." },
    awaiting: bool("True when the last answer waits for the accept-or-consult decision."),
  },
  ["plan", "scope", "answers", "awaiting"],
);

export const PENDING_JSON: Json = named(
  "PendingApproval",
  "Pending approval",
  "A decision waiting for a human at the approve node.",
  {
    decision: obj("The routing decision waiting for approval."),
    dispatch: obj("The dispatch it would make."),
    budgetUsd: num("The budget the step would exceed."),
  },
  ["decision", "dispatch", "budgetUsd"],
);

/** `json`, or null. */
export const orNull = (json: Json, description: string): Json => ({ anyOf: [json, { type: "null" }], description });
/** An array of `json`. */
export const arrayOf = (json: Json, description: string): Json => ({ type: "array", items: json, description });
/** A reference to a named definition, without its `id` (which would name a second copy). */
export const refTo = (json: Json): Json => {
  const { id: _id, title: _title, ...rest } = json;
  return rest;
};
