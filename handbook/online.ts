import type { Mode } from "../src/core/modes.js";
import { NO_EVIDENCE, observations, posteriorMean } from "./competence.js";
import type { CostObservation } from "./costs.js";
import { modeOfId, type AgentProfile, type CostStats, type Evidence, type Handbook } from "./schema.js";
import type { ActiveSkill } from "./select.js";

/**
 * Online learning: folding outcomes of deployed runs into a handbook's Beta evidence (pure, no I/O).
 *
 * An observation is one outcome signal of one agent's call: its active skills and weights, a score in [0, 1] (or
 * none: the outcome is unknown, so it updates cost only, never competence), the signal's evidence weight, and what
 * the call cost. A scored observation adds weight·(w_σ/Σw)·score successes and weight·(w_σ/Σw)·(1 − score)
 * failures on each active skill σ (on the mode-level entry when it has none), as `recordOutcome` does for one
 * trace. A cost belongs to the call, not to the signal: give it on one observation per call.
 *
 * Forgetting (optional) decays an agent's old evidence in a mode as its new evidence in that mode arrives: before a
 * scored observation of agent a in mode m, every competence entry of a in m is multiplied by
 * 2^(−weight/halfLifeRecords) · 2^(−Δdays/halfLifeDays), Δdays the time since a's last scored observation in m;
 * before an observation with a cost, a's cost statistics in m (their weight, not the integer call count, which
 * keeps counting calls) and its per-skill costs in m decay the same way, counted in calls. So an agent whose
 * recent outcomes differ from its record is noticed after about a half-life of its own traffic, and an agent
 * nobody calls keeps what was known of it (it is not pulled back to the prior for being idle). Cost-only
 * observations never touch competence, decay included.
 *
 * The state forgetting needs (each (agent, mode)'s cost weight and last-observation times) lives in
 * `metadata.learning.online`, so folding a stream in two batches gives the same handbook as folding it in one,
 * with or without forgetting, provided the second batch is told the first one's keys (`seen`).
 */

export interface Observation {
  /** Unique per outcome (e.g. `${thread}:${step}:${source}`): a key already folded is skipped. */
  key: string;
  agent: string;
  mode: Mode;
  /** The decision's active skills and weights (empty: the mode-level entry). */
  skills: ActiveSkill[];
  /** In [0, 1]; absent: the outcome is unknown, so cost only, never competence. */
  score?: number;
  /** Evidence weight of this signal (default 1; e.g. less for an agreement signal). */
  weight?: number;
  /** What the call cost (tokens, USD, latency). */
  cost?: CostObservation;
  /** ISO time, for a half-life in days. */
  at?: string;
}

export interface ForgetOptions {
  /** Half-life in records of the agent in the mode (scored observations for competence, calls for costs). */
  halfLifeRecords?: number;
  /** Half-life in days between an agent's observations in a mode (needs `at` on observations, or `now`). */
  halfLifeDays?: number;
  /** The time of observations that carry no `at`. */
  now?: string;
}

export interface FoldResult {
  handbook: Handbook;
  /** Observations folded (scored or cost-only). */
  applied: number;
  /** Of those, observations with no score: cost only. */
  costOnly: number;
  skipped: { key: string; reason: string }[];
  /** Keys folded, in order (add them to `seen` for the next fold). */
  folded: string[];
}

/** What forgetting keeps between folds, in `metadata.learning.online`. */
export interface OnlineState {
  /** Observations folded into this handbook so far, and how many of them were cost only. */
  applied: number;
  costOnly: number;
  /** Per agent and mode, the decayed weight of the cost means (absent: the call count). */
  costWeight: Record<string, Partial<Record<Mode, number>>>;
  /** Per agent and mode, the time of the last scored observation (competence) and the last cost (cost). */
  competenceAt: Record<string, Partial<Record<Mode, string>>>;
  costAt: Record<string, Partial<Record<Mode, string>>>;
}

const DAY_MS = 86_400_000;

/** The online state of a handbook (empty when it was never folded into). */
export function onlineState(h: Handbook): OnlineState {
  const s = h.metadata.learning.online as Partial<OnlineState> | undefined;
  return {
    applied: s?.applied ?? 0,
    costOnly: s?.costOnly ?? 0,
    costWeight: s?.costWeight ?? {},
    competenceAt: s?.competenceAt ?? {},
    costAt: s?.costAt ?? {},
  };
}

