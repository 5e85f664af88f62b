import { betaMean, consultTrajectory, planFor, planValue } from "../../handbook/consult.js";
import type { Beta, ConsultPlan, ConsultRule, Handbook } from "../../handbook/schema.js";
import { answerKey, answerKind } from "../../tools/answer/key.js";
import { identifyAll } from "./identify.js";
import type { QueryItem } from "./queries.js";

/**
 * Learning when to trust an answer (no RL): per skill, the consult plans of a fixed shape — a first agent, a second
 * one to compare with, an escalation agent — with their state-conditional competence, fitted on labelled queries
 * whose recorded responses show what each agent answered.
 *
 * For each ordered triple of agents, on the skill's labelled queries where all three have a record:
 * - P(first correct) alone, from the same states: P(agree)·P(correct | agree) + P(disagree)·P(first correct | disagree)
 *   (so that a consultation which cannot change the answer is worth nothing);
 * - P(the first two agree), and P(correct | agree) (the shared answer) and P(correct | disagree) (the answer of the
 *   one with the higher competence);
 * - P(correct | agree, escalated) and P(correct | disagree, escalated): the final answer after asking the third
 *   agent — the competence-weighted vote of the three or the third's own answer, whichever did better;
 * each a Beta posterior whose prior is `strength` pseudo-observations at the unconditional competence of the agent
 * whose answer it accepts, so that a state seen a few times is not over-trusted. Competence on a skill is itself
 * shrunk toward the agent's competence on the whole mode (the same strength).
 *
 * The plans kept per skill are the best few at each λ of a grid spanning the skill's cost scale (which one serves
 * is decided at run time, at the run's λ and limits). The bare mode id holds the plans fitted on every labelled
 * query: the fallback for skills with few labels.
 */

export interface ConsultOutcome {
  score: number;
  costUsd: number;
  /** The normalised answer (tools/answer/key.ts); null when none could be read. */
  key: string | null;
}

export interface ConsultPoint {
  /** The skill the query was identified with (its most weighted one). */
  skill: string;
  outcomes: ReadonlyMap<string, ConsultOutcome>;
}

export interface FitConsultOptions {
  /** The mode id: the key of the fallback plans. */
  mode: string;
  /** Pseudo-observations of every shrinkage (default 8). */
  strength?: number;
  /** At most this many answer calls per step (default 3; 2: no escalation agent). */
  maxCalls?: number;
  /** Plans kept per skill (default 6). */
  keep?: number;
  /** A skill with fewer labelled queries gets no plans of its own (the mode's serve it; default 10). */
  minLabelled?: number;
}

export const DEFAULT_CONSULT_STRENGTH = 8;

/** λ grid the plans are shortlisted at (λ prices cost / the costliest agent's, as in agent selection). */
const LAMBDAS = [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1];

/**
 * Vote weight of an agent of competence p: its log-odds, floored just above 0 so that an agent no better than a coin
 * never counts against the answer it gives (two weak agents agreeing still outvote neither).
 */
const weightOf = (p: number) => {
  const q = Math.min(0.98, Math.max(0.02, p));
  return Math.max(0.01, Math.log(q / (1 - q)));
};
const beta = (mass: number, center: number, successes: number, trials: number): Beta => ({
  alpha: mass * center + successes + 1e-9,
  beta: mass * (1 - center) + (trials - successes) + 1e-9,
});

interface Column {
  score: Float64Array;
  cost: Float64Array;
  key: Int32Array;
  has: Uint8Array;
}

/** The points as dense columns per agent; answer keys interned (-1: none read). */
function columns(points: readonly ConsultPoint[], agents: readonly string[]): Map<string, Column> {
  const intern = new Map<string, number>();
  const out = new Map<string, Column>();
  for (const a of agents) {
    const c: Column = {
      score: new Float64Array(points.length),
      cost: new Float64Array(points.length),
      key: new Int32Array(points.length).fill(-1),
      has: new Uint8Array(points.length),
    };
    points.forEach((p, i) => {
      const o = p.outcomes.get(a);
      if (!o) return;
      c.has[i] = 1;
      c.score[i] = o.score;
      c.cost[i] = o.costUsd;
      if (o.key !== null) {
        let k = intern.get(o.key);
        if (k === undefined) intern.set(o.key, (k = intern.size));
        c.key[i] = k;
      }
    });
    out.set(a, c);
  }
  return out;
}

