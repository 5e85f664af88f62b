import { InputError } from "../src/core/errors.js";
import type { Mode } from "../src/core/modes.js";
import {
  FastRng,
  MAX_STRENGTH,
  MIN_STRENGTH,
  momStrength,
  posteriorMean,
  posteriorQuantile,
  rawRate,
  seededRng,
  shrinkagePrior,
  thompsonSample,
} from "./competence.js";
import { depthOf, parentIdOf, type AgentProfile, type BetaPrior, type Evidence, type Handbook } from "./schema.js";

/**
 * Agent selection for one step: a mode and a weighted set of active skills.
 *
 * Strategy "tradeoff" (the method's rule):
 *   score_a = Σ_σ w_σ·ĉ_a(σ) / Σ_σ w_σ − λ·Ĉ_a
 * where ĉ_a(σ) is an estimate from the Beta posterior (prior + evidence; an unseen pair is the prior) and
 * Ĉ_a = C_a / max_b C_b is the agent's mean USD cost per call in the mode divided by the largest such cost among
 * the candidates, so Ĉ ∈ [0, 1] and λ is "how much competence one is willing to give up to go from the most
 * expensive candidate to a free one". An agent with no cost statistics in the mode is taken pessimistically as
 * Ĉ = 1. If every known cost is 0, every known Ĉ is 0.
 * With no active skills (a depth-0 handbook) ĉ_a is the posterior of the agent's evidence pooled over the whole
 * mode (its mode-level entry plus every skill of the mode).
 * Shrinkage (option `shrinkage`, tradeoff only): instead of the handbook's flat prior, the prior of (agent, skill)
 * is centred on the agent's shrunk competence at the skill's parent (category, then mode) with a strength of m
 * pseudo-observations (see competence.ts), so a skill seen a few times is judged mostly by the agent's record on its
 * neighbours. `{ strength: m }` fixes m at every depth; `"auto"` (the default) fits m per depth by the method of
 * moments over the handbook's evidence (`momStrength`; a depth with no informative sibling group falls back to
 * the nearest depth's strength, or the plain prior when no depth has one); `"none"` is the plain posterior under
 * the handbook's prior. The centre leaves the node's own subtree out of the parent's pool (its evidence is not
 * counted twice; an only child shrinks straight to its grandparent). The parent pools, strengths
 * and prior centres are computed once per handbook and setting, so a call costs the same as without shrinkage.
 * Ties on score go to the cheaper agent, then to the smaller agent id. Thompson draws (one per agent and active
 * skill: a Beta draw from two Marsaglia–Tsang gamma draws, on a `FastRng` seeded with the estimator's seed) are taken
 * skill by skill, and within a skill in agent-id order, so a seed fixes the decision. Posterior quantiles are
 * cached per handbook, prior (plain or a shrinkage setting) and q, so each (skill, agent) pair's is computed once.
 *
 * Strategy "cascade" (the reference implementation's lexicographic rule, kept for comparison):
 *   1. weighted raw success rate over the active skills, Σ_σ w_σ·r_a(σ) (unseen = 0; with no active skills every
 *      agent gets 0.5); agents less than 1e-6 below the best stay. The band applies to the unnormalised sum, as in
 *      the reference; the record's `competence` is the sum divided by Σ w;
 *   2. among those, the mean over the active skills' categories of the category rate: the mean raw rate over the
 *      agent's own competence entries under that category (zero-evidence entries count as 0; none: 0); agents
 *      within 1e-9 of the best stay;
 *   3. then the overall rate: the agent's trajectory-level successes / attempts when the handbook has them for the
 *      mode (an imported reference handbook keeps them in `metadata.learning.reference.agents`), else the raw rate
 *      of its evidence pooled over the mode; within 1e-9 stay;
 *   4. then a seeded random draw with weights max(0, 1 − λ·cost_usd) on the raw USD cost (uniform if all are 0).
 *   The category of an active skill is, as in the reference, its id within the mode minus the last segment
 *   (`search.a.b` → `search.a`), or itself when it is a category.
 *
 * A skill of the mode that the handbook does not know (an id under `mode.` with no registry entry) is scored as
 * unseen by every agent: 0 in the cascade (as in the reference), the prior in the tradeoff; the record carries a
 * warning for each. docs/reference-differences.md lists where the cascade deliberately departs from the reference.
 */

export type Strategy = "tradeoff" | "cascade";
export type Estimator =
  | { kind: "mean" }
  | { kind: "quantile"; q: number }
  | { kind: "thompson"; seed: string | number };
