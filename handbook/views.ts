import { InputError } from "../src/core/errors.js";
import { MODES, type Mode } from "../src/core/modes.js";
import { addEvidence, observations } from "./competence.js";
import {
  depthOf,
  parentIdOf,
  SkillIdSchema,
  type Evidence,
  type Handbook,
  type ProvenanceEvent,
  type Skill,
} from "./schema.js";
import { handbookPath, integrityIssues } from "./validate.js";

/**
 * Views and refinements of a handbook. All are pure: they return a new handbook and never touch the input.
 *
 * Evidence at a node is what was attributed to that node alone, so pooling a subtree is a plain sum and every
 * view below keeps the evidence totals of each mode exact.
 */

/** Granularity of one mode in a view: 0 = mode level only, 1 = categories, "all" = the whole hierarchy. */
export type Granularity = 0 | 1 | "all";

/**
 * A deep copy to change, sharing what no view or refinement changes: the text models and the neighbours memory
 * (the largest parts; handbooks are immutable). Keys keep their order.
 */
function clone(h: Handbook): Handbook {
  if (h.text === undefined && h.memory === undefined) return structuredClone(h);
  const shallow = { ...h };
  if ("text" in shallow) shallow.text = undefined;
  if ("memory" in shallow) shallow.memory = undefined;
  const out = structuredClone(shallow);
  if ("text" in h) out.text = h.text;
  if ("memory" in h) out.memory = h.memory;
  return out;
}

function assertIntegrity(h: Handbook, source: string): Handbook {
  const first = integrityIssues(h)[0];
  if (first) throw new InputError(`${source}: ${handbookPath(first.path)}: ${first.message}`);
  return h;
}

/**
 * The handbook at a granularity per mode (a single value applies to every mode).
 * - 0: the mode's skills are removed; each agent's evidence on them (and its mode-level entry) is summed into one
 *   mode-level entry keyed by the mode id.
 * - 1: only categories (depth 1) remain; each deeper skill's evidence is summed into its category.
 * - "all": unchanged.
 */
export function viewAtDepth(h: Handbook, depth: Granularity | Partial<Record<Mode, Granularity>>): Handbook {
  const out = clone(h);
  for (const mode of MODES) {
    const g = typeof depth === "object" ? (depth[mode] ?? "all") : depth;
    if (g === "all") continue;
    const target = (id: string): string => {
      if (g === 0) return mode;
      return id.slice(0, id.indexOf(".", mode.length + 1) < 0 ? id.length : id.indexOf(".", mode.length + 1));
    };
    const drop = (id: string) => out.skills[id]?.mode === mode && (g === 0 || depthOf(id) >= 2);
    for (const profile of Object.values(out.agents)) {
      for (const key of Object.keys(profile.competence)) {
        if (!drop(key)) continue;
        const t = target(key);
        profile.competence[t] = addEvidence(profile.competence[t], profile.competence[key]);
        delete profile.competence[key];
      }
      // Per-skill costs of dropped skills fold into their target (a weighted mean); at mode level the mode's own
      // cost statistics already hold every call.
      const sc = profile.skillCosts;
      if (sc) {
        for (const key of Object.keys(sc)) {
          if (!drop(key)) continue;
          const t = target(key);
          if (t !== mode) {
            const a = sc[t];
            const b = sc[key]!;
            const w = (a?.weight ?? 0) + b.weight;
            sc[t] = {
              meanCostUsd: w > 0 ? ((a?.meanCostUsd ?? 0) * (a?.weight ?? 0) + b.meanCostUsd * b.weight) / w : 0,
              weight: w,
            };
          }
          delete sc[key];
        }
        if (Object.keys(sc).length === 0) delete profile.skillCosts;
      }
    }
    if (g === 0) foldCuesIntoMode(out, mode);
    for (const id of Object.keys(out.skills)) if (drop(id)) delete out.skills[id];
  }
  return assertIntegrity(out, "view");
}

/** Keep the cues of a mode's skills on the mode itself (deduplicated, in skill order) before they are removed. */
function foldCuesIntoMode(h: Handbook, mode: Mode): void {
  const skills = Object.values(h.skills).filter((s) => s.mode === mode);
  if (skills.length === 0) return;
  const info = h.modes[mode] ?? { description: "", insights: [] };
  const union = (base: string[] | undefined, more: string[]) => [...new Set([...(base ?? []), ...more])];
  h.modes[mode] = {
    ...info,
    indicators: union(
      info.indicators,
      skills.flatMap((s) => s.indicators),
    ),
    examples: union(
      info.examples,
      skills.flatMap((s) => s.examples),
    ),
  };
}

/**
 * The sub-handbook induced by a set of skills: those skills and all their ancestors stay; every other skill and
 * its evidence go. Mode-level entries, costs and profiles stay. `modes` optionally keeps only some modes (agents
 * serving none of them are dropped).
 */
