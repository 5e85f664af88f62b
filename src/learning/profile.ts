import { createHandbook } from "../../handbook/build.js";
import { memoryPoint, usesNeighbours } from "../../handbook/neighbours.js";
import { embed } from "../../handbook/text.js";
import { skillIdentifier, type SkillIdentifier } from "../../handbook/identify.js";
import type { ActiveSkill } from "../../handbook/select.js";
import type { BetaPrior, CostStats, Evidence, Handbook, Skill } from "../../handbook/schema.js";
import { InputError } from "../core/errors.js";
import type { Mode } from "../core/modes.js";
import { distinctSkillNames } from "./describe.js";
import { identifyAll } from "./identify.js";
import type { QueryItem } from "./queries.js";

/**
 * Profiling in one pass, with `recordOutcome`'s semantics (handbook/build.ts) but without copying the handbook per
 * record: for every routing point and every agent that acted on it, a weighted fractional Beta update on each
 * active skill (weights normalised to sum to 1, so one trace is one observation), or on the mode-level entry when no
 * skill is active; and the call's cost folded into the agent's cost statistics for the mode. Agents that did not
 * act get neither credit nor cost.
 */

export interface AgentInfo {
  id: string;
  modes: Mode[];
}

/** A handbook with the given skills and agents and no evidence yet. */
export function skeletonHandbook(
  skills: readonly Skill[],
  agents: readonly AgentInfo[],
  opts: { prior?: BetaPrior; now?: string } = {},
): Handbook {
  const modes = new Set<Mode>();
  for (const a of agents) for (const m of a.modes) modes.add(m);
  for (const s of skills) modes.add(s.mode);
  const h = createHandbook({
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    ...(opts.prior !== undefined ? { prior: opts.prior } : {}),
    modes: Object.fromEntries([...modes].map((m) => [m, { description: "", insights: [] }])),
  });
  // Two skills never share a name (a category with one skill would otherwise lend it its own).
  for (const s of distinctSkillNames(skills)) h.skills[s.id] = structuredClone(s);
  for (const a of agents)
    h.agents[a.id] = {
      modes: [...a.modes],
      competence: {},
      costs: {},
      strengths: [],
      weaknesses: [],
      routingSignals: [],
    };
  return h;
}

interface CostSums {
  prompt: number;
  completion: number;
  usd: number;
  latency: number;
  count: number;
  estimated: boolean;
}

/** Evidence per agent and skill (or bare mode id) from routing points and their active skills. */
export function evidenceFrom(
  items: readonly QueryItem[],
  identification: ReadonlyMap<string, readonly ActiveSkill[]>,
): Map<string, Map<string, Evidence>> {
  const out = new Map<string, Map<string, Evidence>>();
  for (const it of items) {
    const skills = identification.get(it.key) ?? [];
    const total = skills.reduce((a, s) => a + s.weight, 0);
    const modeLevel = skills.length === 0 || !(total > 0);
    for (const o of it.outcomes) {
      if (!o.acted) continue;
      let comp = out.get(o.agent);
      if (!comp) out.set(o.agent, (comp = new Map()));
      for (let j = 0; j < (modeLevel ? 1 : skills.length); j++) {
        const key = modeLevel ? it.mode : skills[j]!.id;
        const w = modeLevel ? 1 : skills[j]!.weight / total;
        const e = comp.get(key);
        if (e) {
          e.successes += w * o.score;
          e.failures += w * (1 - o.score);
        } else comp.set(key, { successes: w * o.score, failures: w * (1 - o.score) });
      }
    }
  }
  return out;
}