function checkForget(f: ForgetOptions | undefined): string | undefined {
  if (!f) return undefined;
  if (f.halfLifeRecords !== undefined && !(f.halfLifeRecords > 0 && Number.isFinite(f.halfLifeRecords)))
    return `forget.halfLifeRecords: must be a finite number > 0, got ${f.halfLifeRecords}`;
  if (f.halfLifeDays !== undefined && !(f.halfLifeDays > 0 && Number.isFinite(f.halfLifeDays)))
    return `forget.halfLifeDays: must be a finite number > 0, got ${f.halfLifeDays}`;
  if (f.now !== undefined && Number.isNaN(Date.parse(f.now)))
    return `forget.now: not an ISO time: ${JSON.stringify(f.now)}`;
  return undefined;
}

/** Why an observation cannot be folded into h, or undefined when it can. */
function problem(h: Handbook, o: Observation): string | undefined {
  if (typeof o.key !== "string" || o.key.length === 0) return "key: must be a non-empty string";
  const profile = h.agents[o.agent];
  if (!profile) return `agent: unknown agent ${o.agent}`;
  if (!profile.modes.includes(o.mode)) return `mode: agent ${o.agent} does not serve mode ${o.mode}`;
  if (!Array.isArray(o.skills)) return "skills: must be an array";
  let total = 0;
  for (let i = 0; i < o.skills.length; i++) {
    const s = o.skills[i]!;
    if (h.skills[s.id]?.mode !== o.mode) return `skills[${i}].id: no skill ${s.id} in mode ${o.mode}`;
    if (!(s.weight >= 0 && Number.isFinite(s.weight)))
      return `skills[${i}].weight: must be a finite number >= 0, got ${s.weight}`;
    for (let j = 0; j < i; j++) if (o.skills[j]!.id === s.id) return `skills[${i}].id: duplicate skill ${s.id}`;
    total += s.weight;
  }
  if (o.skills.length > 0 && !(total > 0)) return "skills: weights must not all be 0";
  if (o.score !== undefined && !(o.score >= 0 && o.score <= 1)) return `score: must be in [0, 1], got ${o.score}`;
  if (o.weight !== undefined && !(o.weight >= 0 && Number.isFinite(o.weight)))
    return `weight: must be a finite number >= 0, got ${o.weight}`;
  if (o.cost !== undefined) {
    const c = o.cost;
    for (const f of ["promptTokens", "completionTokens", "costUsd", "latencyMs"] as const)
      if (!(c[f] >= 0 && Number.isFinite(c[f]))) return `cost.${f}: must be a finite number >= 0, got ${c[f]}`;
  }
  if (o.at !== undefined && Number.isNaN(Date.parse(o.at))) return `at: not an ISO time: ${JSON.stringify(o.at)}`;
  if (o.score === undefined && o.cost === undefined) return "nothing to fold: no score and no cost";
  return undefined;
}

