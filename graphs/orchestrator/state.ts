import { registry } from "@langchain/langgraph/zod";
import { z } from "zod/v4";
import type { Mode } from "../../src/core/modes.js";
import type { CodeResult, Document } from "../../src/core/types.js";
import type { ConsultPlan, DecisionRecord } from "../../handbook/index.js";
import type { ConsultState } from "../../handbook/consult.js";
import {
  arrayOf,
  CODE_RESULT_JSON,
  CONSULTING_JSON,
  DECISION_JSON,
  described,
  DISPATCH_JSON,
  DOCUMENT_JSON,
  FAILURE_JSON,
  type Json,
  orNull,
  PENDING_JSON,
  refTo,
  SETTINGS_JSON,
  STEP_JSON,
  TASK_JSON,
} from "./schemas.js";

/** The task a run solves. `references` are never shown to agents; they let a caller score the answer. */
export interface Task {
  id: string;
  text: string;
  family?: string;
  references?: string[];
  /** The tool modes the task needs, in order (e.g. `["search"]`): the offline policy runs them, then answers. */
  modes?: Mode[];
}

/** One step taken: which mode, which agent, what it was asked and what came back. */
export interface Step {
  index: number;
  mode: Mode;
  agent: string;
  /** What the agent wrote: a search query, a program, or an answer. */
  input: string;
  /** What the tool or the check returned, as text shown in the trajectory. */
  observation: string;
  costUsd: number;
  costEstimated: boolean;
  /** Tokens of the agent's call, as its provider reported them (estimated when `costEstimated`). */
  promptTokens?: number;
  completionTokens?: number;
  latencyMs: number;
  simulated: boolean;
  /** Set when this step failed (agent error, structured-output error) and the loop went on. */
  error?: string;
}

/**
 * Why a run stopped. `agent_error`: an agent (or the orchestrator model) failed for good and no other agent was left
 * to re-route its step to (`failures` names it, the error and the attempts). `deadline`: the run's deadline passed.
 */
export type StopReason = (typeof STOP_REASONS)[number];

/** Every stop reason (StopReason), as the served state schema lists them. */
export const STOP_REASONS = [
  "answered",
  "forced_answer",
  "step_limit",
  "budget",
  "stopped_by_user",
  "no_agent",
  "agent_error",
  "deadline",
] as const;

/** A call that failed for good (after every attempt its provider allows); the step is re-routed or the run ends. */
export interface AgentFailure {
  /** The step it failed at (the re-routed step keeps this index). */
  step: number;
  /** `step`: the agent dispatched for the step; `policy`: the orchestrator model choosing the step's mode. */
  role: "step" | "policy";
  /** The step's mode (null for the orchestrator model, which failed before a mode was chosen). */
  mode: Mode | null;
  agent: string;
  /** What failed, in a few words: `HTTP 500`, `timed out`, `network error`, `unusable response`, or the error. */
  error: string;
  /** The server's error body or what went wrong, when known. */
  detail?: string;
  /** HTTP attempts made, the failing one included. */
  attempts: number;
  /** True when the run's deadline, not the agent, ended the call. */
  deadline: boolean;
  /** The dispatch that failed, so the step can be re-routed with the same skills. */
  skills: { id: string; weight: number }[];
  forced: boolean;
}

/** The dispatch the orchestrator node chose, consumed by the sub-agent node it routes to. */
export interface Dispatch {
  mode: Mode;
  agent: string;
  skills: { id: string; weight: number }[];
  /** True for the one forced answer at the step or budget limit: it is accepted whatever it says. */
  forced: boolean;
  /** True when the answer is judged (accept or consult) by the orchestrator instead of accepted outright. */
  consult?: boolean;
}

/** An answer given within a consultation, with its normalised key (null: no answer could be read). */
export interface ConsultAnswer {
  step: number;
  agent: string;
  text: string;
  key: string | null;
}

/** The consultation of the current answer: the plan it follows and the answers so far. */
export interface Consulting {
  plan: ConsultPlan;
  /** The skill (or mode) the plan is the handbook's for. */
  scope: string;
  answers: ConsultAnswer[];
  /** True when the last answer waits for the orchestrator's accept-or-consult decision. */
  awaiting: boolean;
}

/** The accept-or-consult decision, as recorded in a routing decision. */
export interface ConsultRecord {
  action: "accept" | "consult" | "first";
  state: ConsultState | "start";
  scope: string;
  /** The plan's agents: first, second, escalation. */
  plan: string[];
  /** P(the answer accepted now is correct | state, skill); for `first`, the plan's expected accuracy. */
  pCorrect: number;
  /** Consult: the value of consulting; first: the plan's value at λ. */
  value?: number;
  expectedCostUsd?: number;
  /** The answers so far (agent and normalised key). */
  answers: { agent: string; key: string | null }[];
  reason: string;
}

/** Per-run overrides a caller may pass with the task (the input's `settings`; they override the context). */
export interface RunOverrides {
  lambda?: number;
  budgetUsd?: number;
  maxSteps?: number;
}

const append = <T>(a: T[], b: T | T[]): T[] => a.concat(b);

/** Reducer for documents: append, keeping the first copy of a passage id. */
export function mergeDocuments(a: Document[], b: Document[]): Document[] {
  const seen = new Set(a.map((d) => d.id));
  return a.concat(
    b.filter((d) => {
      if (seen.has(d.id)) return false;
      seen.add(d.id);
      return true;
    }),
  );
}

const TASK = () => described<Task>(TASK_JSON);
const SETTINGS = () =>
  described<RunOverrides | undefined>({
    ...SETTINGS_JSON,
    description: `${SETTINGS_JSON.description} Optional.`,
  }).optional();

