import { z } from "zod";
import { InputError } from "../src/errors.js";
import { MODES, type Mode } from "../src/modes.js";
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
 *   evidence (the reference fills every mode skill with a bare prior) are dropped: unseen already means the prior.
 *   A merged skill there holds the *average* of its sources' alpha and beta, so its evidence is already halved;
 *   the import cannot undo that.
 * - each profile serves one `mode` and has one `cost_stats` {avg_cost_usd, avg_prompt_tokens,
 *   avg_completion_tokens, avg_latency_s, total_executions}; latency becomes milliseconds.
 * - skill ids are `category.skill` or `mode.category.skill` with the mode in a separate field, and categories are
 *   not skills. Ours are always `mode.category[.skill…]` with category nodes: the mode prefix is added when
 *   missing, characters outside [A-Za-z0-9_-] become `_`, and missing categories are created. A split child's
 *   `parent_skill_id` does not follow from its id there; our parent follows the id, and the reference parent is
 *   kept in the provenance note.
 * - trajectory-level `total_attempts`/`total_successes`, `model_name`, `tools` and the reference version string
 *   are kept under `metadata.learning.reference`.
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
    .default({ discovered_from_queries: [], positive_trajectories: [], negative_trajectories: [], discovery_round: 0, refinement_history: [] }),
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

export interface ImportResult {
  handbook: Handbook;
  /** What the conversion changed or dropped, one line each. */
  warnings: string[];
}

function isoOr(value: string, fallback: string): string {
  if (!value) return fallback;
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? fallback : new Date(t).toISOString();
}

