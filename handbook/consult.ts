import { skillIdentifier } from "./identify.js";
import type { ActiveSkill } from "./select.js";
import type { Beta, ConsultPlan, ConsultRule, Handbook, Skill } from "./schema.js";

/**
 * When to trust an answer, and whom to consult next: the consult/accept rule of a handbook, as pure functions.
 *
 * A plan of a skill names up to three agents: the first answers; the second may be consulted and the two answers
 * compared (agree or disagree); on that state the escalation agent may be consulted. Every decision is the one of
 * highest expected value, accuracy − λ·cost, looking ahead over the rest of the plan with the plan's
 * P(correct | state) posteriors: consult when the expected gain of one more consultation is worth more than λ times
 * its expected cost (and the calls and budget left allow it); accept otherwise. The orchestrator graph calls
 * `judge` after each answer step; replay evaluation runs the same functions over recorded answers
 * (`consultTrajectory`), so both take the same decisions.
 */

export const betaMean = (b: Beta): number => b.alpha / (b.alpha + b.beta);

/** λ per USD of a plan: λ prices a call's cost divided by the costliest agent's, as agent selection does. */
const perUsd = (plan: ConsultPlan, lambda: number) => (plan.costScale > 0 ? lambda / plan.costScale : 0);

/** What is left for the rest of a step's answer: calls (the step limit and the rule's cap) and USD (the budget). */
export interface Limits {
  callsLeft: number;
  budgetLeftUsd?: number;
}

/** An answer so far: the agent and its normalised answer key (null: no answer could be read). */
export interface GivenAnswer {
  agent: string;
  key: string | null;
}

export type ConsultState = "alone" | "agree" | "disagree" | "escalated";

export type Judgement =
  | {
      action: "accept";
      /** Index into the answers of the accepted one. */
      answer: number;
      state: ConsultState;
      /** P(the accepted answer is correct | state, skill). */
      pCorrect: number;
      reason: string;
    }
  | {
      action: "consult";
      agent: string;
      state: ConsultState;
      /** P(correct) of accepting now, and the value (accuracy − λ·further cost) of consulting. */
      pCorrect: number;
      consultValue: number;
      expectedCostUsd: number;
      reason: string;
    };

const fits = (left: Limits, usd: number) =>
  left.callsLeft >= 1 && (left.budgetLeftUsd === undefined || usd <= left.budgetLeftUsd + 1e-12);
const after = (left: Limits, usd: number): Limits => ({
  callsLeft: left.callsLeft - 1,
  ...(left.budgetLeftUsd !== undefined ? { budgetLeftUsd: left.budgetLeftUsd - usd } : {}),
});
const usd = (x: number) => `$${x.toPrecision(2)}`;
/** λ times a cost, as priced: "λ·$0.0051/$0.0051" (the cost over the plan's costliest agent). */
const priced = (plan: ConsultPlan, cost: number) => `λ·${usd(cost)}/${usd(plan.costScale)}`;
const p3 = (x: number) => x.toFixed(3);

interface Branch {
  /** Expected accuracy − λ·(further cost) from this state on. */
  value: number;
  accuracy: number;
  costUsd: number;
  escalate: boolean;
}

/** After the first two answers: accept (the shared answer, or the stronger one's) or escalate, whichever is worth more. */
function pairBranch(plan: ConsultPlan, agreed: boolean, lam: number, left: Limits): Branch {
  const stay = betaMean(agreed ? plan.agree : plan.disagree);
  const esc = agreed ? plan.escalateAgree : plan.escalateDisagree;
  const cE = plan.costs[2] ?? 0;
  if (esc && plan.agents.length === 3 && fits(left, cE)) {
    const pe = betaMean(esc);
    if (pe - lam * cE > stay) return { value: pe - lam * cE, accuracy: pe, costUsd: cE, escalate: true };
  }
  return { value: stay, accuracy: stay, costUsd: 0, escalate: false };
}