/**
 * A channel `json` describes, reduced by `fn` from `init` (registered last, as the LangGraph zod registry asks). Any
 * value is accepted: the schema is what the server serves, the reducer what LangGraph runs.
 */
function reduced<V, U = V>(json: Json, fn: (a: V, b: U) => V, init: () => V) {
  return (described<V>({ ...json, default: init() }) as unknown as z.ZodType<V, U>).register(registry, {
    reducer: { fn },
    default: init,
  });
}

/** An appended channel (a node returns one item or several): `json` describes its items' array. */
const appended = <T>(json: Json) => reduced<T[], T | T[]>(json, append, () => []);

/** Reducer of a channel an update replaces. */
const replace = <V>(_a: V, b: V): V => b;

/** A channel a node's update replaces, null at first. */
const latest = <V>(json: Json) => reduced<V | null>(json, replace, () => null);

/** The narrow input: what a caller (or a Studio form) gives. */
export const OrchestratorInput = z
  .object({ task: TASK(), settings: SETTINGS() })
  .meta({ id: "OrchestratorInput", title: "Orchestrator input", description: "A task, and per-run overrides." });

/** The full state of one trajectory. Plain JSON only, so checkpoints round-trip. */
export const OrchestratorState = z
  .object({
    task: TASK(),
    settings: SETTINGS(),
    steps: appended<Step>(arrayOf(refTo(STEP_JSON), "The steps taken, in order.")),
    documents: reduced<Document[]>(
      arrayOf(refTo(DOCUMENT_JSON), "Passages the search steps found (the first copy of each id)."),
      mergeDocuments,
      () => [],
    ),
    codeResults: appended<CodeResult>(arrayOf(refTo(CODE_RESULT_JSON), "What the code steps' programs did, in order.")),
    /** Answers that were rejected (empty or evasive). */
    attempts: appended<string>(arrayOf({ type: "string" }, "Answers that were rejected (empty or evasive).")),
    /** Calls that failed for good, in order (a re-routed step has a second decision for the same step). */
    failures: appended<AgentFailure>(arrayOf(refTo(FAILURE_JSON), "Calls that failed for good, in order.")),
    /** Every routing decision, in order: the handbook's decision records plus what the policy inferred. */
    decisions: appended<RoutingDecision>(arrayOf(refTo(DECISION_JSON), "Every routing decision, in order.")),
    costUsd: reduced<number>(
      { type: "number", description: "What the run has cost so far in USD (steps and the orchestrator model)." },
      (a, b) => a + b,
      () => 0,
    ),
    dispatch: latest<Dispatch>(
      orNull(refTo(DISPATCH_JSON), "The dispatch the orchestrator node chose for the next step."),
    ),
    /** The consultation of the current answer (absent: the handbook has no consult rule, or no answer step yet). */
    consulting: latest<Consulting>(
      orNull(refTo(CONSULTING_JSON), "The consultation of the current answer (null: none)."),
    ),
    /** A decision waiting for a human at the `approve` node (asking is on and the step would exceed the budget). */
    pending: latest<{ decision: RoutingDecision; dispatch: Dispatch; budgetUsd: number }>(
      orNull(refTo(PENDING_JSON), "A decision waiting for a human at the approve node (null: none)."),
    ),
    finalAnswer: latest<string>({
      type: ["string", "null"],
      description: "The accepted answer (null until the run answers).",
    }),
    stopReason: latest<StopReason>({
      type: ["string", "null"],
      enum: [...STOP_REASONS, null],
      description: "Why the run stopped (null while it runs).",
    }),
  })
  .meta({ id: "OrchestratorState", title: "Orchestrator state", description: "The full state of one trajectory." });

export type OrchestratorStateType = z.infer<typeof OrchestratorState>;
/** What a node may return: any channel, appended channels also a single item. */
export type OrchestratorUpdate = Partial<{
  [K in keyof OrchestratorStateType]: OrchestratorStateType[K] extends (infer I)[] ? I | I[] : OrchestratorStateType[K];
}>;

/** What chose a step's mode and skills (RoutingDecision.policy). */
export type PolicyKind = "offline" | "llm" | "re-route" | "limit" | "consult";

/** A routing decision as stored in state and streamed as a `custom` event. */
export interface RoutingDecision {
  step: number;
  mode: Mode;
  /**
   * What chose the mode and skills: a policy (`offline`, or `llm`: the orchestrator model), or none: `re-route` (a
   * failed agent's step), `limit` (the one forced answer), `consult` (the consult loop's accept or next agent).
   */
  policy: PolicyKind;
  /** Set when the LLM policy's reply was unusable and the offline policy chose instead: what was wrong with it. */
  policyError?: string;
  /** Why this mode was chosen. */
  modeReason: string;
  record: DecisionRecord;
  /** The chosen agent's expected cost of this step in USD (its mean cost in the mode). */
  expectedCostUsd: number;
  forced: boolean;
  /** Set when the agent was chosen on a Thompson sample (the context's exploreRate), not the configured estimator. */
  explore?: boolean;
  /** Set when a human redirected or approved this step at an interrupt. */
  human?: "approved" | "redirected";
  /** What the orchestrator model's own call cost for this decision (the LLM policy; included in `costUsd`). */
  policyCostUsd?: number;
  /** The learned selection's candidate the step was routed with (chosen for the run's λ or budget). */
  candidate?: string;
  /** The published handbook version that made this decision (`NAME@v3`), when the handbook came from a store. */
  handbookVersion?: string;
  /** Set for answers judged by the handbook's consult rule: the first agent of a plan, a consult, or an accept. */
  consult?: ConsultRecord;
  /** Set when this decision re-routes a step whose agent failed for good: the failed agent is excluded. */
  reroute?: { from: string; error: string; attempts: number };
}
