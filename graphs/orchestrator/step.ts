import { selectAgent, type ActiveSkill, type DecisionRecord } from "../../handbook/select.js";
import { estimatorOf } from "../../handbook/estimators.js";
import { localEvidence } from "../../handbook/neighbours.js";
import type { Handbook } from "../../handbook/schema.js";
import type { Mode } from "../../src/core/modes.js";
import { uniform } from "../../src/core/random.js";
import type { OrchestratorSettings } from "./configuration.js";
import { firstPlan, firstRecord, judgeAnswers } from "./consult.js";
import { matchText, offlineChoice, type PolicyChoice, type PolicyInput } from "./policy.js";
import type {
  AgentFailure,
  Consulting,
  Dispatch,
  OrchestratorStateType,
  PolicyKind,
  RoutingDecision,
  StopReason,
} from "./state.js";

/**
 * One orchestration step as pure functions (no LangGraph): the orchestrate node reads state, calls these, and
 * turns their result into a Command; benchmarks call the same functions.
 *
 * - `openStep`: before the policy — a consultation's answer to judge, a limit that ends the run, a step whose mode
 *   and skills are already fixed (a re-route, the one forced answer), or the policy to ask;
 * - `decideStep`: given the step's mode and skills, the agent: selection (competence − λ·cost) among the agents
 *   that serve the mode, within the budget, the consult plan of an answer step, and the decision record;
 * - `judgeStep`: after an answer of a consultation, accept it or dispatch the plan's next agent.
 */

/** What a step is decided over: the serving handbook, the pool's agents (id and modes) and the run's settings. */
export interface StepWorld {
  handbook: Handbook;
  agents: readonly { id: string; modes: readonly Mode[] }[];
  /** The run's settings, λ the one it is served at. */
  settings: OrchestratorSettings;
  /** The learned selection's candidate the run is served with, when there is one. */
  candidate?: string;
  /** The published handbook version served (`NAME@v3`), when the handbook came from a store. */
  handbookVersion?: string;
}

export type StepState = Pick<
  OrchestratorStateType,
  "task" | "steps" | "documents" | "codeResults" | "attempts" | "failures" | "consulting" | "costUsd" | "dispatch"
>;

/** The mode and skills of a step, who chose them, and what the orchestrator model's call cost. */
export type StepChoice = PolicyChoice & { policy: PolicyKind; policyError?: string; costUsd: number };

export type Opening =
  | { kind: "judge"; pastDeadline: boolean }
  | { kind: "stop"; reason: StopReason }
  | { kind: "given"; choice: StepChoice }
  | { kind: "ask"; input: PolicyInput; forced: false };

export type StepOutcome =
  | { kind: "stop"; reason: StopReason; costUsd: number }
  /** No agent is left to call within a consultation: the answers in hand are judged. */
  | { kind: "judge" }
  | {
      kind: "dispatch";
      decision: RoutingDecision;
      dispatch: Dispatch;
      consulting: Consulting | null;
      costUsd: number;
      approve: boolean;
    };

export type Verdict =
  | { kind: "accept"; decision: RoutingDecision; answer: string; consulting: Consulting }
  | { kind: "consult"; decision: RoutingDecision; dispatch: Dispatch; consulting: Consulting };

/** The handbook's agent selection for a step, among the pool's agents serving the mode (and `allow`, when given). */
export function selectFor(
  w: StepWorld,
  mode: Mode,
  skills: readonly ActiveSkill[],
  step: number,
  text: string,
  allow?: readonly string[],
  explore?: string,
): DecisionRecord {
  const s = w.settings;
  const serving = w.agents.filter((a) => a.modes.includes(mode)).map((a) => a.id);
  const known = skills.filter((sk) => w.handbook.skills[sk.id]);
  const local = localEvidence(w.handbook, text, mode, known);
  return selectAgent(w.handbook, {
    mode,
    skills: known,
    ...(local ? { local } : {}),
    strategy: s.strategy,
    lambda: s.lambda,
    // An exploration step scores on a Thompson sample seeded by its own key (the task's and step's).
    estimator: explore !== undefined ? estimatorOf("thompson", explore) : estimatorOf(s.estimator, `${s.seed}:${step}`),
    allow: allow ? serving.filter((a) => allow.includes(a)) : serving,
    seed: `${s.seed}:${step}`,
  });
}

const policyInput = (state: StepState, available: Mode[]): PolicyInput => ({
  task: state.task,
  steps: state.steps,
  documents: state.documents,
  codeResults: state.codeResults,
  attempts: state.attempts,
  available,
});