/** After the first answer: accept it, or consult the second agent (and go on from the pair's state). */
function aloneBranch(
  plan: ConsultPlan,
  lam: number,
  left: Limits,
): Branch & { agreeBranch?: Branch; disagreeBranch?: Branch } {
  const pA = betaMean(plan.alone);
  const cB = plan.costs[1] ?? 0;
  if (fits(left, cB)) {
    const rest = after(left, cB);
    const r = betaMean(plan.agreeRate);
    const ag = pairBranch(plan, true, lam, rest);
    const dis = pairBranch(plan, false, lam, rest);
    const value = r * ag.value + (1 - r) * dis.value - lam * cB;
    if (value > pA)
      return {
        value,
        accuracy: r * ag.accuracy + (1 - r) * dis.accuracy,
        costUsd: cB + r * ag.costUsd + (1 - r) * dis.costUsd,
        escalate: true,
        agreeBranch: ag,
        disagreeBranch: dis,
      };
  }
  return { value: pA, accuracy: pA, costUsd: 0, escalate: false };
}

/** A plan's expected figures at λ from its first call, within the limits (null: the first call does not fit). */
export function planValue(
  plan: ConsultPlan,
  lambda: number,
  left: Limits,
): { value: number; accuracy: number; costUsd: number; consults: boolean } | null {
  const cA = plan.costs[0] ?? 0;
  if (!fits(left, cA)) return null;
  const lam = perUsd(plan, lambda);
  const a = aloneBranch(plan, lam, after(left, cA));
  return { value: a.value - lam * cA, accuracy: a.accuracy, costUsd: cA + a.costUsd, consults: a.escalate };
}

const scopeHandbooks = new WeakMap<ConsultRule, Handbook>();

/**
 * The scopes of the handbook's consult rule a step's text belongs to: with the rule's own scopes, the nearest of
 * them (as skills are identified); without, the step's own skills. Empty: the mode's plans serve.
 */
export function consultScopes(h: Handbook, text: string, stepSkills: readonly ActiveSkill[]): ActiveSkill[] {
  const rule = h.consult;
  if (!rule?.scopes) return [...stepSkills];
  let scoped = scopeHandbooks.get(rule);
  if (!scoped) {
    const skills: Record<string, Skill> = {};
    for (const [id, sc] of Object.entries(rule.scopes))
      skills[id] = {
        id,
        name: sc.name,
        description: "",
        indicators: [],
        examples: [],
        mode: "answer",
        provenance: { discoveredFrom: [], history: [] },
        centroid: sc.centroid,
      };
    scoped = { ...h, skills, memory: undefined } as Handbook;
    scopeHandbooks.set(rule, scoped);
  }
  return skillIdentifier(scoped).identify(text, "answer");
}

export interface PlanChoice {
  plan: ConsultPlan;
  /** The skill (or bare mode id) whose plans it comes from. */
  scope: string;
  value: number;
  accuracy: number;
  costUsd: number;
  /** True when the plan consults a second agent (from its first answer) at this λ and within these limits. */
  consults: boolean;
}

/**
 * The plan a step is answered with: the plans of its most weighted skill that has any (else the mode's), the one of
 * highest value at λ among those whose agents are all allowed and whose first call fits the limits. Null when the
 * handbook has no rule, consulting is off (maxCalls 1), or no plan fits. A choice that does not `consult` is one
 * agent answering alone: the orchestrator (and replay) then route the step by agent selection, as without a rule.
 */
export function planFor(
  rule: ConsultRule | undefined,
  skills: readonly ActiveSkill[],
  mode: string,
  lambda: number,
  left: Limits,
  allow: (agent: string) => boolean = () => true,
): PlanChoice | null {
  if (!rule || rule.maxCalls < 2) return null;
  const capped: Limits = { ...left, callsLeft: Math.min(left.callsLeft, rule.maxCalls) };
  const scopes = [...skills].sort((a, b) => b.weight - a.weight).map((s) => s.id);
  for (const scope of [...scopes, mode]) {
    const plans = rule.plans[scope];
    if (!plans) continue;
    let best: PlanChoice | null = null;
    for (const plan of plans) {
      if (!plan.agents.every(allow)) continue;
      const v = planValue(plan, lambda, capped);
      if (v && (!best || v.value > best.value))
        best = { plan, scope, value: v.value, accuracy: v.accuracy, costUsd: v.costUsd, consults: v.consults };
    }
    if (best) return best;
  }
  return null;
}

