import { consultScopes, judge, planFor, type Judgement, type Limits, type PlanChoice } from "../../handbook/consult.js";
import type { ActiveSkill, DecisionRecord } from "../../handbook/select.js";
import type { Handbook } from "../../handbook/schema.js";
import type { OrchestratorSettings } from "./configuration.js";
import type { ConsultRecord, Consulting, OrchestratorStateType } from "./state.js";

/**
 * The orchestrator's side of the consult rule (handbook/consult.ts): what is left for a consultation, the plan a
 * fresh answer step follows, and the judgement after each answer, as routing-decision records.
 */

/**
 * Calls and USD left for the current consultation: the rule's cap, the step limit and the budget. Every answer step
 * since the consultation's first answer is one of its calls, a rejected (evasive) answer included.
 */
export function consultLimits(
  h: Handbook,
  c: Pick<Consulting, "answers">,
  s: OrchestratorSettings,
  state: Pick<OrchestratorStateType, "steps" | "costUsd">,
  pastDeadline: boolean,
): Limits {
  const made = c.answers.length > 0 ? state.steps.length - c.answers[0]!.step : 0;
  const cap = (h.consult?.maxCalls ?? 1) - made;
  const steps = s.maxSteps - state.steps.length;
  return {
    callsLeft: pastDeadline ? 0 : Math.max(0, Math.min(cap, steps)),
    ...(s.budgetUsd !== undefined ? { budgetLeftUsd: s.budgetUsd - state.costUsd } : {}),
  };
}

/**
 * The plan a fresh (not forced) answer step follows, among the allowed agents, for the step's text and skills;
 * null: the first answer is accepted.
 */
export function firstPlan(
  h: Handbook,
  text: string,
  skills: readonly ActiveSkill[],
  s: OrchestratorSettings,
  state: Pick<OrchestratorStateType, "steps" | "costUsd">,
  allowed: ReadonlySet<string>,
): PlanChoice | null {
  if (!h.consult) return null;
  const p = planFor(
    h.consult,
    consultScopes(h, text, skills),
    "answer",
    s.lambda,
    consultLimits(h, { answers: [] }, s, state, false),
    (a) => allowed.has(a),
  );
  // A plan that would not consult is one agent answering alone: the step is routed by agent selection instead.
  return p?.consults ? p : null;
}

const usd = (x: number) => `$${x.toPrecision(2)}`;

/** The decision record of a plan's first agent: the selection's record, with the plan's choice and why. */
export function firstRecord(
  record: DecisionRecord,
  p: PlanChoice,
  lambda: number,
): { record: DecisionRecord; consult: ConsultRecord } {
  const [A, B, E] = p.plan.agents;
  const rest = E !== undefined ? `${B}, then ${E}` : `${B}`;
  const reason = `consult plan of ${p.scope} at λ=${lambda}: ${A} first, then as its answer warrants ${rest}; expected accuracy ${p.accuracy.toFixed(3)} at ${usd(p.costUsd)}, value ${p.value.toFixed(3)}`;
  return {
    record: { ...record, chosen: A!, reason },
    consult: {
      action: "first",
      state: "start",
      scope: p.scope,
      plan: p.plan.agents,
      pCorrect: p.accuracy,
      value: p.value,
      expectedCostUsd: p.costUsd,
      answers: [],
      reason,
    },
  };
}

/** The judgement after the consultation's latest answer, and its record. */
export function judgeAnswers(
  h: Handbook,
  c: Consulting,
  s: OrchestratorSettings,
  state: Pick<OrchestratorStateType, "steps" | "costUsd">,
  pastDeadline: boolean,
): { judgement: Judgement; consult: ConsultRecord } {
  const judgement = judge(
    { plan: c.plan, scope: c.scope },
    c.answers,
    s.lambda,
    consultLimits(h, c, s, state, pastDeadline),
  );
  const consult: ConsultRecord = {
    action: judgement.action,
    state: judgement.state,
    scope: c.scope,
    plan: c.plan.agents,
    pCorrect: judgement.pCorrect,
    ...(judgement.action === "consult"
      ? { value: judgement.consultValue, expectedCostUsd: judgement.expectedCostUsd }
      : {}),
    answers: c.answers.map((a) => ({ agent: a.agent, key: a.key })),
    reason: judgement.reason,
  };
  return { judgement, consult };
}