/** An agent's records among the points `idx`: how many, their summed score and summed cost. */
function tally(c: Column, idx: readonly number[]): { n: number; s: number; usd: number } {
  let n = 0;
  let s = 0;
  let usd = 0;
  for (const i of idx)
    if (c.has[i]) {
      n++;
      s += c.score[i]!;
      usd += c.cost[i]!;
    }
  return { n, s, usd };
}

function fitScope(
  idx: readonly number[],
  cols: Map<string, Column>,
  agents: readonly string[],
  modeCompetence: Map<string, number>,
  m: number,
  maxCalls: number,
  costScale: number,
): ConsultPlan[] {
  // Per agent on the scope: competence shrunk to the mode's, mean cost.
  const comp = new Map<string, number>();
  const cost = new Map<string, number>();
  for (const a of agents) {
    const { n, s, usd } = tally(cols.get(a)!, idx);
    if (n === 0) continue;
    comp.set(a, (s + m * (modeCompetence.get(a) ?? 0.5)) / (n + m));
    cost.set(a, usd / n);
  }
  const present = agents.filter((a) => comp.has(a));
  const plans: ConsultPlan[] = [];
  const third = maxCalls >= 3 && present.length >= 3;
  for (const A of present)
    for (const B of present) {
      if (B === A) continue;
      for (const E of third ? present : [undefined]) {
        if (E === A || E === B) continue;
        plans.push(fitPlan(idx, cols, A, B, E, comp, cost, costScale, m));
      }
    }
  return plans;
}

function fitPlan(
  idx: readonly number[],
  cols: Map<string, Column>,
  A: string,
  B: string,
  E: string | undefined,
  comp: Map<string, number>,
  cost: Map<string, number>,
  costScale: number,
  m: number,
): ConsultPlan {
  const a = cols.get(A)!;
  const b = cols.get(B)!;
  const e = E !== undefined ? cols.get(E)! : undefined;
  const pA = comp.get(A)!;
  const pB = comp.get(B)!;
  const wA = weightOf(pA);
  const wB = weightOf(pB);
  const wE = E !== undefined ? weightOf(comp.get(E)!) : 0;
  const strongerIsA = wA >= wB;
  let n = 0;
  let nAgree = 0;
  let sAgree = 0;
  let sDisagree = 0;
  // The first agent's own score when they disagree: what accepting it alone gets there.
  let sFirstDisagree = 0;
  // Escalated finals: [vote, escalation's own] per state.
  const esc = { agreeVote: 0, agreeOwn: 0, disVote: 0, disOwn: 0 };
  for (const i of idx) {
    if (!a.has[i] || !b.has[i] || (e && !e.has[i])) continue;
    n++;
    const ka = a.key[i]!;
    const kb = b.key[i]!;
    const agreed = ka >= 0 && ka === kb;
    if (agreed) {
      nAgree++;
      sAgree += a.score[i]!;
    } else {
      // As the vote of two takes it at run time: the stronger one's answer, unless only the other's could be read.
      const takeA = ka >= 0 && (kb < 0 || strongerIsA);
      sDisagree += takeA ? a.score[i]! : b.score[i]!;
      sFirstDisagree += a.score[i]!;
    }
    if (e) {
      const ke = e.key[i]!;
      // The weighted vote of the three answers; ties and unread keys as in handbook/consult.ts `vote`.
      const totals = new Map<number, number>();
      if (ka >= 0) totals.set(ka, (totals.get(ka) ?? 0) + wA);
      if (kb >= 0) totals.set(kb, (totals.get(kb) ?? 0) + wB);
      if (ke >= 0) totals.set(ke, (totals.get(ke) ?? 0) + wE);
      let win = -1;
      let best = -Infinity;
      for (const [k, w] of totals) if (w > best) [win, best] = [k, w];
      let voted: number;
      if (win < 0) voted = e.score[i]!;
      else {
        // The heaviest agent that gave the winning key.
        const givers: [number, number][] = [];
        if (ka === win) givers.push([wA, a.score[i]!]);
        if (kb === win) givers.push([wB, b.score[i]!]);
        if (ke === win) givers.push([wE, e.score[i]!]);
        voted = givers.reduce((x, y) => (y[0] > x[0] ? y : x))[1];
      }
      if (agreed) {
        esc.agreeVote += voted;
        esc.agreeOwn += e.score[i]!;
      } else {
        esc.disVote += voted;
        esc.disOwn += e.score[i]!;
      }
    }
  }
  const nDis = n - nAgree;
  const pS = strongerIsA ? pA : pB;
  const agreeRate = beta(2, 0.5, nAgree, n);
  const agree = beta(m, pA, sAgree, nAgree);
  const disagree = beta(m, pS, sDisagree, nDis);
  // Alone, from the same states: P(agree)·P(correct | agree) + P(disagree)·P(first correct | disagree), so that a
  // consultation that cannot change the answer is worth exactly nothing (each state shrunk the same way).
  const r = betaMean(agreeRate);
  const firstDisagree = betaMean(beta(m, pA, sFirstDisagree, nDis));
  const aloneMean = r * betaMean(agree) + (1 - r) * firstDisagree;
  const plan: ConsultPlan = {
    agents: E !== undefined ? [A, B, E] : [A, B],
    weights: E !== undefined ? [wA, wB, wE] : [wA, wB],
    costs: [cost.get(A)!, cost.get(B)!, ...(E !== undefined ? [cost.get(E)!] : [])],
    costScale,
    final: "vote",
    alone: beta(n + 2 * m, aloneMean, 0, 0),
    agreeRate,
    agree,
    disagree,
    labelled: n,
  };
  if (E !== undefined) {
    const pE = comp.get(E)!;
    const own = esc.agreeOwn + esc.disOwn > esc.agreeVote + esc.disVote;
    plan.final = own ? "escalation" : "vote";
    plan.escalateAgree = beta(m, pE, own ? esc.agreeOwn : esc.agreeVote, nAgree);
    plan.escalateDisagree = beta(m, pE, own ? esc.disOwn : esc.disVote, nDis);
  }
  return plan;
}

