import { z } from "zod";
import { MODES, ModeSchema, type Mode } from "../src/core/modes.js";

/**
 * The Skill Handbook: modes with routing insights, a hierarchy of skills, and per-agent competence and cost.
 *
 * Competence is stored as *evidence*, not as a posterior: for each (agent, skill) the (fractional) number of
 * successes and failures attributed to that node alone (not including its descendants). The Beta prior lives
 * once, in `metadata.prior`, so the posterior is Beta(prior.alpha + successes, prior.beta + failures). Keeping
 * evidence separate from the prior lets merge sum evidence exactly, lets a split re-attribute it exactly, and lets
 * the prior be changed without rewriting every entry. An (agent, skill) pair with no entry has zero evidence:
 * its posterior is the prior, never 0.
 *
 * Besides skill ids, an agent's competence may hold a *mode-level* entry keyed by the bare mode id (`"search"`):
 * evidence attributed to the mode as a whole (what a depth-0 view pools everything into).
 */

/** Version of this file format; bump on any incompatible change. */
export const HANDBOOK_SCHEMA_VERSION = 1 as const;

/** One segment of a dotted skill id. */
export const SKILL_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** `mode.category` (depth 1, a category) or `mode.category.skill[...]` (depth >= 2, a skill). */
export const SkillIdSchema = z
  .string()
  .regex(
    new RegExp(`^(${MODES.join("|")})(\\.[A-Za-z0-9_-]+)+$`),
    "skill id: mode.category[.skill...], segments of letters, digits, _ and - only",
  );
export type SkillId = z.infer<typeof SkillIdSchema>;

export const AgentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, "agent id: letters, digits and ._:/@- only");

const isoTime = z.iso.datetime({ offset: true });
const count = z.number().finite().nonnegative();

export const InsightTypeSchema = z.enum(["transition", "usage", "constraint", "agent_preference"]);
export type InsightType = z.infer<typeof InsightTypeSchema>;

/** A learned statement about when or how to use a mode, with the queries that support it. */
export const RoutingInsightSchema = z.object({
  type: InsightTypeSchema,
  text: z.string().min(1),
  confidence: z.number().min(0).max(1),
  /** Query ids of the traces that support the insight. */
  evidence: z.array(z.string()).default([]),
});
export type RoutingInsight = z.output<typeof RoutingInsightSchema>;

export const ModeInfoSchema = z.object({
  description: z.string().default(""),
  insights: z.array(RoutingInsightSchema).default([]),
  /**
   * Cues that a task needs this mode, beyond those of its skills: a view that removes the mode's skills
   * (depth 0) folds their indicators and examples in here, so the mode can still be recognised.
   */
  indicators: z.array(z.string()).optional(),
  examples: z.array(z.string()).optional(),
});
export type ModeInfo = z.output<typeof ModeInfoSchema>;

export const ProvenanceEventSchema = z.object({
  op: z.enum(["split", "merge", "discover", "import"]),
  /** The ids this skill came from (the split parent, the merged pair, or the source ids of an import). */
  from: z.array(z.string()).default([]),
  at: isoTime,
  note: z.string().optional(),
});
export type ProvenanceEvent = z.output<typeof ProvenanceEventSchema>;

export const ProvenanceSchema = z.object({
  /** Query ids of the traces the skill was discovered from. */
  discoveredFrom: z.array(z.string()).default([]),
  history: z.array(ProvenanceEventSchema).default([]),
});
export type Provenance = z.output<typeof ProvenanceSchema>;

/**
 * A node of the skill hierarchy. Depth = number of dots in the id: depth 1 (`search.temporal`) is a category,
 * depth >= 2 a skill. A node of depth >= 2 names its parent, which is its id without the last segment.
 */
export const SkillSchema = z.object({
  id: SkillIdSchema,
  name: z.string().min(1),
  description: z.string().default(""),
  /** Cues in a query or state that signal the skill is needed. */
  indicators: z.array(z.string()).default([]),
  examples: z.array(z.string()).default([]),
  mode: ModeSchema,
  parent: SkillIdSchema.optional(),
  provenance: ProvenanceSchema.default({ discoveredFrom: [], history: [] }),
  /**
   * Where the skill's queries sit in the mode's text model (`Handbook.text`): the unit-length mean embedding of
   * its members, by dimension name (a term, a template token `~hash`, or `#feature`). When every leaf of a mode has
   * one, a step's skills are identified by the nearest centroids instead of the lexical matcher.
   */
  centroid: z.record(z.string(), z.number().finite()).optional(),
});
export type Skill = z.output<typeof SkillSchema>;
export type SkillInput = z.input<typeof SkillSchema>;