/** Convert parsed reference JSON (`source` names the file in errors) into a validated handbook. */
export function importReferenceHandbook(data: unknown, source: string, opts: ImportOptions = {}): ImportResult {
  const ref = parseWithPath(ReferenceHandbookSchema, data, source);
  const now = opts.now ?? new Date().toISOString();
  const warnings: string[] = [];
  const fail = (path: PropertyKey[], message: string): never => {
    throw new InputError(`${source}: ${handbookPath(path)}: ${message}`);
  };
  const mapMode = (name: string, path: PropertyKey[]): Mode => {
    const m = opts.modeMap?.[name] ?? ((MODES as readonly string[]).includes(name) ? (name as Mode) : undefined);
    return m ?? fail(path, `unknown mode ${JSON.stringify(name)} (expected ${MODES.join(", ")}, or map it with modeMap)`);
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
        warnings.push(`${handbookPath(["modes", name, "insights", i])}: insight dropped (type ${JSON.stringify(ins.insight_type)}, empty text: ${!ins.content.trim()})`);
        return;
      }
      insights.push({ type: type.data, text: ins.content, confidence: Math.min(1, Math.max(0, ins.confidence)), evidence: ins.evidence_query_ids });
    });
    const existing = h.modes[mode];
    h.modes[mode] = existing
      ? { description: [existing.description, m.description].filter((d) => d).join(" "), insights: [...existing.insights, ...insights] }
      : { description: m.description, insights };
  }
  const ensureMode = (mode: Mode, why: string) => {
    if (!h.modes[mode]) {
      h.modes[mode] = { description: "", insights: [] };
      warnings.push(`mode ${mode} added (${why})`);
    }
  };

  // Skills: map ids, then create missing categories.
  const idMap = new Map<string, string>();
  const importEvent = (from: string[], note?: string): ProvenanceEvent => ({ op: "import", from, at: now, ...(note ? { note } : {}) });
  for (const [key, s] of Object.entries(ref.skills)) {
    const refId = s.skill_id || key;
    const refMode = s.mode || modeOfId(refId);
    const mode = mapMode(refMode, ["skills", key, "mode"]);
    ensureMode(mode, `used by skill ${refId}`);
    let path = refId;
    for (const prefix of [`${refMode}.`, `${mode}.`]) if (path.startsWith(prefix)) path = path.slice(prefix.length);
    const segments = path
      .split(".")
      .filter((seg) => seg.length > 0)
      .map((seg) => (SKILL_SEGMENT.test(seg) ? seg : seg.replace(/[^A-Za-z0-9_-]/g, "_")));
    if (segments.length === 0) fail(["skills", key, "skill_id"], `skill id ${JSON.stringify(refId)} has no name within mode ${refMode}`);
    const id = `${mode}.${segments.join(".")}`;
    const clash = [...idMap.entries()].find(([, v]) => v === id);
    if (clash) fail(["skills", key, "skill_id"], `skill ${refId} and ${clash[0]} both become ${id}`);
    idMap.set(refId, id);
    if (key !== refId) idMap.set(key, id);
    if (`${mode}.${path}` !== id) warnings.push(`skill ${refId} renamed ${id}`);

    const history: ProvenanceEvent[] = s.provenance.refinement_history.map((entry) => {
      const action = String(entry.action ?? "");
      const rationale = typeof entry.rationale === "string" ? entry.rationale : undefined;
      const from = action === "merge" ? toStrings(entry.sources) : toStrings(entry.parent);
      return { op: action === "merge" ? "merge" : "split", from, at: updatedAt, ...(rationale ? { note: rationale } : {}) };
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
  // Merge/split histories name reference ids: translate those we know.
  for (const skill of Object.values(h.skills))
    for (const ev of skill.provenance.history) if (ev.op !== "import") ev.from = ev.from.map((f) => idMap.get(f) ?? f);
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

  for (const [m, ids] of Object.entries(ref.mode_skill_index)) {
    for (const sid of ids) if (!idMap.has(sid)) warnings.push(`mode_skill_index.${m} lists unknown skill ${sid}`);
  }

  // Agent profiles.
  const reference: Record<string, unknown> = {
    version: ref.metadata.version,
    learning_stats: ref.metadata.learning_stats,
    agents: {} as Record<string, unknown>,
  };
  for (const [key, p] of Object.entries(ref.agent_profiles)) {
    const agentId = p.agent_id || key;
    if (!AgentIdSchema.safeParse(agentId).success) fail(["agent_profiles", key, "agent_id"], `agent id ${JSON.stringify(agentId)}: letters, digits and ._:/@- only`);
    if (h.agents[agentId]) fail(["agent_profiles", key, "agent_id"], `duplicate agent ${agentId}`);
    const mode = mapMode(p.mode, ["agent_profiles", key, "mode"]);
    ensureMode(mode, `served by agent ${agentId}`);
    const modes = new Set<Mode>([mode]);
    const competence: Record<string, Evidence> = {};
    for (const [sid, bc] of Object.entries(p.skill_competence)) {
      const id = idMap.get(sid);
      if (!id) {
        warnings.push(`agent ${agentId}: competence on unknown skill ${sid} dropped`);
        continue;
      }
      if (bc.alpha < 1 || bc.beta < 1) warnings.push(`agent ${agentId}: ${sid} has alpha/beta below the Beta(1, 1) prior; clamped`);
      const e = { successes: Math.max(0, bc.alpha - 1), failures: Math.max(0, bc.beta - 1) };
      if (e.successes + e.failures === 0) continue;
      competence[id] = e;
      const skillMode = h.skills[id]!.mode;
      if (!modes.has(skillMode)) {
        modes.add(skillMode);
        warnings.push(`agent ${agentId}: also serves ${skillMode} (it has evidence on ${sid})`);
      }
    }
    const c = p.cost_stats;
    const hasCost = c.total_executions > 0 || c.avg_cost_usd > 0 || c.avg_prompt_tokens > 0 || c.avg_completion_tokens > 0;
    const profile: AgentProfile = {
      modes: [...modes],
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
      model_name: p.model_name,
      tools: p.tools,
      total_attempts: p.total_attempts,
      total_successes: p.total_successes,
    };
  }
  h.metadata.learning = { reference };
  return { handbook: validateHandbook(h, source), warnings };
}

function toStrings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return [];
}