/** Hierarchical shrinkage of the competence prior (tradeoff only); default "auto". */
export type Shrinkage = "none" | "auto" | { strength: number };
export const DEFAULT_SHRINKAGE: Shrinkage = "auto";

export interface ActiveSkill {
  id: string;
  weight: number;
}

export interface SelectOptions {
  mode: Mode;
  /** Active skills with weights (>= 0, not all 0). Empty or absent: mode-level selection. */
  skills?: ReadonlyArray<ActiveSkill>;
  strategy?: Strategy;
  /** Price of accuracy λ >= 0 (tradeoff: on normalised cost; cascade: on raw USD in the tie draw). Default 0. */
  lambda?: number;
  /** Competence estimator for "tradeoff"; default mean. */
  estimator?: Estimator;
  /** Only these agents may be chosen (still restricted to agents serving the mode). */
  allow?: ReadonlyArray<string>;
  /** Seed of the cascade's tie draw; default 0. */
  seed?: string | number;
  /** Hierarchical shrinkage of the prior towards the parent's competence (tradeoff only); default "auto". */
  shrinkage?: Shrinkage;
  /**
   * Evidence from the step's nearest labelled neighbours (handbook/neighbours.ts; tradeoff only): each agent's
   * competence becomes (m·ĉ + successes) / (m + successes + failures), m = `strength`.
   */
  local?: { evidence: Readonly<Record<string, Evidence>>; strength: number };
  /**
   * False: the record's candidates carry no per-skill entries and the record no reason (tradeoff only); the choice
   * and every candidate's scores are the same. For callers that read only those (replay over many queries).
   */
  explain?: boolean;
}

export interface SkillCompetence {
  skill: string;
  competence: number;
  evidence: Evidence;
  /** The prior the estimate used, when shrinkage centred it on the parent (absent: the handbook's prior). */
  prior?: BetaPrior;
}

export interface Candidate {
  agent: string;
  /** Weighted competence (tradeoff: posterior estimate; cascade: weighted raw rate). */
  competence: number;
  perSkill: SkillCompetence[];
  /** Expected USD per call in the mode, null when unknown. */
  cost: number | null;
  normalisedCost: number;
  /** λ·Ĉ for tradeoff; 0 for cascade. */
  penalty: number;
  score: number;
  /** Cascade only: the later keys (null when the agent was out before that key was needed). */
  cascade?: { category: number | null; overall: number | null; tieWeight: number | null };
}

export interface DecisionRecord {
  mode: Mode;
  strategy: Strategy;
  estimator: "mean" | "quantile" | "thompson" | "raw";
  params: {
    q?: number;
    seed?: string | number;
    /** Shrinkage applied: the strength m per depth (strengths[0] for categories, [1] for skills, ...; null: plain prior). */
    shrinkage?: { setting: "auto" | "fixed"; strengths: (number | null)[] };
    /** The neighbours estimator's blend: the skill-level estimate counted as `strength` observations. */
    neighbours?: { strength: number };
  };
  lambda: number;
  skills: ActiveSkill[];
  candidates: Candidate[];
  chosen: string | null;
  reason: string;
  /** What the selection could not take at face value (an unknown skill scored as unseen); absent when none. */
  warnings?: string[];
}

interface ModeIndex {
  agents: string[];
  profiles: AgentProfile[];
  pooled: Evidence[];
  /** Column of each skill of the mode in `successes`/`failures`. */
  column: Map<string, number>;
  /**
   * Evidence laid out skill-major: successes[column · agents.length + agentRow]. One step reads a few skills for
   * every agent, so each skill's evidence for all agents is contiguous in memory.
   */
  successes: Float64Array;
  failures: Float64Array;
  /** Per column: depth of the skill and column of its parent (-1: the mode). */
  depth: Int32Array;
  parent: Int32Array;
  /** Evidence of each column's whole subtree (same layout as successes/failures). */
  subSuccesses: Float64Array;
  subFailures: Float64Array;
  /** Prior centres and strengths per shrinkage setting, built on first use. */
  shrinkage: Map<string, ShrinkageTable>;
  /** Posterior quantiles under the handbook's prior (column C: the evidence pooled over the mode). */
  quantiles: QuantileCache;
  /** Per skill id: each agent row's expected USD of a step on that skill (stepCost's ĉost(σ); NaN: not yet). */
  skillCost: Map<string, Float64Array>;
}

/**
 * Posterior quantiles per level q, then per column: one value per agent row, NaN until computed. Columns are
 * allocated on first use; at most QUANTILE_LEVELS levels are kept (the least recently used goes first).
 */
type QuantileCache = Map<number, (Float64Array | undefined)[]>;
const QUANTILE_LEVELS = 8;