/** The plans worth keeping: the best `keep` at each λ of the grid, in order of first appearance. */
function shortlist(plans: readonly ConsultPlan[], keep: number, maxCalls: number): ConsultPlan[] {
  const kept = new Set<ConsultPlan>();
  const left = { callsLeft: maxCalls };
  const perLambda = Math.max(1, Math.ceil(keep / 3));
  for (const lambda of LAMBDAS) {
    const ranked = plans
      .map((p) => ({ p, v: planValue(p, lambda, left)?.value ?? -Infinity }))
      .sort((x, y) => y.v - x.v)
      .slice(0, perLambda);
    for (const r of ranked) kept.add(r.p);
  }
  return [...kept];
}

/**
 * Fit the consult rule of one mode from its labelled points (each with the outcomes of the agents that answered
 * it). Undefined when fewer than two agents answered or there are no points.
 */
export function fitConsultRule(points: readonly ConsultPoint[], opts: FitConsultOptions): ConsultRule | undefined {
  const m = opts.strength ?? DEFAULT_CONSULT_STRENGTH;
  const maxCalls = opts.maxCalls ?? 3;
  const keep = opts.keep ?? 6;
  const minLabelled = opts.minLabelled ?? 10;
  if (points.length === 0 || maxCalls < 2) return undefined;
  const agents = [...new Set(points.flatMap((p) => [...p.outcomes.keys()]))].sort();
  if (agents.length < 2) return undefined;
  const cols = columns(points, agents);
  const all = points.map((_, i) => i);
  const modeCompetence = new Map<string, number>();
  // One price of a USD for every scope: λ over the costliest agent's mean cost on the whole mode. (A scale per
  // scope would make a dollar cheaper where the strong agent is dearer; one marginal price is what maximises
  // accuracy for the money overall.)
  let costScale = 0;
  for (const a of agents) {
    const { n, s, usd } = tally(cols.get(a)!, all);
    modeCompetence.set(a, (s + 1) / (n + 2));
    if (n > 0) costScale = Math.max(costScale, usd / n);
  }
  const plans: Record<string, ConsultPlan[]> = {};
  const modePlans = shortlist(fitScope(all, cols, agents, modeCompetence, m, maxCalls, costScale), keep, maxCalls);
  if (modePlans.length > 0) plans[opts.mode] = modePlans;
  const bySkill = new Map<string, number[]>();
  points.forEach((p, i) => {
    const l = bySkill.get(p.skill) ?? [];
    l.push(i);
    bySkill.set(p.skill, l);
  });
  for (const [skill, idx] of [...bySkill].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    if (idx.length < minLabelled || skill === opts.mode) continue;
    const kept = shortlist(fitScope(idx, cols, agents, modeCompetence, m, maxCalls, costScale), keep, maxCalls);
    if (kept.length > 0) plans[skill] = kept;
  }
  return { version: 1, maxCalls, strength: m, plans };
}