/** The weighted vote of the answers (weights: the plan's log-odds; an agent outside the plan weighs 0). */
export function vote(plan: ConsultPlan, answers: readonly GivenAnswer[]): number {
  const weightOf = (agent: string) => plan.weights[plan.agents.indexOf(agent)] ?? 0;
  const totals = new Map<string, number>();
  for (const a of answers) if (a.key !== null) totals.set(a.key, (totals.get(a.key) ?? 0) + weightOf(a.agent));
  let bestKey: string | null = null;
  let best = -Infinity;
  for (const [k, w] of totals) if (w > best) [bestKey, best] = [k, w];
  if (bestKey === null) return answers.length - 1;
  // The answer of the heaviest agent that gave the winning key.
  let idx = -1;
  for (let i = 0; i < answers.length; i++)
    if (answers[i]!.key === bestKey && (idx < 0 || weightOf(answers[i]!.agent) > weightOf(answers[idx]!.agent)))
      idx = i;
  return idx;
}

const agreeing = (a: GivenAnswer, b: GivenAnswer) => a.key !== null && a.key === b.key;

/**
 * The decision after the answers so far (in the order given; the first is the plan's first agent): accept one of
 * them, or consult the plan's next agent. `left` is what remains after the calls already made.
 */
export function judge(
  choice: Pick<PlanChoice, "plan" | "scope">,
  answers: readonly GivenAnswer[],
  lambda: number,
  left: Limits,
): Judgement {
  const { plan, scope } = choice;
  const [A, B, E] = plan.agents;
  const lam = perUsd(plan, lambda);
  if (answers.length === 0) throw new Error("judge: no answer to judge");
  const asked = new Set(answers.map((a) => a.agent));
  const limitNote = (agent: string, cost: number) =>
    left.callsLeft < 1
      ? "no call left"
      : left.budgetLeftUsd !== undefined && cost > left.budgetLeftUsd
        ? `${agent}'s expected ${usd(cost)} exceeds the ${usd(Math.max(0, left.budgetLeftUsd))} left`
        : "";
  if (answers.length === 1) {
    const pA = betaMean(plan.alone);
    const a = aloneBranch(plan, lam, left);
    const cB = plan.costs[1] ?? 0;
    if (a.escalate && !asked.has(B!))
      return {
        action: "consult",
        agent: B!,
        state: "alone",
        pCorrect: pA,
        consultValue: a.value,
        expectedCostUsd: cB,
        reason: `consult ${B}: P(correct | ${A} alone, ${scope}) = ${p3(pA)} < ${p3(a.value)}, the value of comparing with ${B} at λ=${lambda} (expected accuracy ${p3(a.accuracy)}, ${usd(cB)} more)`,
      };
    const why =
      limitNote(B!, cB) || `consulting ${B} is worth ${p3(aloneValueOfConsulting(plan, lam, left))} at λ=${lambda}`;
    return {
      action: "accept",
      answer: 0,
      state: "alone",
      pCorrect: pA,
      reason: `accept ${answers[0]!.agent}'s answer: P(correct | ${A} alone, ${scope}) = ${p3(pA)}; ${why}`,
    };
  }
  if (answers.length === 2) {
    const agreed = agreeing(answers[0]!, answers[1]!);
    const state: ConsultState = agreed ? "agree" : "disagree";
    const br = pairBranch(plan, agreed, lam, left);
    const stay = betaMean(agreed ? plan.agree : plan.disagree);
    const cE = plan.costs[2] ?? 0;
    const what = agreed ? `${A} and ${B} agree` : `${A} and ${B} disagree`;
    if (br.escalate && E !== undefined && !asked.has(E))
      return {
        action: "consult",
        agent: E,
        state,
        pCorrect: stay,
        consultValue: br.value,
        expectedCostUsd: cE,
        reason: `escalate to ${E}: P(correct | ${what}, ${scope}) = ${p3(stay)} < ${p3(br.accuracy)} − ${priced(plan, cE)} = ${p3(br.value)} at λ=${lambda}`,
      };
    const pick = agreed ? 0 : vote(plan, answers.slice(0, 2));
    const esc = agreed ? plan.escalateAgree : plan.escalateDisagree;
    const why =
      E === undefined || !esc
        ? "no escalation agent"
        : limitNote(E, cE) ||
          `escalating to ${E} is worth ${p3(betaMean(esc))} − ${priced(plan, cE)} = ${p3(betaMean(esc) - lam * cE)} at λ=${lambda}`;
    return {
      action: "accept",
      answer: pick,
      state,
      pCorrect: stay,
      reason: `accept ${answers[pick]!.agent}'s answer: P(correct | ${what}, ${scope}) = ${p3(stay)}; ${why}`,
    };
  }
  const pick = plan.final === "escalation" ? answers.length - 1 : vote(plan, answers);
  const escalatedFrom = agreeing(answers[0]!, answers[1]!) ? plan.escalateAgree : plan.escalateDisagree;
  const pC = escalatedFrom ? betaMean(escalatedFrom) : betaMean(plan.alone);
  const how =
    plan.final === "escalation"
      ? `${answers[pick]!.agent}'s answer (the escalation's)`
      : `the competence-weighted vote (${answers[pick]!.agent}'s answer)`;
  return {
    action: "accept",
    answer: pick,
    state: "escalated",
    pCorrect: pC,
    reason: `accept ${how}: P(correct | escalated, ${scope}) = ${p3(pC)}; the plan has no further agent`,
  };
}