/** The cached quantiles of column `col` at level q (NaN where not computed yet). */
function quantileColumn(cache: QuantileCache, q: number, col: number, columns: number, rows: number): Float64Array {
  let level = cache.get(q);
  if (level) {
    // Most recently used last (Map keeps insertion order).
    cache.delete(q);
    cache.set(q, level);
  } else {
    if (cache.size >= QUANTILE_LEVELS) cache.delete(cache.keys().next().value!);
    level = new Array(columns);
    cache.set(q, level);
  }
  let column = level[col];
  if (!column) {
    column = new Float64Array(rows).fill(Number.NaN);
    level[col] = column;
  }
  return column;
}

interface ShrinkageTable {
  setting: "auto" | "fixed";
  /** Strength by depth - 1 (null: the handbook's plain prior at that depth). */
  strengths: (number | null)[];
  /** Prior centre of every (column, agent row): the agent's shrunk competence at the column's parent. */
  centre: Float64Array;
  /** The Beta prior of every (column, agent row), made on first use (decision records share them). */
  priors: (BetaPrior | undefined)[];
  /** Posterior quantiles under these priors (columns whose depth has a strength). */
  quantiles: QuantileCache;
}

interface HandbookIndex {
  modes: Map<Mode, ModeIndex>;
}

/**
 * Per-handbook lookup tables, built on first use and cached by object identity. Handbooks are treated as
 * immutable (every function here returns a new one), so the cache cannot go stale unless a caller mutates one.
 */
const indexes = new WeakMap<Handbook, HandbookIndex>();

function indexOf(h: Handbook): HandbookIndex {
  let idx = indexes.get(h);
  if (!idx) {
    idx = { modes: new Map() };
    indexes.set(h, idx);
  }
  return idx;
}

function modeIndex(h: Handbook, mode: Mode): ModeIndex {
  const idx = indexOf(h);
  let mi = idx.modes.get(mode);
  if (!mi) {
    const agents = Object.keys(h.agents)
      .filter((a) => h.agents[a]!.modes.includes(mode))
      .sort();
    const profiles = agents.map((a) => h.agents[a]!);
    const prefix = `${mode}.`;
    const pooled = profiles.map((p) => {
      let s = 0;
      let f = 0;
      for (const key in p.competence) {
        if (key === mode || key.startsWith(prefix)) {
          const e = p.competence[key]!;
          s += e.successes;
          f += e.failures;
        }
      }
      return { successes: s, failures: f };
    });
    const column = new Map<string, number>();
    for (const id in h.skills) if (h.skills[id]!.mode === mode) column.set(id, column.size);
    const A = agents.length;
    const successes = new Float64Array(column.size * A);
    const failures = new Float64Array(column.size * A);
    profiles.forEach((p, row) => {
      for (const key in p.competence) {
        const col = column.get(key);
        if (col === undefined) continue;
        const e = p.competence[key]!;
        successes[col * A + row] = e.successes;
        failures[col * A + row] = e.failures;
      }
    });
    const ids = [...column.keys()];
    const depth = Int32Array.from(ids, (id) => depthOf(id));
    const parent = Int32Array.from(ids, (id) => column.get(parentIdOf(id) ?? "") ?? -1);
    const subSuccesses = Float64Array.from(successes);
    const subFailures = Float64Array.from(failures);
    // Deepest first, so each column's subtree is complete before it is added to its parent.
    const order = ids.map((_, c) => c).sort((a, b) => depth[b]! - depth[a]!);
    for (const c of order) {
      const p = parent[c]!;
      if (p < 0) continue;
      for (let r = 0; r < A; r++) {
        subSuccesses[p * A + r]! += subSuccesses[c * A + r]!;
        subFailures[p * A + r]! += subFailures[c * A + r]!;
      }
    }
    mi = {
      agents,
      profiles,
      pooled,
      column,
      successes,
      failures,
      depth,
      parent,
      subSuccesses,
      subFailures,
      shrinkage: new Map(),
      quantiles: new Map(),
      skillCost: new Map(),
    };
    idx.modes.set(mode, mi);
  }
  return mi;
}

/**
 * The shrinkage table of a mode for a setting: strengths per depth (fixed, or fitted by the method of moments over
 * sibling groups: for every agent, the subtree evidence of the children of each parent node) and, top-down, the
 * prior centre of every (skill, agent): the mode's posterior mean under the handbook's prior for a category; the
 * parent's shrunk estimate (m·centre + subtree successes) / (m + subtree observations) for a deeper skill.
 */
