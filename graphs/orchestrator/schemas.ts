/**
 * The JSON Schemas the LangGraph server serves for the orchestrator (`GET /assistants/:id/schemas`, shown by Studio):
 * what each field of the input, the state and the context is, with its name, description, required fields and
 * default. They are given at run time, as zod schemas with JSON Schema metadata, so the server reads them from the
 * graph instead of type-checking the graph module (which takes a minute on a small machine, and can time out).
 *
 * Each field accepts any value at run time (the schema only describes it): the input is checked by checkRunInput
 * (one error line naming the field) and the context by resolveSettings, as before; values in use (Infinity included)
 * are never rejected or stripped when a node updates the state.
 */
import { z } from "zod";

/** A JSON Schema fragment (the subset written here). */
export type Json = Record<string, unknown>;

/**
 * A field described by `json` (shown in the served schema) that accepts any value at run time: its type `T` is the
 * TypeScript one. An `id` names it in `$defs`.
 */
export function described<T>(json: Json): z.ZodType<T> {
  return z.unknown().meta(json) as unknown as z.ZodType<T>;
}

const str = (description: string): Json => ({ type: "string", description });
const num = (description: string): Json => ({ type: "number", description });
const int = (description: string): Json => ({ type: "integer", description });
const bool = (description: string): Json => ({ type: "boolean", description });
const strings = (description: string): Json => ({ type: "array", items: { type: "string" }, description });
const MODE: Json = { type: "string", enum: ["search", "code", "answer"] };
const SKILLS: Json = {
  type: "array",
  description: "The skills the step was dispatched for, with their weights.",
  items: {
    type: "object",
    properties: { id: str("Skill id."), weight: num("Its weight in the step.") },
    required: ["id", "weight"],
  },
};

/** The task (input and state `task`). */
export const TASK_JSON: Json = {
  id: "Task",
  title: "Task",
  type: "object",
  description: "The task the run solves.",
  properties: {
    id: { ...str("Task id (non-empty)."), minLength: 1 },
    text: { ...str("The question or instruction given to the agents (non-empty)."), minLength: 1 },
    family: str("Task family, when known (e.g. the benchmark's category)."),
    references: strings("Reference answers: never shown to agents; they let a caller score the answer."),
    modes: {
      type: "array",
      items: { type: "string", enum: ["search", "code"] },
      description: 'Tool modes the task needs, in order (e.g. ["search"]): the offline policy runs them, then answers.',
    },
  },
  required: ["id", "text"],
};

/** The run's overrides (input and state `settings`). */
export const SETTINGS_JSON: Json = {
  id: "RunOverrides",
  title: "Run overrides",
  type: "object",
  description: "Per-run overrides of the context (λ, budget, step limit).",
  properties: {
    lambda: { ...num("Price of accuracy λ for this run (≥ 0)."), minimum: 0 },
    budgetUsd: { ...num("Cost budget of this run in USD (> 0)."), exclusiveMinimum: 0 },
    maxSteps: { ...int("Steps before the one forced answer, for this run (≥ 0)."), minimum: 0 },
  },
};

