import { createHash } from "node:crypto";
import { z } from "zod";
import { InputError } from "../src/core/errors.js";
import { MODES, type Mode } from "../src/core/modes.js";
import {
  AgentIdSchema,
  HANDBOOK_SCHEMA_VERSION,
  InsightTypeSchema,
  SKILL_SEGMENT,
  modeOfId,
  type AgentProfile,
  type Evidence,
  type Handbook,
  type ProvenanceEvent,
  type RoutingInsight,
  type Skill,
} from "./schema.js";
import { handbookPath, parseWithPath, validateHandbook } from "./validate.js";

/**
 * Import of the reference implementation's native handbook JSON (what its `SkillHandbook.save` writes):
 * top-level `metadata`, `modes`, `skills`, `agent_profiles`, `mode_skill_index`.
 *
 * Format facts this conversion relies on:
 * - competence is `skill_competence: {skill_id: {alpha, beta}}`, a Beta posterior that *includes* a Beta(1, 1)
 *   prior (every entry starts at alpha = beta = 1 and each trace adds 1). We store evidence without the prior:
 *   successes = alpha − 1, failures = beta − 1 (clamped at 0), and set our prior to {1, 1}. Entries with no
 *   evidence (the reference fills every mode skill with a bare prior) are kept as zero evidence: the posterior is
 *   the prior either way, and the cascade's category rate averages over the agent's own entries, as the
 *   reference's does. Entries on skills the registry does not have are dropped with a warning.
 *   A merged skill there holds the *average* of its sources' alpha and beta, so its evidence is already halved;
 *   the import cannot undo that.
 * - each profile serves one `mode` and has one `cost_stats` {avg_cost_usd, avg_prompt_tokens,
 *   avg_completion_tokens, avg_latency_s, total_executions}; latency becomes milliseconds. The imported agent
 *   serves that mode only.
 * - skill ids are `category.skill` or `mode.category.skill` with the mode in a separate field, and categories are
 *   not skills. Ours are always `mode.category[.skill…]` with category nodes: the mode prefix is added when
 *   missing, characters outside [A-Za-z0-9_-] become `_`, and missing categories are created. A split child's
 *   `parent_skill_id` does not follow from its id there; our parent follows the id, and the reference parent is
 *   kept in the provenance note.
 * - the skill registry is global: an agent of any mode may hold evidence on any skill id, and `mode_skill_index`
 *   may list one id under several modes. A skill is made in its registered mode and copied (same path, same text)
 *   into every other mode that lists it or whose agents have evidence on it; an agent's evidence goes to the copy
 *   in its own mode.
 * - agent ids outside our alphabet (`gpt-4o (azure)`) are cleaned (other characters → `_`); a cleaned id that
 *   collides with another agent's id gets `-` and six hex digits of the SHA-256 of the reference id. Each
 *   renaming is a warning; `agentIds` maps every reference agent to ours.
 * - trajectory-level `total_attempts`/`total_successes`, `model_name`, `tools`, the agent's mode and (when renamed)
 *   its reference id are kept under `metadata.learning.reference.agents[ourId]`, where the cascade's overall rate
 *   reads the totals; the reference version string and learning stats beside them.
 */

const RefInsightSchema = z.object({
  insight_id: z.string().optional(),
  content: z.string().default(""),
  insight_type: z.string().default(""),
  evidence_query_ids: z.array(z.string()).default([]),
  confidence: z.number().default(0),
});

const RefModeSchema = z.object({
  mode: z.string().default(""),
  description: z.string().default(""),
  insights: z.array(RefInsightSchema).default([]),
});

const RefSkillSchema = z.object({
  skill_id: z.string().default(""),
  name: z.string().default(""),
  description: z.string().default(""),
  indicators: z.array(z.string()).default([]),
  examples: z.array(z.string()).default([]),
  mode: z.string().default(""),
  parent_skill_id: z.string().nullable().optional(),
  provenance: z
    .object({
      discovered_from_queries: z.array(z.string()).default([]),
      positive_trajectories: z.array(z.string()).default([]),
      negative_trajectories: z.array(z.string()).default([]),
      discovery_round: z.number().default(0),
      refinement_history: z.array(z.record(z.string(), z.unknown())).default([]),
    })
    .default({
      discovered_from_queries: [],
      positive_trajectories: [],
      negative_trajectories: [],
      discovery_round: 0,
      refinement_history: [],
    }),
});