/** 2^(−records/halfLifeRecords − days/halfLifeDays) (1 without forgetting). */
function decayFactor(f: ForgetOptions | undefined, records: number, from: string | undefined, to: string | undefined) {
  let x = 0;
  if (f?.halfLifeRecords !== undefined) x += records / f.halfLifeRecords;
  if (f?.halfLifeDays !== undefined && from !== undefined && to !== undefined) {
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
    if (days > 0) x += days / f.halfLifeDays;
  }
  return x === 0 ? 1 : 2 ** -x;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function setIn<T>(table: Record<string, Partial<Record<Mode, T>>>, agent: string, mode: Mode, v: T): void {
  table[agent] = { ...table[agent], [mode]: v };
}

/**
 * Fold observations into a handbook, in order (returns a new handbook; the input is not changed). An observation
 * whose key is in `seen` or was folded earlier in the batch is skipped; so is one whose agent, mode or skills the
 * handbook does not know, or whose score, weight, cost or time is malformed, each with its reason: nothing is
 * thrown for an observation. Bad forgetting options are a RangeError (a caller's bug, before any work).
 */
export function foldObservations(
  h: Handbook,
  obs: readonly Observation[],
  opts: { forget?: ForgetOptions; seen?: ReadonlySet<string> } = {},
): FoldResult {
  const bad = checkForget(opts.forget);
  if (bad) throw new RangeError(`foldObservations: ${bad}`);
  const forget = opts.forget;
  const state = onlineState(h);
  const costWeight = { ...state.costWeight };
  const competenceAt = { ...state.competenceAt };
  const costAt = { ...state.costAt };
  const profiles = new Map<string, AgentProfile>();
  const profileOf = (agent: string): AgentProfile => {
    let p = profiles.get(agent);
    if (!p) {
      const old = h.agents[agent]!;
      p = {
        ...old,
        competence: { ...old.competence },
        costs: { ...old.costs },
        ...(old.skillCosts ? { skillCosts: { ...old.skillCosts } } : {}),
      };
      profiles.set(agent, p);
    }
    return p;
  };
  const skipped: FoldResult["skipped"] = [];
  const folded: string[] = [];
  const done = new Set<string>();
  let costOnly = 0;
  for (const o of obs) {
    const key = typeof o?.key === "string" ? o.key : String(o?.key);
    if (opts.seen?.has(key) || done.has(key)) {
      skipped.push({ key, reason: "already folded" });
      continue;
    }
    const why = o && typeof o === "object" ? problem(h, o) : "not an observation";
    if (why) {
      skipped.push({ key, reason: why });
      continue;
    }
    done.add(key);
    folded.push(key);
    const p = profileOf(o.agent);
    const weight = o.weight ?? 1;
    const at = o.at ?? forget?.now;
    const total = o.skills.reduce((a, s) => a + s.weight, 0);
    if (o.score !== undefined) {
      const last = competenceAt[o.agent]?.[o.mode];
      const g = decayFactor(forget, weight, last, at);
      if (g !== 1)
        for (const k in p.competence)
          if (modeOfId(k) === o.mode) {
            const e = p.competence[k]!;
            p.competence[k] = { successes: e.successes * g, failures: e.failures * g };
          }
      const add = (k: string, w: number) => {
        const e = p.competence[k] ?? NO_EVIDENCE;
        p.competence[k] = { successes: e.successes + w * o.score!, failures: e.failures + w * (1 - o.score!) };
      };
      if (o.skills.length === 0) add(o.mode, weight);
      else for (const s of o.skills) add(s.id, (weight * s.weight) / total);
      const next = later(last, at);
      if (next !== undefined) setIn(competenceAt, o.agent, o.mode, next);
    } else costOnly++;
    if (o.cost !== undefined) {
      const last = costAt[o.agent]?.[o.mode];
      const g = decayFactor(forget, 1, last, at);
      const old = p.costs[o.mode];
      const w = (costWeight[o.agent]?.[o.mode] ?? old?.count ?? 0) * g;
      const mean = (m: number | undefined, x: number) => ((m ?? 0) * w + x) / (w + 1);
      const stats: CostStats = {
        meanPromptTokens: mean(old?.meanPromptTokens, o.cost.promptTokens),
        meanCompletionTokens: mean(old?.meanCompletionTokens, o.cost.completionTokens),
        meanCostUsd: mean(old?.meanCostUsd, o.cost.costUsd),
        meanLatencyMs: mean(old?.meanLatencyMs, o.cost.latencyMs),
        count: (old?.count ?? 0) + 1,
        estimated: (old?.estimated ?? false) || (o.cost.estimated ?? false),
      };
      p.costs[o.mode] = stats;
      if (g !== 1 || costWeight[o.agent]?.[o.mode] !== undefined) setIn(costWeight, o.agent, o.mode, w + 1);
      if (o.skills.length > 0) {
        const sc = p.skillCosts ?? {};
        if (g !== 1)
          for (const k in sc)
            if (modeOfId(k) === o.mode) sc[k] = { meanCostUsd: sc[k]!.meanCostUsd, weight: sc[k]!.weight * g };
        for (const s of o.skills) {
          const share = s.weight / total;
          if (!(share > 0)) continue;
          const e = sc[s.id];
          const W = e?.weight ?? 0;
          sc[s.id] = {
            meanCostUsd: ((e?.meanCostUsd ?? 0) * W + share * o.cost.costUsd) / (W + share),
            weight: W + share,
          };
        }
        p.skillCosts = sc;
      }
      const next = later(last, at);
      if (next !== undefined) setIn(costAt, o.agent, o.mode, next);
    }
  }
  if (folded.length === 0) return { handbook: h, applied: 0, costOnly: 0, skipped, folded };
  const online: OnlineState = {
    applied: state.applied + folded.length,
    costOnly: state.costOnly + costOnly,
    costWeight,
    competenceAt,
    costAt,
  };
  const handbook: Handbook = {
    ...h,
    metadata: { ...h.metadata, learning: { ...h.metadata.learning, online } },
    agents: { ...h.agents, ...Object.fromEntries(profiles) },
  };
  return { handbook, applied: folded.length, costOnly, skipped, folded };
}

/** Where a new agent's competence starts (addAgent). */
export interface AgentStart {
  /** Another agent (e.g. the same model family's), whose competence the new one starts from; absent: the prior. */
  from?: string;
  /** Pseudo-observations each of `from`'s entries is shrunk to (at most; its rate kept). Default 4. */
  strength?: number;
  /** A first estimate of what a call costs per mode (e.g. from the pool's prices), marked estimated. */
  cost?: Partial<Record<Mode, CostObservation>>;
}

export const DEFAULT_START_STRENGTH = 4;

/**
 * Add an agent to a handbook (returns a new one). With no `from` its competence is the prior everywhere (no
 * evidence); with `from`, each of that agent's competence entries in the new agent's modes, shrunk to at most
 * `strength` observations with its success rate kept, so the new agent starts at its parent-level competence and
 * its own outcomes soon outweigh it. Throws a RangeError for an id already in the handbook, an unknown `from`, no
 * modes, or a strength that is not a finite number > 0.
 */
export function addAgent(h: Handbook, id: string, modes: Mode[], start: AgentStart = {}): Handbook {
  if (h.agents[id]) throw new RangeError(`addAgent: agent ${id} is already in the handbook`);
  if (modes.length === 0) throw new RangeError(`addAgent: agent ${id}: no modes`);
  const strength = start.strength ?? DEFAULT_START_STRENGTH;
  if (!(strength > 0 && Number.isFinite(strength)))
    throw new RangeError(`addAgent: strength must be a finite number > 0, got ${strength}`);
  const competence: Record<string, Evidence> = {};
  if (start.from !== undefined) {
    const parent = h.agents[start.from];
    if (!parent) throw new RangeError(`addAgent: from: unknown agent ${start.from}`);
    for (const [k, e] of Object.entries(parent.competence)) {
      if (!(modes as string[]).includes(modeOfId(k))) continue;
      const n = observations(e);
      if (!(n > 0)) continue;
      const f = Math.min(1, strength / n);
      competence[k] = { successes: e.successes * f, failures: e.failures * f };
    }
  }
  const costs: AgentProfile["costs"] = {};
  for (const m of modes) {
    const c = start.cost?.[m];
    if (c)
      costs[m] = {
        meanPromptTokens: c.promptTokens,
        meanCompletionTokens: c.completionTokens,
        meanCostUsd: c.costUsd,
        meanLatencyMs: c.latencyMs,
        count: 1,
        estimated: true,
      };
  }
  const profile: AgentProfile = {
    modes: [...modes],
    competence,
    costs,
    strengths: [],
    weaknesses: [],
    routingSignals: [],
  };
  return { ...h, agents: { ...h.agents, [id]: profile } };
}

export interface DriftRow {
  agent: string;
  skill: string;
  /** Posterior means (each handbook's prior; an absent pair is its prior). */
  before: number;
  after: number;
  delta: number;
  evidenceBefore: number;
  evidenceAfter: number;
}

/**
 * The (agent, skill) posteriors that moved most between two versions: every pair with an evidence entry in either
 * (skill ids and mode-level entries), posterior mean before and after, largest |delta| first (ties: more evidence
 * added, then agent, then skill); pairs that did not move are left out. `top` rows at most (default 20).
 */
export function drift(before: Handbook, after: Handbook, top = 20): DriftRow[] {
  const rows: DriftRow[] = [];
  const agents = new Set([...Object.keys(before.agents), ...Object.keys(after.agents)]);
  for (const agent of agents) {
    const b = before.agents[agent]?.competence ?? {};
    const a = after.agents[agent]?.competence ?? {};
    for (const skill of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const mb = posteriorMean(b[skill], before.metadata.prior);
      const ma = posteriorMean(a[skill], after.metadata.prior);
      const nb = observations(b[skill]);
      const na = observations(a[skill]);
      if (ma === mb && na === nb) continue;
      rows.push({ agent, skill, before: mb, after: ma, delta: ma - mb, evidenceBefore: nb, evidenceAfter: na });
    }
  }
  rows.sort(
    (x, y) =>
      Math.abs(y.delta) - Math.abs(x.delta) ||
      y.evidenceAfter - y.evidenceBefore - (x.evidenceAfter - x.evidenceBefore) ||
      (x.agent < y.agent ? -1 : x.agent > y.agent ? 1 : 0) ||
      (x.skill < y.skill ? -1 : x.skill > y.skill ? 1 : 0),
  );
  return rows.slice(0, Math.max(0, top));
}