/** Outcome evidence for one (agent, skill): fractional counts, prior excluded. */
export const EvidenceSchema = z.object({ successes: count, failures: count });
export type Evidence = z.output<typeof EvidenceSchema>;

/** Running means of what one call of an agent in a mode costs. */
export const CostStatsSchema = z.object({
  meanPromptTokens: count,
  meanCompletionTokens: count,
  meanCostUsd: count,
  meanLatencyMs: count,
  count: z.number().int().nonnegative(),
  /** True when tokens or cost were estimated (e.g. from prices) rather than reported. */
  estimated: z.boolean().default(false),
});
export type CostStats = z.output<typeof CostStatsSchema>;

export const AgentProfileSchema = z.object({
  modes: z.array(ModeSchema).min(1),
  /** Evidence per skill id (or per bare mode id for a mode-level entry). */
  competence: z.record(z.string(), EvidenceSchema).default({}),
  costs: z.partialRecord(ModeSchema, CostStatsSchema).default({}),
  /**
   * Mean USD per call on each skill (weighted by the skill's share of each trace): what a step that needs the skill
   * is expected to cost. Absent for a skill: its ancestors', then the mode's mean.
   */
  skillCosts: z.record(z.string(), z.object({ meanCostUsd: count, weight: count })).optional(),
  strengths: z.array(z.string()).default([]),
  weaknesses: z.array(z.string()).default([]),
  routingSignals: z.array(z.string()).default([]),
});
export type AgentProfile = z.output<typeof AgentProfileSchema>;

export const BetaPriorSchema = z.object({
  alpha: z.number().finite().positive(),
  beta: z.number().finite().positive(),
});
export type BetaPrior = z.output<typeof BetaPriorSchema>;

export const FLAT_PRIOR: BetaPrior = Object.freeze({ alpha: 1, beta: 1 }) as BetaPrior;

export const HandbookMetadataSchema = z.object({
  version: z.literal(HANDBOOK_SCHEMA_VERSION),
  /** Increments on every save. */
  handbookVersion: z.number().int().nonnegative().default(0),
  createdAt: isoTime,
  updatedAt: isoTime,
  /** Free record of learning statistics (traces, LLM calls, tokens, USD, wall-clock...). */
  learning: z.record(z.string(), z.unknown()).default({}),
  prior: BetaPriorSchema.default({ alpha: 1, beta: 1 }),
});
export type HandbookMetadata = z.output<typeof HandbookMetadataSchema>;

/** A mode's text model (see handbook/text.ts): shared lines, vocabulary with IDF, part weights. */
export const TextModelSchema = z
  .object({
    boilerplate: z.array(z.string()).default([]),
    vocabulary: z.array(z.string()),
    idf: z.array(z.number().finite().positive()),
    structureWeight: z.number().finite().nonnegative(),
    templateWeight: z.number().finite().nonnegative(),
  })
  .refine((m) => m.vocabulary.length === m.idf.length, { message: "vocabulary and idf must have the same length" });
export type TextModelStored = z.output<typeof TextModelSchema>;

/**
 * Labelled points kept for the neighbours estimator (handbook/neighbours.ts): each training query's embedding in
 * the mode's text model (dimension indices and values), its active skills, and each agent's recorded score.
 */
export const MemoryPointSchema = z.object({
  skills: z.array(z.string()),
  idx: z.array(z.number().int().nonnegative()),
  val: z.array(z.number().finite()),
  outcomes: z.record(z.string(), z.number().min(0).max(1)),
});
export type MemoryPoint = z.output<typeof MemoryPointSchema>;

/** A Beta posterior (already shrunk): its parameters, prior included. */
export const BetaSchema = z.object({ alpha: z.number().finite().positive(), beta: z.number().finite().positive() });
export type Beta = z.output<typeof BetaSchema>;