/** The calls of this step that failed for good (its re-route excludes their agents). */
const failuresHere = (state: StepState) =>
  (state.failures ?? []).filter((f) => f.step === state.steps.length && f.role === "step" && f.mode !== null);

/** Before the policy: judge, stop, a fixed choice (re-route or the forced answer), or ask the policy. */
export function openStep(w: StepWorld, state: StepState, available: Mode[], now: number, deadlineAt: number): Opening {
  const s = w.settings;
  const step = state.steps.length;
  // An answer of a consultation waits: accept it (or the vote) or consult the plan's next agent. Limits (steps,
  // budget, deadline) only ever make it accept, so a run with an answer in hand ends with it.
  if (state.consulting?.awaiting) return { kind: "judge", pastDeadline: now >= deadlineAt };
  if (now >= deadlineAt) return { kind: "stop", reason: "deadline" };
  // Without asking, a spent budget ends the run; with asking, every step past it waits for a human at `approve`.
  if (s.budgetUsd !== undefined && state.costUsd >= s.budgetUsd && !s.ask) return { kind: "stop", reason: "budget" };
  // Past the limit means the one forced answer was made and failed (unusable output): no second one.
  if (step > s.maxSteps) return { kind: "stop", reason: "step_limit" };
  const forced = step >= s.maxSteps;
  if (forced && !available.includes("answer")) return { kind: "stop", reason: "step_limit" };
  const input = policyInput(state, available);
  // A step whose agent failed for good is re-routed: same mode and skills, the failed agents excluded.
  const failed = failuresHere(state).at(-1);
  if (failed)
    return {
      kind: "given",
      choice: {
        mode: failed.mode!,
        reason: `re-routed: ${failed.agent} failed (${failed.error} after ${failed.attempts} attempt(s))`,
        skills: failed.skills,
        policy: "re-route",
        costUsd: 0,
      },
    };
  if (forced)
    return {
      kind: "given",
      choice: {
        mode: "answer",
        reason: `step limit ${s.maxSteps} reached: one forced answer`,
        skills: offlineChoice({ ...input, available: ["answer"] }, w.handbook).skills,
        policy: "limit",
        costUsd: 0,
      },
    };
  return { kind: "ask", input, forced: false };
}

/**
 * The seed of this step's exploration when it explores: with probability `exploreRate`, by a draw keyed by the run's
 * seed, the task and the step, so that a replayed run explores at the same steps and different tasks at different ones.
 */
export function explorationOf(w: StepWorld, state: Pick<StepState, "task" | "steps">): string | undefined {
  const rate = w.settings.exploreRate;
  if (!(rate > 0)) return undefined;
  const key = `${w.settings.seed}:${state.task.id}:${state.steps.length}`;
  return uniform("explore", key) < rate ? key : undefined;
}

const expectedCostOf = (d: DecisionRecord, agent: string) => d.candidates.find((c) => c.agent === agent)?.cost ?? 0;