/** Per agent and active skill: the weighted mean USD of the traces (each trace's skill weights sum to 1). */
export function skillCostsFrom(
  items: readonly QueryItem[],
  identification: ReadonlyMap<string, readonly ActiveSkill[]>,
): Map<string, Record<string, { meanCostUsd: number; weight: number }>> {
  const sums = new Map<string, Map<string, { usd: number; w: number }>>();
  for (const it of items) {
    const skills = identification.get(it.key) ?? [];
    const total = skills.reduce((a, s) => a + s.weight, 0);
    if (skills.length === 0 || !(total > 0)) continue;
    for (const o of it.outcomes) {
      if (!o.acted) continue;
      let m = sums.get(o.agent);
      if (!m) sums.set(o.agent, (m = new Map()));
      for (const s of skills) {
        const w = s.weight / total;
        const t = m.get(s.id) ?? { usd: 0, w: 0 };
        t.usd += w * o.costUsd;
        t.w += w;
        m.set(s.id, t);
      }
    }
  }
  const out = new Map<string, Record<string, { meanCostUsd: number; weight: number }>>();
  for (const [agent, m] of sums)
    out.set(
      agent,
      Object.fromEntries(
        [...m].filter(([, t]) => t.w > 0).map(([k, t]) => [k, { meanCostUsd: t.usd / t.w, weight: t.w }]),
      ),
    );
  return out;
}

/**
 * Profile a handbook from scratch: every agent's competence and cost statistics are recomputed from the routing
 * points (the skills and agents stay). Throws an InputError for an outcome of an agent the handbook does not know
 * or in a mode the agent does not serve.
 */
export function profile(
  h: Handbook,
  items: readonly QueryItem[],
  identification: ReadonlyMap<string, readonly ActiveSkill[]>,
): Handbook {
  return profiled(
    h,
    items,
    identification,
    costTable(items),
    evidenceFrom(items, identification),
    skillCostsFrom(items, identification),
  );
}

/**
 * Each agent's cost sums per mode over some items (in order of first occurrence), and every (agent, mode) pair that
 * acted with its first item: what profile checks against a handbook's agents.
 */
interface CostTable {
  costs: Map<string, Map<Mode, CostSums>>;
  pairs: { agent: string; mode: Mode; queryId: string }[];
}

function costTable(items: readonly QueryItem[]): CostTable {
  const costs = new Map<string, Map<Mode, CostSums>>();
  const pairs: CostTable["pairs"] = [];
  for (const it of items) {
    for (const o of it.outcomes) {
      if (!o.acted) continue;
      let byMode = costs.get(o.agent);
      if (!byMode) costs.set(o.agent, (byMode = new Map()));
      let c = byMode.get(it.mode);
      if (!c) {
        byMode.set(it.mode, (c = { prompt: 0, completion: 0, usd: 0, latency: 0, count: 0, estimated: false }));
        pairs.push({ agent: o.agent, mode: it.mode, queryId: it.queryId });
      }
      c.prompt += o.promptTokens;
      c.completion += o.completionTokens;
      c.usd += o.costUsd;
      c.latency += o.latencyMs;
      c.count++;
      c.estimated ||= o.costEstimated;
    }
  }
  return { costs, pairs };
}

/** The handbook profiled from a cost table, evidence and per-skill costs of the same items. */
function profiled(
  h: Handbook,
  items: readonly QueryItem[],
  identification: ReadonlyMap<string, readonly ActiveSkill[]>,
  table: CostTable,
  evidence: Map<string, Map<string, Evidence>>,
  skillCosts: Map<string, Record<string, { meanCostUsd: number; weight: number }>>,
): Handbook {
  // The first outcome (in item order) of an agent the handbook lacks, or in a mode it does not serve, is the
  // first outcome of such an (agent, mode) pair.
  for (const { agent, mode, queryId } of table.pairs) {
    const p = h.agents[agent];
    if (!p) throw new InputError(`records: query ${queryId}: unknown agent ${agent} (not in the pool)`);
    if (!p.modes.includes(mode))
      throw new InputError(`records: query ${queryId}: agent ${agent} does not serve mode ${mode}`);
  }
  const costs = table.costs;
  const agents: Handbook["agents"] = {};
  for (const [id, p] of Object.entries(h.agents)) {
    const competence: Record<string, Evidence> = {};
    for (const [k, e] of evidence.get(id) ?? []) competence[k] = e;
    const agentCosts: Partial<Record<Mode, CostStats>> = {};
    for (const [m, c] of costs.get(id) ?? []) {
      agentCosts[m] = {
        meanPromptTokens: c.prompt / c.count,
        meanCompletionTokens: c.completion / c.count,
        meanCostUsd: c.usd / c.count,
        meanLatencyMs: c.latency / c.count,
        count: c.count,
        estimated: c.estimated,
      };
    }
    const { skillCosts: _old, ...rest } = p;
    const sc = skillCosts.get(id);
    agents[id] = {
      ...rest,
      competence,
      costs: agentCosts,
      ...(sc && Object.keys(sc).length > 0 ? { skillCosts: sc } : {}),
    };
  }
  return usesNeighbours(h) ? { ...h, agents, memory: memoryOf(h, items, identification) } : { ...h, agents };
}