export function subgraph(h: Handbook, skillIds: Iterable<string>, modes?: ReadonlyArray<Mode>): Handbook {
  const keep = new Set<string>();
  let i = 0;
  for (const id of skillIds) {
    if (!(id in h.skills)) throw new InputError(`subgraph: $.skills[${i}]: unknown skill ${id}`);
    for (let node: string | undefined = id; node !== undefined; node = parentIdOf(node)) keep.add(node);
    i++;
  }
  const keepModes = new Set<string>(modes ?? MODES);
  const out = clone(h);
  for (const id of Object.keys(out.skills))
    if (!keep.has(id) || !keepModes.has(out.skills[id]!.mode)) delete out.skills[id];
  for (const m of Object.keys(out.modes) as Mode[]) if (!keepModes.has(m)) delete out.modes[m];
  for (const [agent, profile] of Object.entries(out.agents)) {
    profile.modes = profile.modes.filter((m) => keepModes.has(m));
    if (profile.modes.length === 0) {
      delete out.agents[agent];
      continue;
    }
    for (const key of Object.keys(profile.competence)) {
      const isMode = depthOf(key) === 0;
      if (isMode ? !keepModes.has(key) : !(key in out.skills)) delete profile.competence[key];
    }
    for (const m of Object.keys(profile.costs) as Mode[]) if (!keepModes.has(m)) delete profile.costs[m];
  }
  return assertIntegrity(out, "subgraph");
}

/** Description of a new skill made by split or merge (its mode and parent follow from the id). */
export interface NewSkill {
  id: string;
  name: string;
  description?: string;
  indicators?: string[];
  examples?: string[];
  discoveredFrom?: string[];
  /** The skill's centroid in the mode's text model (see Skill.centroid). */
  centroid?: Record<string, number>;
}

export interface SplitChild {
  skill: NewSkill;
  /** Evidence per agent re-attributed from the parent's traces to this child. */
  evidence: Record<string, Evidence>;
}

export interface SplitMergeOptions {
  /** ISO time of the operation (default: now). */
  at?: string;
  note?: string;
}

const TOLERANCE = 1e-9;

function checkNewId(h: Handbook, id: string, where: string, source: string): void {
  const parsed = SkillIdSchema.safeParse(id);
  if (!parsed.success) throw new InputError(`${source}: ${where}: ${parsed.error.issues[0]!.message}`);
  if (id in h.skills) throw new InputError(`${source}: ${where}: skill ${id} already exists`);
}

function checkEvidence(e: Evidence, where: string, source: string): void {
  for (const k of ["successes", "failures"] as const) {
    if (!(e[k] >= 0 && Number.isFinite(e[k])))
      throw new InputError(`${source}: ${where}.${k}: must be a finite number >= 0, got ${e[k]}`);
  }
}

function makeSkill(s: NewSkill, mode: Mode, history: ProvenanceEvent[], fallback?: Partial<Skill>): Skill {
  const parent = parentIdOf(s.id);
  return {
    id: s.id,
    name: s.name,
    description: s.description ?? fallback?.description ?? "",
    indicators: s.indicators ?? fallback?.indicators ?? [],
    examples: s.examples ?? fallback?.examples ?? [],
    mode,
    ...(parent !== undefined ? { parent } : {}),
    provenance: { discoveredFrom: s.discoveredFrom ?? fallback?.provenance?.discoveredFrom ?? [], history },
    ...(s.centroid ? { centroid: s.centroid } : {}),
  };
}

/**
 * Split a skill into children (ids `skillId.<name>`). Each child takes exactly the evidence given per agent: the
 * caller re-attributes the parent's traces. That evidence moves out of the parent, which keeps only the remainder
 * (traces that fit no child), so the subtree's totals per agent are unchanged. Children may not take more
 * successes or failures than the parent holds.
 */