/** The value of consulting the second agent from the first answer, whether or not it is taken (for explanations). */
function aloneValueOfConsulting(plan: ConsultPlan, lam: number, left: Limits): number {
  const cB = plan.costs[1] ?? 0;
  const rest = after(left, cB);
  const r = betaMean(plan.agreeRate);
  return r * pairBranch(plan, true, lam, rest).value + (1 - r) * pairBranch(plan, false, lam, rest).value - lam * cB;
}

export interface ConsultRun {
  answers: GivenAnswer[];
  judgements: Judgement[];
  /** Index into answers of the accepted one. */
  accepted: number;
}

/**
 * A whole step answered by a plan: ask the first agent, then judge and consult until an answer is accepted. `ask`
 * pays an agent's call and returns its answer key; the budget is tracked with the plan's expected costs.
 */
export function consultTrajectory(
  choice: Pick<PlanChoice, "plan" | "scope">,
  ask: (agent: string) => string | null,
  lambda: number,
  left: Limits,
): ConsultRun {
  const answers: GivenAnswer[] = [];
  const judgements: Judgement[] = [];
  const first = choice.plan.agents[0]!;
  answers.push({ agent: first, key: ask(first) });
  let rest = after(left, choice.plan.costs[0] ?? 0);
  for (;;) {
    const j = judge(choice, answers, lambda, rest);
    judgements.push(j);
    if (j.action === "accept") return { answers, judgements, accepted: j.answer };
    answers.push({ agent: j.agent, key: ask(j.agent) });
    rest = after(rest, j.expectedCostUsd);
  }
}

/** One line of a plan, for prompts and reports: its agents, each state's P(correct) and the agents' costs. */
export function describePlan(plan: ConsultPlan): string {
  const [A, , E] = plan.agents;
  const parts = [
    `${plan.agents.join(" → ")}`,
    `P(correct | ${A} alone) ${p3(betaMean(plan.alone))}`,
    `agree ${(100 * betaMean(plan.agreeRate)).toFixed(0)}% → P ${p3(betaMean(plan.agree))}`,
    `disagree → P ${p3(betaMean(plan.disagree))}`,
  ];
  if (E !== undefined && plan.escalateAgree && plan.escalateDisagree)
    parts.push(
      `escalated to ${E} (${plan.final === "vote" ? "weighted vote" : `${E}'s answer`}) → P ${p3(betaMean(plan.escalateAgree))} if agreed, ${p3(betaMean(plan.escalateDisagree))} if not`,
    );
  parts.push(`cost ${plan.costs.map(usd).join(" / ")}; n=${plan.labelled}`);
  return parts.join("; ");
}

/** The rule in a few lines: what it decides, and per scope its plans (best first at some λ). */
export function describeRule(rule: ConsultRule, plansPerScope = 2): string[] {
  const out = [
    `Consult rule: after an answer, accept it, or consult the plan's next agent (at most ${rule.maxCalls} calls) when the expected gain in P(correct) is worth more than λ times its cost; P(correct | state) are Beta posteriors shrunk (${rule.strength} pseudo-observations) toward each agent's competence.`,
  ];
  if (rule.chosenBy) out.push(`Granularity: ${rule.chosenBy}.`);
  for (const [scope, plans] of Object.entries(rule.plans)) {
    const name = rule.scopes?.[scope]?.name;
    for (const p of plans.slice(0, plansPerScope))
      out.push(`- ${scope}${name ? ` (${name})` : ""}: ${describePlan(p)}`);
  }
  return out;
}