function shrinkageTable(h: Handbook, mi: ModeIndex, setting: Exclude<Shrinkage, "none">): ShrinkageTable {
  const key = setting === "auto" ? "auto" : `m:${setting.strength}`;
  let t = mi.shrinkage.get(key);
  if (t) return t;
  const A = mi.agents.length;
  const C = mi.column.size;
  let maxDepth = 0;
  for (let c = 0; c < C; c++) maxDepth = Math.max(maxDepth, mi.depth[c]!);
  const strengths: (number | null)[] = [];
  for (let d = 1; d <= maxDepth; d++) {
    if (setting !== "auto") {
      strengths.push(setting.strength);
      continue;
    }
    // Sibling groups at depth d: per agent, the children (at depth d) of each parent (-1: the mode).
    const byParent = new Map<number, number[]>();
    for (let c = 0; c < C; c++) {
      if (mi.depth[c] !== d) continue;
      const p = mi.parent[c]!;
      const l = byParent.get(p);
      if (l) l.push(c);
      else byParent.set(p, [c]);
    }
    const groups: Evidence[][] = [];
    for (const kids of byParent.values())
      for (let r = 0; r < A; r++)
        groups.push(
          kids.map((c) => ({ successes: mi.subSuccesses[c * A + r]!, failures: mi.subFailures[c * A + r]! })),
        );
    strengths.push(momStrength(groups) ?? null);
  }
  // A depth with no informative sibling group borrows the strength of the nearest depth that has one.
  for (let d = 0; d < strengths.length; d++) {
    if (strengths[d] !== null) continue;
    for (let off = 1; off < strengths.length; off++) {
      const near = strengths[d - off] ?? strengths[d + off];
      if (near !== undefined && near !== null) {
        strengths[d] = near;
        break;
      }
    }
  }
  const prior = h.metadata.prior;
  const centre = new Float64Array(C * A);
  const order = [...Array(C).keys()].sort((a, b) => mi.depth[a]! - mi.depth[b]!);
  for (const c of order) {
    const p = mi.parent[c]!;
    for (let r = 0; r < A; r++) {
      // Leave-own-out: the parent's estimate over its subtree without this node's subtree, so a node's own
      // evidence is not counted in its prior too (an only child shrinks straight to its grandparent).
      const s0 = mi.subSuccesses[c * A + r]!;
      const n0 = s0 + mi.subFailures[c * A + r]!;
      if (p < 0) {
        const pooled = mi.pooled[r]!;
        const s = Math.max(0, pooled.successes - s0);
        const n = Math.max(0, pooled.successes + pooled.failures - n0);
        centre[c * A + r] = (prior.alpha + s) / (prior.alpha + prior.beta + n);
        continue;
      }
      const m = strengths[mi.depth[p]! - 1] ?? null;
      const s = Math.max(0, mi.subSuccesses[p * A + r]! - s0);
      const n = Math.max(0, mi.subSuccesses[p * A + r]! + mi.subFailures[p * A + r]! - n0);
      centre[c * A + r] =
        m === null ? (prior.alpha + s) / (prior.alpha + prior.beta + n) : (m * centre[p * A + r]! + s) / (m + n);
    }
  }
  t = {
    setting: setting === "auto" ? "auto" : "fixed",
    strengths,
    centre,
    priors: new Array(C * A),
    quantiles: new Map(),
  };
  mi.shrinkage.set(key, t);
  return t;
}

function checkShrinkage(s: Shrinkage): void {
  if (s === "none" || s === "auto") return;
  if (typeof s !== "object" || s === null || !(s.strength >= MIN_STRENGTH / 2 && s.strength <= MAX_STRENGTH))
    throw new InputError(
      `select: $.shrinkage: must be "none", "auto" or { strength: m } with m in [${MIN_STRENGTH / 2}, ${MAX_STRENGTH}], got ${JSON.stringify(s)}`,
    );
}

/** Validates the active skills; returns Σ w and the indices of skills the handbook does not know. */
function checkSkills(
  h: Handbook,
  mode: Mode,
  skills: ReadonlyArray<ActiveSkill>,
): { total: number; unknown: number[] } {
  let total = 0;
  const unknown: number[] = [];
  for (let i = 0; i < skills.length; i++) {
    const s = skills[i]!;
    const skill = h.skills[s.id];
    if (!skill) {
      if (typeof s.id !== "string" || !s.id.startsWith(`${mode}.`) || s.id.length === mode.length + 1)
        throw new InputError(`select: $.skills[${i}].id: unknown skill ${s.id}, not an id of mode ${mode}`);
      unknown.push(i);
    } else if (skill.mode !== mode)
      throw new InputError(`select: $.skills[${i}].id: skill ${s.id} belongs to mode ${skill.mode}, not ${mode}`);
    if (!(s.weight >= 0 && Number.isFinite(s.weight)))
      throw new InputError(`select: $.skills[${i}].weight: must be a finite number >= 0, got ${s.weight}`);
    for (let j = 0; j < i; j++)
      if (skills[j]!.id === s.id) throw new InputError(`select: $.skills[${i}].id: duplicate skill ${s.id}`);
    total += s.weight;
  }
  if (skills.length > 0 && !(total > 0)) throw new InputError(`select: $.skills: weights must not all be 0`);
  return { total, unknown };
}