export const STEP_JSON: Json = {
  id: "Step",
  title: "Step",
  type: "object",
  description: "One step taken: which mode, which agent, what it was asked and what came back.",
  properties: {
    index: int("Step index, from 0."),
    mode: { ...MODE, description: "The step's mode." },
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
  required: ["index", "mode", "agent", "input", "observation", "costUsd", "costEstimated", "latencyMs", "simulated"],
};

export const DECISION_JSON: Json = {
  id: "RoutingDecision",
  title: "Routing decision",
  type: "object",
  description: "A routing decision: the mode, the agent and why (also streamed as a custom `decision` event).",
  properties: {
    step: int("The step it routed."),
    mode: { ...MODE, description: "The chosen mode." },
    policy: {
      type: "string",
      enum: ["offline", "llm", "re-route", "limit", "consult"],
      description: "What chose the mode and skills.",
    },
    policyError: str("Set when the LLM policy's reply was unusable: what was wrong with it."),
    modeReason: str("Why this mode was chosen."),
    record: { type: "object", description: "The handbook's decision record (candidates, scores, chosen agent)." },
    expectedCostUsd: num("The chosen agent's expected cost of this step in USD."),
    forced: bool("True for the one forced answer at the step or budget limit."),
    explore: bool("Set when the agent was chosen on a Thompson sample (exploration)."),
    human: {
      type: "string",
      enum: ["approved", "redirected"],
      description: "Set when a human approved or redirected.",
    },
    policyCostUsd: num("What the orchestrator model's own call cost for this decision."),
    candidate: str("The learned selection's candidate the step was routed with."),
    handbookVersion: str("The published handbook version that made this decision (NAME@vN)."),
    consult: { type: "object", description: "The consult rule's decision (accept, consult or first)." },
    reroute: { type: "object", description: "Set when this decision re-routes a step whose agent failed for good." },
  },
  required: ["step", "mode", "policy", "modeReason", "record", "expectedCostUsd", "forced"],
};

export const FAILURE_JSON: Json = {
  id: "AgentFailure",
  title: "Agent failure",
  type: "object",
  description: "A call that failed for good (after every attempt its provider allows).",
  properties: {
    step: int("The step it failed at."),
    role: { type: "string", enum: ["step", "policy"], description: "The step's agent, or the orchestrator model." },
    mode: { type: ["string", "null"], description: "The step's mode (null for the orchestrator model)." },
    agent: str("The agent that failed."),
    error: str("What failed, in a few words."),
    detail: str("The server's error body or what went wrong, when known."),
    attempts: int("HTTP attempts made."),
    deadline: bool("True when the run's deadline ended the call."),
    skills: SKILLS,
    forced: bool("True for the forced answer."),
  },
  required: ["step", "role", "mode", "agent", "error", "attempts", "deadline", "skills", "forced"],
};

export const DISPATCH_JSON: Json = {
  id: "Dispatch",
  title: "Dispatch",
  type: "object",
  description: "The dispatch the orchestrator node chose, consumed by the node it routes to.",
  properties: {
    mode: { ...MODE, description: "The mode dispatched." },
    agent: str("The agent dispatched."),
    skills: SKILLS,
    forced: bool("True for the one forced answer."),
    consult: bool("True when the answer is judged by the consult rule."),
  },
  required: ["mode", "agent", "skills", "forced"],
};

export const DOCUMENT_JSON: Json = {
  id: "Document",
  title: "Document",
  type: "object",
  description: "A passage a search step found.",
  properties: { id: str("Passage id."), title: str("Its title."), text: str("Its text.") },
  required: ["id"],
};

export const CODE_RESULT_JSON: Json = {
  id: "CodeResult",
  title: "Code result",
  type: "object",
  description: "What a code step's program did in the sandbox.",
};

export const CONSULTING_JSON: Json = {
  id: "Consulting",
  title: "Consulting",
  type: "object",
  description: "The consultation of the current answer: the plan it follows and the answers so far.",
  properties: {
    plan: { type: "object", description: "The consult plan." },
    scope: str("The skill (or mode) the plan is the handbook's for."),
    answers: { type: "array", items: { type: "object" }, description: "The answers given so far." },
    awaiting: bool("True when the last answer waits for the accept-or-consult decision."),
  },
  required: ["plan", "scope", "answers", "awaiting"],
};

export const PENDING_JSON: Json = {
  id: "PendingApproval",
  title: "Pending approval",
  type: "object",
  description: "A decision waiting for a human at the approve node.",
  properties: {
    decision: { type: "object", description: "The routing decision waiting for approval." },
    dispatch: { type: "object", description: "The dispatch it would make." },
    budgetUsd: num("The budget the step would exceed."),
  },
  required: ["decision", "dispatch", "budgetUsd"],
};

/** `json`, or null. */
export const orNull = (json: Json, description: string): Json => ({ anyOf: [json, { type: "null" }], description });
/** An array of `json`. */
export const arrayOf = (json: Json, description: string): Json => ({ type: "array", items: json, description });
/** A reference to a named definition, without its `id` (which would name a second copy). */
export const refTo = (json: Json): Json => {
  const { id: _id, title: _title, ...rest } = json;
  return rest;
};