/** The agent of a step whose mode and skills are chosen: selection within the budget, the consult plan, the record. */
export function decideStep(w: StepWorld, state: StepState, choice: StepChoice, available: Mode[]): StepOutcome {
  const s = w.settings;
  const step = state.steps.length;
  const forced = step >= s.maxSteps;
  const failedHere = failuresHere(state);
  const failed: AgentFailure | undefined = failedHere.at(-1);
  // Within a consultation, an agent that already answered is not asked again (its answer is in hand); with no
  // other agent left, the answers in hand are judged with no call left.
  const inConsultation = failed && state.consulting && state.consulting.answers.length > 0 ? state.consulting : null;
  const answered = inConsultation ? new Set(inConsultation.answers.map((a) => a.agent)) : null;
  const allow = failed
    ? w.agents.map((a) => a.id).filter((a) => !failedHere.some((f) => f.agent === a) && !answered?.has(a))
    : undefined;
  const spent = state.costUsd + choice.costUsd;
  const stop = (reason: StopReason): StepOutcome => ({ kind: "stop", reason, costUsd: choice.costUsd });

  const text = matchText(policyInput(state, available));
  // A forced answer is not a moment to explore; a re-routed step explores as its first choice did.
  const explore = forced ? undefined : explorationOf(w, state);
  let record = selectFor(w, choice.mode, choice.skills, step, text, allow, explore);
  // A consult plan may name any agent serving the step: the budget limits it through the plan's own costs
  // (planFor, judge), not by the candidates a single call over budget narrows the selection to below.
  const unnarrowed = record;
  let agent = record.chosen;
  const overBudget = () =>
    agent !== null && s.budgetUsd !== undefined && spent + expectedCostOf(record, agent) > s.budgetUsd;
  if (overBudget() && !s.ask) {
    const fitting = record.candidates.filter((c) => (c.cost ?? 0) <= s.budgetUsd! - spent).map((c) => c.agent);
    if (fitting.length === 0 && answered) return { kind: "judge" };
    if (fitting.length === 0) return stop(failed ? "agent_error" : "budget");
    record = selectFor(w, choice.mode, choice.skills, step, text, fitting, explore);
    agent = record.chosen;
  }
  if (!agent && answered) return { kind: "judge" };
  if (!agent) return stop(failed ? "agent_error" : "no_agent");

  // An answer step under a consult rule: the plan's first agent answers, and its answer is judged. A step re-routed
  // within a consultation keeps it. An exploration step keeps its sampled agent (the plan would replace it).
  let consulting: Consulting | null = inConsultation;
  let consultRecord: RoutingDecision["consult"];
  if (!inConsultation && explore === undefined && choice.mode === "answer" && !forced && w.handbook.consult) {
    const plan = firstPlan(
      w.handbook,
      text,
      unnarrowed.skills,
      s,
      { steps: state.steps, costUsd: spent },
      new Set(unnarrowed.candidates.map((c) => c.agent)),
    );
    if (plan) {
      const first = firstRecord(unnarrowed, plan, s.lambda);
      record = first.record;
      agent = record.chosen!;
      consultRecord = first.consult;
      consulting = { plan: plan.plan, scope: plan.scope, answers: [], awaiting: false };
    }
  }

  const decision: RoutingDecision = {
    step,
    mode: choice.mode,
    policy: choice.policy,
    ...(choice.policyError !== undefined ? { policyError: choice.policyError } : {}),
    modeReason: choice.reason,
    record,
    expectedCostUsd: expectedCostOf(record, agent),
    forced,
    ...(explore !== undefined ? { explore: true } : {}),
    ...(choice.costUsd > 0 ? { policyCostUsd: choice.costUsd } : {}),
    ...(w.candidate ? { candidate: w.candidate } : {}),
    ...(w.handbookVersion ? { handbookVersion: w.handbookVersion } : {}),
    ...(failed ? { reroute: { from: failed.agent, error: failed.error, attempts: failed.attempts } } : {}),
    ...(consultRecord ? { consult: consultRecord } : {}),
  };
  const dispatch: Dispatch = {
    mode: choice.mode,
    agent,
    skills: choice.skills,
    forced: failed ? failed.forced : forced,
    ...(consulting ? { consult: true } : {}),
  };
  // Without asking, a plan's first agent is dispatched when the plan's expected cost fits (planFor checked it).
  const approve = overBudget() && (s.ask || !consultRecord);
  return { kind: "dispatch", decision, dispatch, consulting, costUsd: choice.costUsd, approve };
}

/** After an answer of a consultation: accept one (end) or dispatch the plan's next agent on the same skills. */
export function judgeStep(w: StepWorld, state: StepState, c: Consulting, pastDeadline: boolean): Verdict {
  const s = w.settings;
  const { judgement, consult } = judgeAnswers(w.handbook, c, s, state, pastDeadline);
  const skills = state.dispatch?.skills ?? [];
  const step = state.steps.length;
  const base = {
    step,
    mode: "answer" as const,
    policy: "consult" as const,
    modeReason: consult.reason,
    forced: false,
    consult,
    ...(w.candidate ? { candidate: w.candidate } : {}),
    ...(w.handbookVersion ? { handbookVersion: w.handbookVersion } : {}),
  };
  const done = { ...c, awaiting: false };
  if (judgement.action === "accept" || !w.agents.some((a) => a.id === judgement.agent)) {
    const accepted = c.answers[judgement.action === "accept" ? judgement.answer : c.answers.length - 1]!;
    const record: DecisionRecord = {
      mode: "answer",
      strategy: s.strategy,
      estimator: "mean",
      params: {},
      lambda: s.lambda,
      skills,
      candidates: [],
      chosen: accepted.agent,
      reason: consult.reason,
    };
    return {
      kind: "accept",
      decision: { ...base, record, expectedCostUsd: 0 },
      answer: accepted.text,
      consulting: done,
    };
  }
  const text = matchText(policyInput(state, ["answer"]));
  const selected = selectFor(w, "answer", skills, step, text, [judgement.agent]);
  const record: DecisionRecord = { ...selected, chosen: judgement.agent, reason: judgement.reason };
  return {
    kind: "consult",
    decision: { ...base, record, expectedCostUsd: judgement.expectedCostUsd },
    dispatch: { mode: "answer", agent: judgement.agent, skills, forced: false, consult: true },
    consulting: done,
  };
}