/** Choose an agent for a step and explain the choice. Pure: same handbook and options, same record. */
/** Pseudo-weight of the mode's mean in a skill's cost estimate (a skill seen once is mostly the mode's mean). */
const SKILL_COST_PRIOR = 1;

/**
 * Expected USD of a step: with active skills and per-skill costs, Σ w·ĉost(σ) / Σ w, where ĉost(σ) is the skill's
 * weighted mean shrunk towards its nearest ancestor's (or the mode's) by SKILL_COST_PRIOR pseudo-calls; else the
 * mode's mean.
 */
function stepCost(
  mi: ModeIndex,
  row: number,
  modeMean: number,
  skills: ReadonlyArray<ActiveSkill>,
  totalWeight: number,
): number {
  const p = mi.profiles[row]!;
  const sc = p.skillCosts;
  if (!sc || skills.length === 0 || !(totalWeight > 0)) return modeMean;
  let sum = 0;
  for (const s of skills) {
    // ĉost(σ) per (skill, agent), kept in the mode index (NaN: not yet).
    let col = mi.skillCost.get(s.id);
    if (!col) mi.skillCost.set(s.id, (col = new Float64Array(mi.agents.length).fill(Number.NaN)));
    let c = col[row]!;
    if (Number.isNaN(c)) {
      let base = modeMean;
      for (let id = parentIdOf(s.id); id !== undefined; id = parentIdOf(id)) {
        const a = sc[id];
        if (a) {
          base = a.meanCostUsd;
          break;
        }
      }
      const own = sc[s.id];
      c = own ? (own.weight * own.meanCostUsd + SKILL_COST_PRIOR * base) / (own.weight + SKILL_COST_PRIOR) : base;
      col[row] = c;
    }
    sum += s.weight * c;
  }
  return sum / totalWeight;
}

export function selectAgent(h: Handbook, opts: SelectOptions): DecisionRecord {
  const strategy = opts.strategy ?? "tradeoff";
  const lambda = opts.lambda ?? 0;
  if (!(lambda >= 0 && Number.isFinite(lambda)))
    throw new InputError(`select: $.lambda: must be a finite number >= 0, got ${lambda}`);
  const skills = opts.skills ?? [];
  const { total: totalWeight, unknown } = checkSkills(h, opts.mode, skills);
  const shrinkage = opts.shrinkage ?? DEFAULT_SHRINKAGE;
  checkShrinkage(shrinkage);
  const mi = modeIndex(h, opts.mode);

  let agents = mi.agents;
  let profiles = mi.profiles;
  let pooled = mi.pooled;
  let rows: number[] | null = null; // candidate i is row rows[i] of the mode index (null: row i)
  if (opts.allow) {
    const allow = new Set(opts.allow);
    const keep: number[] = [];
    for (let i = 0; i < agents.length; i++) if (allow.has(agents[i]!)) keep.push(i);
    agents = keep.map((i) => mi.agents[i]!);
    profiles = keep.map((i) => mi.profiles[i]!);
    pooled = keep.map((i) => mi.pooled[i]!);
    rows = keep;
  }

  // Costs: raw and normalised by the largest known candidate cost.
  const n = agents.length;
  const costs: (number | null)[] = new Array(n);
  let maxCost = 0;
  for (let i = 0; i < n; i++) {
    const c = profiles[i]!.costs[opts.mode];
    const v = c ? stepCost(mi, rows === null ? i : rows[i]!, c.meanCostUsd, skills, totalWeight) : null;
    costs[i] = v;
    if (v !== null && v > maxCost) maxCost = v;
  }
  const normalised = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = costs[i]!;
    normalised[i] = v === null ? 1 : maxCost > 0 ? v / maxCost : 0;
  }

  const record: DecisionRecord = {
    mode: opts.mode,
    strategy,
    estimator: "raw",
    params: {},
    lambda,
    skills: skills.map((s) => ({ id: s.id, weight: s.weight })),
    candidates: [],
    chosen: null,
    reason: "",
  };
  if (unknown.length > 0)
    record.warnings = unknown.map(
      (i) =>
        `unknown skill ${skills[i]!.id}: scored as unseen by every agent (${strategy === "cascade" ? "rate 0" : "the prior"})`,
    );
  if (n === 0) {
    record.reason = `no agent serves mode ${opts.mode}${opts.allow ? " among the allowed agents" : ""}`;
    if (strategy === "tradeoff") record.estimator = (opts.estimator ?? { kind: "mean" }).kind;
    return record;
  }
  if (strategy === "cascade")
    return cascade(h, record, mi, rows, agents, profiles, pooled, costs, normalised, totalWeight, opts.seed ?? 0);
  return tradeoff(
    h,
    record,
    opts.estimator ?? { kind: "mean" },
    shrinkage,
    mi,
    rows,
    agents,
    pooled,
    costs,
    normalised,
    totalWeight,
    opts.local,
    opts.explain !== false,
  );
}