export function split(
  h: Handbook,
  skillId: string,
  children: ReadonlyArray<SplitChild>,
  opts: SplitMergeOptions = {},
): Handbook {
  const src = "split";
  const parent = h.skills[skillId];
  if (!parent) throw new InputError(`${src}: $.skill: unknown skill ${skillId}`);
  if (children.length === 0) throw new InputError(`${src}: $.children: at least one child is needed`);
  const at = opts.at ?? new Date().toISOString();
  const seen = new Set<string>();
  const taken = new Map<string, Evidence>();
  children.forEach((child, i) => {
    const where = handbookPath(["children", i, "skill", "id"]);
    checkNewId(h, child.skill.id, where, src);
    if (parentIdOf(child.skill.id) !== skillId)
      throw new InputError(`${src}: ${where}: a child of ${skillId} must be ${skillId}.<name>, got ${child.skill.id}`);
    if (seen.has(child.skill.id)) throw new InputError(`${src}: ${where}: duplicate child ${child.skill.id}`);
    seen.add(child.skill.id);
    for (const [agent, e] of Object.entries(child.evidence)) {
      const ewhere = handbookPath(["children", i, "evidence", agent]);
      const profile = h.agents[agent];
      if (!profile) throw new InputError(`${src}: ${ewhere}: unknown agent ${agent}`);
      if (!profile.modes.includes(parent.mode))
        throw new InputError(`${src}: ${ewhere}: agent does not serve mode ${parent.mode}`);
      checkEvidence(e, ewhere, src);
      taken.set(agent, addEvidence(taken.get(agent), e));
    }
  });

  const out = clone(h);
  for (const [agent, sum] of taken) {
    const own = out.agents[agent]!.competence[skillId] ?? { successes: 0, failures: 0 };
    const rest = { successes: own.successes - sum.successes, failures: own.failures - sum.failures };
    for (const k of ["successes", "failures"] as const) {
      if (rest[k] < -TOLERANCE * Math.max(1, own[k]))
        throw new InputError(
          `${src}: $.children: agent ${agent}: the children take ${sum[k]} ${k}, but ${skillId} holds ${own[k]}`,
        );
      if (Math.abs(rest[k]) <= TOLERANCE * Math.max(1, own[k])) rest[k] = 0;
    }
    const competence = out.agents[agent]!.competence;
    if (observations(rest) > 0) competence[skillId] = rest;
    else delete competence[skillId];
  }
  const event: ProvenanceEvent = {
    op: "split",
    from: [skillId],
    at,
    ...(opts.note !== undefined ? { note: opts.note } : {}),
  };
  for (const child of children) {
    out.skills[child.skill.id] = makeSkill(child.skill, parent.mode, [event], { provenance: parent.provenance });
    for (const [agent, e] of Object.entries(child.evidence)) {
      if (observations(e) > 0)
        out.agents[agent]!.competence[child.skill.id] = { successes: e.successes, failures: e.failures };
    }
  }
  out.skills[skillId]!.provenance.history.push({
    op: "split",
    from: [skillId],
    at,
    note: `split into ${children.map((c) => c.skill.id).join(", ")}${opts.note ? `: ${opts.note}` : ""}`,
  });
  return assertIntegrity(out, src);
}

/**
 * Merge two skills of one mode (neither may have children) into one: every agent's evidence on the new skill is
 * the exact sum of its evidence on the two. `into.id` may be one of the two, or a new id whose parent exists.
 * Indicators and examples default to the union of the two; the provenance keeps both histories plus the merge.
 */
export function merge(h: Handbook, a: string, b: string, into: NewSkill, opts: SplitMergeOptions = {}): Handbook {
  const src = "merge";
  const sa = h.skills[a];
  const sb = h.skills[b];
  if (!sa) throw new InputError(`${src}: $.a: unknown skill ${a}`);
  if (!sb) throw new InputError(`${src}: $.b: unknown skill ${b}`);
  if (a === b) throw new InputError(`${src}: $.b: cannot merge ${a} with itself`);
  if (sa.mode !== sb.mode) throw new InputError(`${src}: $.b: ${b} is in mode ${sb.mode}, ${a} in ${sa.mode}`);
  for (const [key, id] of [
    ["a", a],
    ["b", b],
  ] as const) {
    const prefix = `${id}.`;
    const child = Object.keys(h.skills).find((s) => s.startsWith(prefix));
    if (child) throw new InputError(`${src}: $.${key}: ${id} has children (${child}); merge leaves only`);
  }
  if (into.id !== a && into.id !== b) checkNewId(h, into.id, "$.into.id", src);
  if (!into.id.startsWith(`${sa.mode}.`))
    throw new InputError(`${src}: $.into.id: must be in mode ${sa.mode}, got ${into.id}`);
  const parent = parentIdOf(into.id);
  if (parent !== undefined && (parent === a || parent === b || !(parent in h.skills)))
    throw new InputError(`${src}: $.into.id: parent ${parent} of ${into.id} does not exist after the merge`);

  const at = opts.at ?? new Date().toISOString();
  const out = clone(h);
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])];
  const skill = makeSkill(
    {
      ...into,
      indicators: into.indicators ?? union(sa.indicators, sb.indicators),
      examples: into.examples ?? union(sa.examples, sb.examples),
      discoveredFrom: into.discoveredFrom ?? union(sa.provenance.discoveredFrom, sb.provenance.discoveredFrom),
      description: into.description ?? [sa.description, sb.description].filter((d) => d).join(" "),
    },
    sa.mode,
    [
      ...sa.provenance.history,
      ...sb.provenance.history,
      { op: "merge", from: [a, b], at, ...(opts.note !== undefined ? { note: opts.note } : {}) },
    ],
  );
  delete out.skills[a];
  delete out.skills[b];
  out.skills[into.id] = skill;
  for (const profile of Object.values(out.agents)) {
    const ea = profile.competence[a];
    const eb = profile.competence[b];
    delete profile.competence[a];
    delete profile.competence[b];
    if (ea || eb) profile.competence[into.id] = addEvidence(ea, eb);
  }
  return assertIntegrity(out, src);
}
