import { InputError } from "../src/core/errors.js";
import type { Mode } from "../src/core/modes.js";
import { update } from "./competence.js";
import { addCostObservation, type CostObservation } from "./costs.js";
import { FLAT_PRIOR, HANDBOOK_SCHEMA_VERSION, type BetaPrior, type Handbook, type ModeInfo } from "./schema.js";
import type { ActiveSkill } from "./select.js";

/** An empty handbook (schema version current, handbookVersion 0). */
export function createHandbook(
  opts: { now?: string; prior?: BetaPrior; modes?: Partial<Record<Mode, Partial<ModeInfo>>> } = {},
): Handbook {
  const now = opts.now ?? new Date().toISOString();
  const modes: Handbook["modes"] = {};
  for (const [m, info] of Object.entries(opts.modes ?? {}) as [Mode, Partial<ModeInfo>][])
    modes[m] = { description: info.description ?? "", insights: info.insights ?? [] };
  return {
    metadata: {
      version: HANDBOOK_SCHEMA_VERSION,
      handbookVersion: 0,
      createdAt: now,
      updatedAt: now,
      learning: {},
      prior: { ...(opts.prior ?? FLAT_PRIOR) },
    },
    modes,
    skills: {},
    agents: {},
  };
}

/** One trace of an agent to fold into a handbook (recordOutcome). */
export interface TraceOutcome {
  agent: string;
  mode: Mode;
  /** The step's active skills; weights are normalised to sum to 1, so one trace is one observation. */
  skills: ReadonlyArray<ActiveSkill>;
  /** Outcome in [0, 1]. */
  score: number;
  cost?: CostObservation;
}

/**
 * Fold one trace into a handbook (returns a new one): a weighted fractional update of the agent's evidence on
 * each active skill (or on the mode-level entry when there are none), and the call's cost into its cost stats.
 */
export function recordOutcome(h: Handbook, o: TraceOutcome): Handbook {
  const profile = h.agents[o.agent];
  if (!profile) throw new InputError(`outcome: $.agent: unknown agent ${o.agent}`);
  if (!profile.modes.includes(o.mode))
    throw new InputError(`outcome: $.mode: agent ${o.agent} does not serve mode ${o.mode}`);
  const total = o.skills.reduce((a, s) => a + s.weight, 0);
  o.skills.forEach((s, i) => {
    if (h.skills[s.id]?.mode !== o.mode)
      throw new InputError(`outcome: $.skills[${i}].id: no skill ${s.id} in mode ${o.mode}`);
  });
  if (o.skills.length > 0 && !(total > 0)) throw new InputError(`outcome: $.skills: weights must not all be 0`);
  const competence = { ...profile.competence };
  if (o.skills.length === 0) competence[o.mode] = update(competence[o.mode], o.score, 1);
  for (const s of o.skills) competence[s.id] = update(competence[s.id], o.score, s.weight / total);
  const costs = o.cost
    ? { ...profile.costs, [o.mode]: addCostObservation(profile.costs[o.mode], o.cost) }
    : profile.costs;
  return { ...h, agents: { ...h.agents, [o.agent]: { ...profile, competence, costs } } };
}