function tradeoff(
  h: Handbook,
  record: DecisionRecord,
  estimator: Estimator,
  shrinkage: Shrinkage,
  mi: ModeIndex,
  rows: number[] | null,
  agents: string[],
  pooled: Evidence[],
  costs: (number | null)[],
  normCost: Float64Array,
  totalWeight: number,
  local: SelectOptions["local"],
  explain: boolean,
): DecisionRecord {
  const prior: BetaPrior = h.metadata.prior;
  const skills = record.skills;
  const k = skills.length;
  const n = agents.length;
  let rng: FastRng | undefined;
  record.estimator = estimator.kind;
  if (estimator.kind === "quantile") {
    if (!(estimator.q >= 0 && estimator.q <= 1))
      throw new InputError(`select: $.estimator.q: must be in [0, 1], got ${estimator.q}`);
    record.params = { q: estimator.q };
  } else if (estimator.kind === "thompson") {
    record.params = { seed: estimator.seed };
    rng = new FastRng(estimator.seed);
  }

  const table = shrinkage === "none" || k === 0 ? undefined : shrinkageTable(h, mi, shrinkage);
  if (table) record.params = { ...record.params, shrinkage: { setting: table.setting, strengths: table.strengths } };

  // Competence, skill by skill (Thompson draws go in this order: skill, then agent).
  const competence = new Float64Array(n);
  const perSkill: SkillCompetence[][] = new Array(n);
  for (let i = 0; i < n; i++) perSkill[i] = explain ? new Array(k || 1) : [];
  const A = mi.agents.length;
  const C = mi.column.size;
  const q = estimator.kind === "quantile" ? estimator.q : 0;
  if (k === 0) {
    const cache = estimator.kind === "quantile" ? quantileColumn(mi.quantiles, q, C, C + 1, A) : undefined;
    for (let i = 0; i < n; i++) {
      const e = pooled[i]!;
      let c: number;
      if (cache) {
        const row = rows === null ? i : rows[i]!;
        c = cache[row]!;
        if (Number.isNaN(c)) c = cache[row] = posteriorQuantile(e, q, prior);
      } else c = estimateWith(estimator, e, prior, rng);
      competence[i] = c;
      if (explain) perSkill[i]![0] = { skill: record.mode, competence: c, evidence: e };
    }
  } else {
    const pa = prior.alpha;
    const pab = prior.alpha + prior.beta;
    const mean = estimator.kind === "mean";
    for (let j = 0; j < k; j++) {
      const s = skills[j]!;
      const w = s.weight / totalWeight;
      const col = mi.column.get(s.id);
      if (col === undefined) {
        // Unknown skill: every agent is unseen on it, so it scores the handbook's prior (drawn per agent by Thompson).
        const unseen =
          estimator.kind === "thompson" ? 0 : estimateWith(estimator, { successes: 0, failures: 0 }, prior, rng);
        for (let i = 0; i < n; i++) {
          const evidence = { successes: 0, failures: 0 };
          const c = estimator.kind === "thompson" ? estimateWith(estimator, evidence, prior, rng) : unseen;
          if (explain) perSkill[i]![j] = { skill: s.id, competence: c, evidence };
          competence[i] = competence[i]! + w * c;
        }
        continue;
      }
      const base = col * A;
      const m = table ? (table.strengths[mi.depth[col]! - 1] ?? null) : null;
      const cache =
        estimator.kind === "quantile"
          ? quantileColumn(m === null ? mi.quantiles : table!.quantiles, q, col, C + 1, A)
          : undefined;
      for (let i = 0; i < n; i++) {
        const row = rows === null ? i : rows[i]!;
        const at = base + row;
        const successes = mi.successes[at]!;
        const failures = mi.failures[at]!;
        let c: number;
        if (m === null) {
          if (mean) c = (pa + successes) / (pab + successes + failures);
          else if (cache) {
            c = cache[row]!;
            if (Number.isNaN(c)) c = cache[row] = posteriorQuantile({ successes, failures }, q, prior);
          } else c = thompsonSample({ successes, failures }, rng!, prior);
          if (explain) perSkill[i]![j] = { skill: s.id, competence: c, evidence: { successes, failures } };
        } else {
          const centre = table!.centre[at]!;
          if (mean) c = (m * centre + successes) / (m + successes + failures);
          else {
            const p = (table!.priors[at] ??= Object.freeze(shrinkagePrior(centre, m)));
            if (cache) {
              c = cache[row]!;
              if (Number.isNaN(c)) c = cache[row] = posteriorQuantile({ successes, failures }, q, p);
            } else c = thompsonSample({ successes, failures }, rng!, p);
          }
          if (explain)
            perSkill[i]![j] = {
              skill: s.id,
              competence: c,
              evidence: { successes, failures },
              prior: (table!.priors[at] ??= Object.freeze(shrinkagePrior(centre, m))),
            };
        }
        competence[i] = competence[i]! + w * c;
      }
    }
  }

  if (local) {
    record.params = { ...record.params, neighbours: { strength: local.strength } };
    for (let i = 0; i < n; i++) {
      const e = local.evidence[agents[i]!];
      if (!e) continue;
      competence[i] = (local.strength * competence[i]! + e.successes) / (local.strength + e.successes + e.failures);
    }
  }

  const lambda = record.lambda;
  let best = -1;
  let bestScore = -Infinity;
  let secondScore = -Infinity;
  for (let i = 0; i < n; i++) {
    const normalisedCost = normCost[i]!;
    const penalty = lambda * normalisedCost;
    const score = competence[i]! - penalty;
    record.candidates.push({
      agent: agents[i]!,
      competence: competence[i]!,
      perSkill: perSkill[i]!,
      cost: costs[i]!,
      normalisedCost,
      penalty,
      score,
    });
    if (best < 0 || score > bestScore || (score === bestScore && normalisedCost < normCost[best]!)) {
      if (best >= 0) secondScore = Math.max(secondScore, bestScore);
      best = i;
      bestScore = score;
    } else if (score > secondScore) {
      secondScore = score;
    }
  }
  const c = record.candidates[best]!;
  record.chosen = c.agent;
  if (explain)
    record.reason =
      `${c.agent}: competence ${fmt(c.competence)} − λ·cost ${fmt(c.penalty)} = ${fmt(c.score)}` +
      (n > 1 ? `; margin ${fmt(c.score - secondScore)} over the next best` : "; only candidate");
  return record;
}