const RefBetaSchema = z.object({ alpha: z.number().finite(), beta: z.number().finite() });

const RefCostSchema = z.object({
  avg_prompt_tokens: z.number().default(0),
  avg_completion_tokens: z.number().default(0),
  avg_latency_s: z.number().default(0),
  avg_cost_usd: z.number().default(0),
  avg_completion_cost_usd: z.number().default(0),
  avg_prompt_cost_usd: z.number().default(0),
  total_executions: z.number().int().nonnegative().default(0),
});

const RefProfileSchema = z.object({
  agent_id: z.string().default(""),
  mode: z.string().default(""),
  model_name: z.string().default(""),
  tools: z.array(z.string()).default([]),
  skill_competence: z.record(z.string(), RefBetaSchema).default({}),
  total_attempts: z.number().default(0),
  total_successes: z.number().default(0),
  cost_stats: RefCostSchema.default(RefCostSchema.parse({})),
  routing_signals: z.array(z.string()).default([]),
  strengths: z.array(z.string()).default([]),
  weaknesses: z.array(z.string()).default([]),
});

export const ReferenceHandbookSchema = z.object({
  metadata: z
    .object({
      version: z.string().default("v0"),
      created_at: z.string().default(""),
      updated_at: z.string().default(""),
      learning_stats: z.record(z.string(), z.unknown()).default({}),
    })
    .default({ version: "v0", created_at: "", updated_at: "", learning_stats: {} }),
  modes: z.record(z.string(), RefModeSchema).default({}),
  skills: z.record(z.string(), RefSkillSchema).default({}),
  agent_profiles: z.record(z.string(), RefProfileSchema).default({}),
  mode_skill_index: z.record(z.string(), z.array(z.string())).default({}),
});
export type ReferenceHandbook = z.output<typeof ReferenceHandbookSchema>;

export interface ImportOptions {
  /** Reference mode name → our mode (default: search, code and answer map to themselves). */
  modeMap?: Record<string, Mode>;
  /** ISO time stamped on the import provenance (default: now). */
  now?: string;
}

export interface ReferenceImport {
  handbook: Handbook;
  /** What the conversion changed or dropped, one line each. */
  warnings: string[];
  /** Reference agent (profile key) → our agent id. */
  agentIds: Record<string, string>;
  /** Reference skill id (and registry key) → its path within a mode (our id is `mode.path`). */
  skillPaths: Record<string, string>;
}

/** Path within a mode of a reference skill id: the mode prefix removed, characters outside [A-Za-z0-9_-] → `_`. */
function cleanPath(refId: string, modes: string[]): string[] {
  let path = refId;
  for (const prefix of modes.map((m) => `${m}.`)) if (path.startsWith(prefix)) path = path.slice(prefix.length);
  return path
    .split(".")
    .filter((seg) => seg.length > 0)
    .map((seg) => (SKILL_SEGMENT.test(seg) ? seg : seg.replace(/[^A-Za-z0-9_-]/g, "_")));
}

/**
 * Our id, in `mode`, of a skill id as the reference names it in a query: the imported skill's path under that mode,
 * or for an id the reference handbook does not register, the same clean-up applied to it.
 */
export function referenceSkillId(imported: Pick<ReferenceImport, "skillPaths">, refId: string, mode: Mode): string {
  return `${mode}.${imported.skillPaths[refId] ?? cleanPath(refId, [mode]).join(".")}`;
}

function isoOr(value: string, fallback: string): string {
  if (!value) return fallback;
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? fallback : new Date(t).toISOString();
}