/**
 * One way to answer a step of a skill by consulting (handbook/consult.ts): the first agent answers; the second may
 * be consulted, and their answers compared; on the state that follows, the escalation agent may be consulted. Each
 * P(correct | state) is a Beta posterior fitted on labelled queries of the skill, shrunk toward the unconditional
 * competence of the agent whose answer it would accept.
 */
export const ConsultPlanSchema = z.object({
  /** In order: the first, the second and (optionally) the escalation agent. */
  agents: z.array(AgentIdSchema).min(2).max(3),
  /** Vote weight of each agent: the log-odds of its competence in the skill. */
  weights: z.array(z.number().finite()),
  /** Expected USD of one call of each agent on the skill. */
  costs: z.array(count),
  /** USD of the costliest agent's mean call on the mode: λ prices cost / costScale (one price of a USD for every skill). */
  costScale: count,
  /** After the escalation: the weighted vote of the three answers, or the escalation agent's own answer. */
  final: z.enum(["vote", "escalation"]).default("vote"),
  /** P(first agent correct), alone. */
  alone: BetaSchema,
  /** P(the first two agree). */
  agreeRate: BetaSchema,
  /** P(the shared answer is correct | they agree). */
  agree: BetaSchema,
  /** P(the more competent one's answer is correct | they disagree). */
  disagree: BetaSchema,
  /** P(the final answer after escalating is correct | they agreed), and | they disagreed. */
  escalateAgree: BetaSchema.optional(),
  escalateDisagree: BetaSchema.optional(),
  /** Labelled queries the plan was fitted on. */
  labelled: z.number().int().nonnegative(),
});
export type ConsultPlan = z.output<typeof ConsultPlanSchema>;

/** When to trust an answer and whom to consult next, per skill (answer mode). */
export const ConsultRuleSchema = z.object({
  version: z.literal(1),
  /** At most this many answer calls per step: the first agent, a second one, an escalation (1 turns consulting off). */
  maxCalls: z.number().int().min(1).max(3).default(3),
  /** Pseudo-observations of the shrinkage of each conditional rate toward the unconditional competence. */
  strength: z.number().finite().positive(),
  /** Per skill id (or the bare mode id: the fallback for every other skill), the plans kept, best first at some λ. */
  plans: z.record(z.string(), z.array(ConsultPlanSchema).min(1)),
  /**
   * The rule's own skills, when its granularity is not the handbook's: each with its centroid in the answer mode's
   * text model. A step's text is identified with the nearest of them; absent, the step's own skills are used.
   */
  scopes: z
    .record(z.string(), z.object({ name: z.string(), centroid: z.record(z.string(), z.number().finite()) }))
    .optional(),
  /** Which granularity the scopes come from, and why (learning's note). */
  chosenBy: z.string().optional(),
});
export type ConsultRule = z.output<typeof ConsultRuleSchema>;

export const HandbookSchema = z.object({
  metadata: HandbookMetadataSchema,
  /** Per mode, labelled points for the neighbours estimator (absent: the estimator is not in use). */
  memory: z.partialRecord(ModeSchema, z.array(MemoryPointSchema)).optional(),
  /** Per mode, the text model its skill centroids live in (absent: skills are matched lexically). */
  text: z.partialRecord(ModeSchema, TextModelSchema).optional(),
  modes: z.partialRecord(ModeSchema, ModeInfoSchema).default({}),
  /** When to accept an answer and whom to consult (absent: the first usable answer is accepted). */
  consult: ConsultRuleSchema.optional(),
  skills: z.record(z.string(), SkillSchema).default({}),
  agents: z.record(AgentIdSchema, AgentProfileSchema).default({}),
});
export type Handbook = z.output<typeof HandbookSchema>;
export type HandbookInput = z.input<typeof HandbookSchema>;

export type { Mode };

/** Depth of a node id: 0 for a bare mode, 1 for a category, >= 2 for a skill. */
export function depthOf(id: string): number {
  let d = 0;
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) === 46) d++;
  return d;
}

/** The parent id implied by a dotted id (`search.a.b` → `search.a`); undefined for depth <= 1. */
export function parentIdOf(id: string): string | undefined {
  if (depthOf(id) < 2) return undefined;
  return id.slice(0, id.lastIndexOf("."));
}

/** The mode a node id belongs to (its first segment). */
export function modeOfId(id: string): string {
  const dot = id.indexOf(".");
  return dot < 0 ? id : id.slice(0, dot);
}