/** The estimator's value of a Beta posterior (evidence under a prior). */
function estimateWith(estimator: Estimator, e: Evidence, p: BetaPrior, rng: FastRng | undefined): number {
  return estimator.kind === "mean"
    ? posteriorMean(e, p)
    : estimator.kind === "quantile"
      ? posteriorQuantile(e, estimator.q, p)
      : thompsonSample(e, rng!, p);
}

function cascade(
  h: Handbook,
  record: DecisionRecord,
  mi: ModeIndex,
  rows: number[] | null,
  agents: string[],
  profiles: AgentProfile[],
  pooled: Evidence[],
  costs: (number | null)[],
  normCost: Float64Array,
  totalWeight: number,
  seed: string | number,
): DecisionRecord {
  const skills = record.skills;
  const k = skills.length;
  const n = agents.length;
  record.estimator = "raw";
  record.params = { seed };

  // Key 1: weighted raw success rate (an unknown skill: 0 for everyone).
  const A = mi.agents.length;
  const bases = skills.map((s) => {
    const col = mi.column.get(s.id);
    return col === undefined ? -1 : col * A;
  });
  const key1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows === null ? i : rows[i]!;
    const perSkill: SkillCompetence[] = [];
    let competence = 0.5;
    if (k > 0) {
      let acc = 0;
      for (let j = 0; j < k; j++) {
        const s = skills[j]!;
        const b = bases[j]!;
        const evidence =
          b < 0
            ? { successes: 0, failures: 0 }
            : { successes: mi.successes[b + row]!, failures: mi.failures[b + row]! };
        const r = rawRate(evidence);
        perSkill.push({ skill: s.id, competence: r, evidence });
        acc += s.weight * r;
      }
      key1[i] = acc;
      competence = acc / totalWeight;
    } else key1[i] = competence;
    record.candidates.push({
      agent: agents[i]!,
      competence,
      perSkill,
      cost: costs[i]!,
      normalisedCost: normCost[i]!,
      penalty: 0,
      score: competence,
      cascade: { category: null, overall: null, tieWeight: null },
    });
  }
  const cands = record.candidates;
  let best1 = -Infinity;
  for (let i = 0; i < n; i++) best1 = Math.max(best1, key1[i]!);
  let tied = cands.map((_, i) => i).filter((i) => Math.abs(key1[i]! - best1) < 1e-6);
  if (tied.length === 1) return decide(record, tied[0]!, "highest weighted skill success rate");

  // Key 2: category rate over the agent's own entries.
  if (k > 0) {
    const categories = [...new Set(skills.map((s) => categoryOf(s.id)))];
    for (const i of tied) {
      const competence = profiles[i]!.competence;
      let sum = 0;
      for (const cat of categories) {
        const prefix = `${cat}.`;
        let rates = 0;
        let entries = 0;
        for (const key in competence) {
          if (!key.startsWith(prefix)) continue;
          rates += rawRate(competence[key]);
          entries++;
        }
        sum += entries > 0 ? rates / entries : 0;
      }
      cands[i]!.cascade!.category = sum / categories.length;
    }
    tied = keepBest(tied, (i) => cands[i]!.cascade!.category!, 1e-9);
    if (tied.length === 1) return decide(record, tied[0]!, "tied on skill rate; highest category success rate");
  }

  // Key 3: overall rate in the mode (trajectory-level totals when the handbook has them).
  for (const i of tied) {
    const t = trajectoryTotals(h, agents[i]!, record.mode);
    cands[i]!.cascade!.overall = t ? t.successes / t.attempts : rawRate(pooled[i]);
  }
  tied = keepBest(tied, (i) => cands[i]!.cascade!.overall!, 1e-9);
  if (tied.length === 1)
    return decide(record, tied[0]!, "tied on skill and category rate; highest overall success rate in the mode");

  // Key 4: cost-weighted seeded draw.
  const weights = tied.map((i) => Math.max(0, 1 - record.lambda * (costs[i] ?? 0)));
  let total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    weights.fill(1);
    total = weights.length;
  }
  tied.forEach((i, j) => {
    cands[i]!.cascade!.tieWeight = weights[j]! / total;
  });
  const u = seededRng(seed)() * total;
  let acc = 0;
  let pick = tied[tied.length - 1]!;
  for (let j = 0; j < tied.length; j++) {
    acc += weights[j]!;
    if (u < acc) {
      pick = tied[j]!;
      break;
    }
  }
  return decide(record, pick, `tied on every rate; drawn among ${tied.length} agents with cost weights`);
}