/** A handbook whose answer-mode skills may serve as the consult rule's scopes (its id names it in the log). */
export interface ScopeCandidate {
  id: string;
  handbook: Handbook;
}

export interface ConsultLearning {
  rule: ConsultRule;
  /** The scope candidate chosen (`mode`: one set of plans for the whole mode). */
  scopes: string;
  /** Held-out objective of each scope candidate: mean over the λ grid of accuracy − λ·normalised cost. */
  objectives: { id: string; objective: number; scopes: number }[];
}

export interface LearnConsultOptions {
  /** Folds of query ids to cross-validate over; else `validationIds` are held out once. */
  folds?: readonly (readonly string[])[];
  validationIds?: readonly string[];
  maxCalls?: number;
  strength?: number;
}

interface Labelled {
  queryId: string;
  outcomes: Map<string, ConsultOutcome>;
}

/** Answer-mode labelled items with responses as consult points (keys read once); undefined without responses. */
function labelledAnswers(items: readonly QueryItem[]): { items: QueryItem[]; labelled: Labelled[] } | undefined {
  const answers = items.filter((it) => it.mode === "answer" && it.step === undefined);
  let outcomes = 0;
  let withResponse = 0;
  for (const it of answers)
    for (const o of it.outcomes)
      if (o.acted) {
        outcomes++;
        if (o.response.trim() !== "") withResponse++;
      }
  // Records without responses (scores only) carry no agreement signal.
  if (outcomes === 0 || withResponse * 2 < outcomes) return undefined;
  const labelled = answers.map((it) => {
    const kind = answerKind(it.text);
    const outs = new Map<string, ConsultOutcome>();
    for (const o of it.outcomes)
      if (o.acted) outs.set(o.agent, { score: o.score, costUsd: o.costUsd, key: answerKey(o.response, kind) });
    return { queryId: it.queryId, outcomes: outs };
  });
  return { items: answers, labelled };
}

/** The answer-mode leaves of a candidate, when every one has a centroid (they can then be identified from text). */
function scopeSkills(h: Handbook): Record<string, { name: string; centroid: Record<string, number> }> | undefined {
  const all = Object.values(h.skills).filter((sk) => sk.mode === "answer");
  const parents = new Set(all.map((sk) => sk.parent).filter((p) => p !== undefined));
  const leaves = all.filter((sk) => !parents.has(sk.id));
  if (leaves.length === 0 || leaves.some((sk) => !sk.centroid) || !h.text?.answer) return undefined;
  return Object.fromEntries(leaves.map((sk) => [sk.id, { name: sk.name, centroid: sk.centroid! }]));
}

/** Held-out objective: mean over the λ grid of accuracy − λ·cost/scale, each point answered by the fitted rule. */
function heldOutObjective(rule: ConsultRule, points: readonly ConsultPoint[], scale: number): number {
  let total = 0;
  const left = { callsLeft: rule.maxCalls };
  for (const lambda of LAMBDAS) {
    let acc = 0;
    let usd = 0;
    for (const p of points) {
      const choice = planFor(rule, [{ id: p.skill, weight: 1 }], "answer", lambda, left);
      if (!choice) continue;
      const run = consultTrajectory(
        choice,
        (a) => {
          const o = p.outcomes.get(a);
          usd += o?.costUsd ?? 0;
          return o?.key ?? null;
        },
        lambda,
        left,
      );
      acc += p.outcomes.get(run.answers[run.accepted]!.agent)?.score ?? 0;
    }
    total += (acc - (scale > 0 ? (lambda * usd) / scale : 0)) / points.length;
  }
  return total / LAMBDAS.length;
}