/** What profileOn worked out for some items, kept while they and the identifier live. */
interface ItemsProfile {
  items: readonly QueryItem[];
  identification: Map<string, ActiveSkill[]>;
  evidence: Map<string, Map<string, Evidence>>;
  skillCosts: Map<string, Record<string, { meanCostUsd: number; weight: number }>>;
}

const costTables = new WeakMap<readonly QueryItem[], { items: readonly QueryItem[]; table: CostTable }>();
const itemsProfiles = new WeakMap<SkillIdentifier, WeakMap<readonly QueryItem[], ItemsProfile>>();

/** Whether an array still holds the items it held when copied. */
function sameItems(a: readonly QueryItem[], copy: readonly QueryItem[]): boolean {
  if (a.length !== copy.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== copy[i]) return false;
  return true;
}

/**
 * profile(h, items, identifyAll(h, items)), the same handbook, with what does not depend on the handbook's
 * competence kept for the next handbook profiled on the same items array: the cost sums per agent and mode, and,
 * for handbooks that identify skills alike (the same skills and text models: a candidate and its pooled and
 * neighbours variants), the identification and the evidence and per-skill costs it gives.
 */
export function profileOn(h: Handbook, items: readonly QueryItem[]): Handbook {
  let costs = costTables.get(items);
  if (!costs || !sameItems(items, costs.items)) {
    costs = { items: [...items], table: costTable(items) };
    costTables.set(items, costs);
  }
  const identifier = skillIdentifier(h);
  let byItems = itemsProfiles.get(identifier);
  if (!byItems) itemsProfiles.set(identifier, (byItems = new WeakMap()));
  let ip = byItems.get(items);
  if (!ip || !sameItems(items, ip.items)) {
    const identification = identifyAll(h, items);
    ip = {
      items: costs.items,
      identification,
      evidence: evidenceFrom(items, identification),
      skillCosts: skillCostsFrom(items, identification),
    };
    byItems.set(items, ip);
  }
  return profiled(h, items, ip.identification, costs.table, ip.evidence, ip.skillCosts);
}

/** Points kept per mode for the neighbours estimator (the first ones by key when there are more). */
export const MEMORY_POINTS = 5_000;

/** The labelled points of the neighbours estimator: each item's embedding, active skills and acting agents' scores. */
export function memoryOf(
  h: Handbook,
  items: readonly QueryItem[],
  identification: ReadonlyMap<string, readonly ActiveSkill[]>,
): NonNullable<Handbook["memory"]> {
  const out: NonNullable<Handbook["memory"]> = {};
  const sorted = byKey(items);
  for (const it of sorted) {
    const model = h.text?.[it.mode];
    if (!model) continue;
    const list = (out[it.mode] ??= []);
    if (list.length >= MEMORY_POINTS) continue;
    list.push(memoryPoint(embed(model, it.text), identification.get(it.key) ?? [], scoresOf(it)));
  }
  return out;
}

/** Each acting agent's score on an item, per item (memory points of the same item share it, so it is frozen). */
const scores = new WeakMap<QueryItem, Record<string, number>>();

function scoresOf(it: QueryItem): Record<string, number> {
  let out = scores.get(it);
  if (!out) {
    out = {};
    for (const o of it.outcomes) if (o.acted) out[o.agent] = o.score;
    Object.freeze(out);
    scores.set(it, out);
  }
  return out;
}

/** Items sorted by key, per items array (the candidates of one selection are profiled on the same arrays). */
const sortedItems = new WeakMap<readonly QueryItem[], readonly QueryItem[]>();

function byKey(items: readonly QueryItem[]): readonly QueryItem[] {
  let sorted = sortedItems.get(items);
  if (!sorted || sorted.length !== items.length) {
    sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    sortedItems.set(items, sorted);
  }
  return sorted;
}