/**
 * An agent's trajectory-level totals in a mode, as an imported reference handbook keeps them
 * (`metadata.learning.reference.agents[agent]`: `total_attempts`, `total_successes`, `mode`); undefined when absent,
 * for another mode, or with no attempts.
 */
export function trajectoryTotals(
  h: Handbook,
  agent: string,
  mode: Mode,
): { attempts: number; successes: number } | undefined {
  const ref = h.metadata.learning.reference;
  if (typeof ref !== "object" || ref === null) return undefined;
  const agents = (ref as { agents?: unknown }).agents;
  if (typeof agents !== "object" || agents === null || !Object.hasOwn(agents, agent)) return undefined;
  const a = (agents as Record<string, unknown>)[agent] as {
    total_attempts?: unknown;
    total_successes?: unknown;
    mode?: unknown;
  } | null;
  if (typeof a !== "object" || a === null) return undefined;
  const { total_attempts: attempts, total_successes: successes } = a;
  if (a.mode !== undefined && a.mode !== mode) return undefined;
  if (typeof attempts !== "number" || typeof successes !== "number" || !(attempts > 0) || !Number.isFinite(successes))
    return undefined;
  return { attempts, successes };
}

/** The reference's category of an active skill: its id within the mode minus the last segment, or itself. */
export function categoryOf(skillId: string): string {
  const first = skillId.indexOf(".");
  const last = skillId.lastIndexOf(".");
  return last > first ? skillId.slice(0, last) : skillId;
}

function keepBest(ids: number[], key: (i: number) => number, eps: number): number[] {
  let best = -Infinity;
  for (const i of ids) best = Math.max(best, key(i));
  return ids.filter((i) => key(i) >= best - eps);
}

function decide(record: DecisionRecord, i: number, why: string): DecisionRecord {
  const c = record.candidates[i]!;
  record.chosen = c.agent;
  record.reason = `${c.agent}: ${why} (skill rate ${fmt(c.competence)})`;
  return record;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}