/** Convert parsed reference JSON (`source` names the file in errors) into a validated handbook. */
export function importReferenceHandbook(data: unknown, source: string, opts: ImportOptions = {}): ReferenceImport {
  const ref = parseWithPath(ReferenceHandbookSchema, data, source);
  const now = opts.now ?? new Date().toISOString();
  const warnings: string[] = [];
  const fail = (path: PropertyKey[], message: string): never => {
    throw new InputError(`${source}: ${handbookPath(path)}: ${message}`);
  };
  const mapMode = (name: string, path: PropertyKey[]): Mode => {
    const m = opts.modeMap?.[name] ?? ((MODES as readonly string[]).includes(name) ? (name as Mode) : undefined);
    return (
      m ?? fail(path, `unknown mode ${JSON.stringify(name)} (expected ${MODES.join(", ")}, or map it with modeMap)`)
    );
  };

  const createdAt = isoOr(ref.metadata.created_at, now);
  const updatedAt = isoOr(ref.metadata.updated_at, createdAt);
  const h: Handbook = {
    metadata: {
      version: HANDBOOK_SCHEMA_VERSION,
      handbookVersion: 0,
      createdAt,
      updatedAt,
      learning: {},
      prior: { alpha: 1, beta: 1 },
    },
    modes: {},
    skills: {},
    agents: {},
  };

  for (const [name, m] of Object.entries(ref.modes)) {
    const mode = mapMode(name, ["modes", name]);
    const insights: RoutingInsight[] = [];
    m.insights.forEach((ins, i) => {
      const type = InsightTypeSchema.safeParse(ins.insight_type);
      if (!type.success || !ins.content.trim()) {
        warnings.push(
          `${handbookPath(["modes", name, "insights", i])}: insight dropped (type ${JSON.stringify(ins.insight_type)}, empty text: ${!ins.content.trim()})`,
        );
        return;
      }
      insights.push({
        type: type.data,
        text: ins.content,
        confidence: Math.min(1, Math.max(0, ins.confidence)),
        evidence: ins.evidence_query_ids,
      });
    });
    const existing = h.modes[mode];
    h.modes[mode] = existing
      ? {
          description: [existing.description, m.description].filter((d) => d).join(" "),
          insights: [...existing.insights, ...insights],
        }
      : { description: m.description, insights };
  }
  const ensureMode = (mode: Mode, why: string) => {
    if (!h.modes[mode]) {
      h.modes[mode] = { description: "", insights: [] };
      warnings.push(`mode ${mode} added (${why})`);
    }
  };

  // Skills: map ids, then create missing categories. A reference skill id maps to one path; our id is
  // `mode.path`, made in its registered mode and in every other mode that lists it or whose agents have evidence on
  // it (the reference's registry is global: a bare id means the same thing in every mode).
  const idMap = new Map<string, string>(); // reference id (and registry key) → our id in its registered mode
  const origin = new Map<string, string>(); // our skill id → the reference id it was made from
  const importEvent = (from: string[], note?: string): ProvenanceEvent => ({
    op: "import",
    from,
    at: now,
    ...(note ? { note } : {}),
  });
  for (const [key, s] of Object.entries(ref.skills)) {
    const refId = s.skill_id || key;
    const refMode = s.mode || modeOfId(refId);
    const mode = mapMode(refMode, ["skills", key, "mode"]);
    ensureMode(mode, `used by skill ${refId}`);
    let path = refId;
    for (const prefix of [`${refMode}.`, `${mode}.`]) if (path.startsWith(prefix)) path = path.slice(prefix.length);
    const segments = cleanPath(refId, [refMode, mode]);
    if (segments.length === 0)
      fail(["skills", key, "skill_id"], `skill id ${JSON.stringify(refId)} has no name within mode ${refMode}`);
    const id = `${mode}.${segments.join(".")}`;
    const clash = origin.get(id);
    if (clash !== undefined) fail(["skills", key, "skill_id"], `skill ${refId} and ${clash} both become ${id}`);
    idMap.set(refId, id);
    if (key !== refId) idMap.set(key, id);
    origin.set(id, refId);
    if (`${mode}.${path}` !== id) warnings.push(`skill ${refId} renamed ${id}`);

    const history: ProvenanceEvent[] = s.provenance.refinement_history.map((entry) => {
      const action = String(entry.action ?? "");
      const rationale = typeof entry.rationale === "string" ? entry.rationale : undefined;
      const from = action === "merge" ? toStrings(entry.sources) : toStrings(entry.parent);
      return {
        op: action === "merge" ? "merge" : "split",
        from,
        at: updatedAt,
        ...(rationale ? { note: rationale } : {}),
      };
    });
    const refParent = s.parent_skill_id ?? undefined;
    history.push(importEvent([refId], refParent ? `reference parent: ${refParent}` : undefined));
    const skill: Skill = {
      id,
      name: s.name || segments[segments.length - 1]!,
      description: s.description,
      indicators: s.indicators,
      examples: s.examples,
      mode,
      provenance: { discoveredFrom: s.provenance.discovered_from_queries, history },
    };
    h.skills[id] = skill;
  }
  /**
   * Our id of reference skill `sid` in `mode`, making the mode's copy of the skill if needed; undefined when the
   * reference does not register `sid`, or when its path in `mode` is taken by another reference skill.
   */
  const inMode = (sid: string, mode: Mode, why: string): string | undefined => {
    const home = idMap.get(sid);
    if (home === undefined) return undefined;
    const id = `${mode}.${home.slice(home.indexOf(".") + 1)}`;
    const from = origin.get(id);
    if (from !== undefined) {
      if (from === (ref.skills[sid]?.skill_id || sid)) return id;
      warnings.push(`skill ${sid} would be ${id} in mode ${mode}, which is skill ${from}; ${why} dropped`);
      return undefined;
    }
    const src = h.skills[home]!;
    h.skills[id] = {
      ...src,
      id,
      mode,
      provenance: {
        discoveredFrom: src.provenance.discoveredFrom,
        history: [importEvent([sid], `copy of ${home} in mode ${mode} (${why})`)],
      },
    };
    origin.set(id, origin.get(home)!);
    warnings.push(`skill ${sid} of mode ${src.mode} also made in mode ${mode} as ${id} (${why})`);
    return id;
  };
  for (const [m, ids] of Object.entries(ref.mode_skill_index)) {
    const mode = opts.modeMap?.[m] ?? ((MODES as readonly string[]).includes(m) ? (m as Mode) : undefined);
    for (const sid of ids) {
      if (!idMap.has(sid)) warnings.push(`mode_skill_index.${m} lists unknown skill ${sid}`);
      else if (mode && h.skills[idMap.get(sid)!]!.mode !== mode) {
        ensureMode(mode, `lists skill ${sid}`);
        inMode(sid, mode, `mode_skill_index.${m} lists it`);
      }
    }
  }

  // Agent profiles: each serves its one mode. Ids outside our alphabet are cleaned; a cleaned id that collides
  // with another agent's id takes a suffix from a hash of the reference id, so the mapping does not depend on order.
  const refAgents = Object.entries(ref.agent_profiles).map(([key, p]) => ({ key, p, refId: p.agent_id || key }));
  const cleaned = new Map(refAgents.map(({ refId }) => [refId, cleanAgentId(refId)]));
  const taken = new Map<string, number>();
  for (const id of cleaned.values()) taken.set(id, (taken.get(id) ?? 0) + 1);
  const agentIds: Record<string, string> = {};
  const seen = new Map<string, string>(); // our agent id → reference id
  for (const { key, refId } of refAgents) {
    let id = cleaned.get(refId)!;
    if (id !== refId && taken.get(id)! > 1) {
      const suffixed = `${id}-${createHash("sha256").update(refId).digest("hex").slice(0, 6)}`;
      warnings.push(
        `agent ${JSON.stringify(refId)}: imported as ${suffixed} (${id} is also another agent's id after clean-up)`,
      );
      id = suffixed;
    } else if (id !== refId) {
      warnings.push(`agent ${JSON.stringify(refId)}: imported as ${id} (agent ids: letters, digits and ._:/@- only)`);
    }
    const dup = seen.get(id);
    if (dup !== undefined)
      fail(
        ["agent_profiles", key, "agent_id"],
        dup === refId ? `duplicate agent ${refId}` : `agents ${dup} and ${refId} both become ${id}`,
      );
    seen.set(id, refId);
    agentIds[key] = id;
  }
  // Merge/split histories name reference ids: translate those we know.
  for (const skill of Object.values(h.skills))
    for (const ev of skill.provenance.history) if (ev.op !== "import") ev.from = ev.from.map((f) => idMap.get(f) ?? f);
  // Agent profiles.
  const reference: Record<string, unknown> = {
    version: ref.metadata.version,
    learning_stats: ref.metadata.learning_stats,
    agents: {} as Record<string, unknown>,
  };
  for (const { key, p, refId } of refAgents) {
    const agentId = agentIds[key]!;
    const mode = mapMode(p.mode, ["agent_profiles", key, "mode"]);
    ensureMode(mode, `served by agent ${agentId}`);
    const competence: Record<string, Evidence> = {};
    for (const [sid, bc] of Object.entries(p.skill_competence)) {
      const id = inMode(sid, mode, `agent ${agentId} has evidence on it`);
      if (!id) {
        if (!idMap.has(sid)) warnings.push(`agent ${agentId}: competence on unknown skill ${sid} dropped`);
        continue;
      }
      if (bc.alpha < 1 || bc.beta < 1)
        warnings.push(`agent ${agentId}: ${sid} has alpha/beta below the Beta(1, 1) prior; clamped`);
      // Kept even with no evidence: the reference's category rate averages over the agent's own entries.
      competence[id] = addEvidence(competence[id], {
        successes: Math.max(0, bc.alpha - 1),
        failures: Math.max(0, bc.beta - 1),
      });
    }
    const c = p.cost_stats;
    const hasCost =
      c.total_executions > 0 || c.avg_cost_usd > 0 || c.avg_prompt_tokens > 0 || c.avg_completion_tokens > 0;
    const profile: AgentProfile = {
      modes: [mode],
      competence,
      costs: hasCost
        ? {
            [mode]: {
              meanPromptTokens: Math.max(0, c.avg_prompt_tokens),
              meanCompletionTokens: Math.max(0, c.avg_completion_tokens),
              meanCostUsd: Math.max(0, c.avg_cost_usd),
              meanLatencyMs: Math.max(0, c.avg_latency_s * 1000),
              count: c.total_executions,
              estimated: false,
            },
          }
        : {},
      strengths: p.strengths,
      weaknesses: p.weaknesses,
      routingSignals: p.routing_signals,
    };
    h.agents[agentId] = profile;
    (reference.agents as Record<string, unknown>)[agentId] = {
      ...(agentId !== refId ? { agent_id: refId } : {}),
      mode,
      model_name: p.model_name,
      tools: p.tools,
      total_attempts: p.total_attempts,
      total_successes: p.total_successes,
    };
  }
  // Categories, and parents that follow the ids (after the agents: they may add skills to other modes).
  for (const id of Object.keys(h.skills).sort()) {
    const skill = h.skills[id]!;
    const parts = id.split(".");
    for (let d = 2; d < parts.length; d++) {
      const ancestor = parts.slice(0, d).join(".");
      if (!h.skills[ancestor]) {
        h.skills[ancestor] = {
          id: ancestor,
          name: parts[d - 1]!,
          description: "",
          indicators: [],
          examples: [],
          mode: skill.mode,
          ...(d > 2 ? { parent: parts.slice(0, d - 1).join(".") } : {}),
          provenance: { discoveredFrom: [], history: [importEvent([], "category created on import")] },
        };
      }
    }
    if (parts.length > 2) skill.parent = parts.slice(0, -1).join(".");
  }
  h.metadata.learning = { reference };
  const skillPaths: Record<string, string> = {};
  for (const [sid, id] of idMap) skillPaths[sid] = id.slice(id.indexOf(".") + 1);
  return { handbook: validateHandbook(h, source), warnings, agentIds, skillPaths };
}

function addEvidence(a: Evidence | undefined, b: Evidence): Evidence {
  return a ? { successes: a.successes + b.successes, failures: a.failures + b.failures } : b;
}

/** An agent id in our alphabet: characters outside [A-Za-z0-9._:/@-] become `_`; it starts with a letter or digit. */
function cleanAgentId(refId: string): string {
  const id = refId.replace(/[^A-Za-z0-9._:/@-]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return AgentIdSchema.safeParse(id).success ? id : "agent";
}

function toStrings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return [];
}