/**
 * Learn the consult rule of the answer mode: for each scope candidate (one set of plans for the mode, or a
 * candidate handbook's answer skills), fit the plans on part of the labelled queries and score them on the rest
 * (the folds, or the validation split); the best granularity is then fitted on every labelled query, and its skills
 * stored as the rule's scopes. Undefined when the records carry no responses or fewer than two agents answered.
 */
export function learnConsultRule(
  candidates: readonly ScopeCandidate[],
  items: readonly QueryItem[],
  opts: LearnConsultOptions = {},
): ConsultLearning | undefined {
  const maxCalls = opts.maxCalls ?? 3;
  if (maxCalls < 2) return undefined;
  const data = labelledAnswers(items);
  if (!data) return undefined;
  const fitOpts = { mode: "answer", maxCalls, ...(opts.strength !== undefined ? { strength: opts.strength } : {}) };
  const agentsCost = new Map<string, { c: number; n: number }>();
  for (const l of data.labelled)
    for (const [a, o] of l.outcomes) {
      const t = agentsCost.get(a) ?? { c: 0, n: 0 };
      t.c += o.costUsd;
      t.n++;
      agentsCost.set(a, t);
    }
  const scale = Math.max(0, ...[...agentsCost.values()].map((t) => t.c / t.n));
  const options: {
    id: string;
    skillOf: string[];
    scopes?: Record<string, { name: string; centroid: Record<string, number> }>;
  }[] = [{ id: "mode", skillOf: data.labelled.map(() => "answer") }];
  for (const c of candidates) {
    const scopes = scopeSkills(c.handbook);
    if (!scopes || Object.keys(scopes).length < 2) continue;
    const found = identifyAll(c.handbook, data.items);
    const skillOf = data.items.map((it) => {
      const active = (found.get(it.key) ?? []).filter((x) => scopes[x.id]);
      return (
        active.reduce<{ id: string; weight: number } | undefined>(
          (b, x) => (!b || x.weight > b.weight ? x : b),
          undefined,
        )?.id ?? "answer"
      );
    });
    options.push({ id: c.id, skillOf, scopes });
  }
  const folds = opts.folds?.length ? opts.folds : opts.validationIds?.length ? [opts.validationIds] : [];
  const objectives: ConsultLearning["objectives"] = [];
  for (const o of options) {
    const points: ConsultPoint[] = data.labelled.map((l, i) => ({ skill: o.skillOf[i]!, outcomes: l.outcomes }));
    let objective = 0;
    let weight = 0;
    for (const fold of folds) {
      const out = new Set(fold);
      const fit = fitConsultRule(
        points.filter((_, i) => !out.has(data.labelled[i]!.queryId)),
        fitOpts,
      );
      const held = points.filter((_, i) => out.has(data.labelled[i]!.queryId));
      if (!fit || held.length === 0) continue;
      objective += heldOutObjective(fit, held, scale) * held.length;
      weight += held.length;
    }
    objectives.push({
      id: o.id,
      objective: weight > 0 ? objective / weight : 0,
      scopes: o.scopes ? Object.keys(o.scopes).length : 1,
    });
  }
  // The best held-out objective; a tie goes to the coarser granularity (listed first).
  let best = 0;
  objectives.forEach((x, i) => {
    if (x.objective > objectives[best]!.objective + 1e-12) best = i;
  });
  const chosen = options[best]!;
  const rule = fitConsultRule(
    data.labelled.map((l, i) => ({ skill: chosen.skillOf[i]!, outcomes: l.outcomes })),
    fitOpts,
  );
  if (!rule) return undefined;
  const how =
    folds.length > 1
      ? `${folds.length}-fold cross-validation`
      : folds.length === 1
        ? "the validation split"
        : "no held-out queries";
  return {
    rule: {
      ...rule,
      ...(chosen.scopes ? { scopes: chosen.scopes } : {}),
      chosenBy: `scopes of ${chosen.id}: best held-out objective ${objectives[best]!.objective.toFixed(4)} (mean over λ of accuracy − λ·normalised cost) by ${how}`,
    },
    scopes: chosen.id,
    objectives,
  };
}
