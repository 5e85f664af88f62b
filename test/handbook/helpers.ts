import { MODES, type Mode } from "../../src/core/modes.js";
import { createHandbook } from "../../handbook/build.js";
import type { CostStats, Evidence, Handbook, Skill } from "../../handbook/schema.js";
import { parentIdOf } from "../../handbook/schema.js";

export const T0 = "2025-01-01T00:00:00.000Z";

export function skill(id: string, extra: Partial<Skill> = {}): Skill {
  const parent = parentIdOf(id);
  return {
    id,
    name: id.split(".").at(-1)!,
    description: `does ${id.split(".").at(-1)}`,
    indicators: [],
    examples: [],
    mode: id.split(".")[0] as Mode,
    ...(parent ? { parent } : {}),
    provenance: { discoveredFrom: [], history: [] },
    ...extra,
  };
}

export function cost(meanCostUsd: number, count = 10): CostStats {
  return { meanPromptTokens: 100, meanCompletionTokens: 50, meanCostUsd, meanLatencyMs: 500, count, estimated: false };
}

export interface AgentSketch {
  modes: Mode[];
  competence?: Record<string, Evidence>;
  costs?: Partial<Record<Mode, CostStats>>;
}

/** A handbook with the given skills (ids; ancestors must be listed too) and agents. */
export function handbookWith(
  skillIds: string[],
  agents: Record<string, AgentSketch>,
  modes: Mode[] = [...MODES],
): Handbook {
  const h = createHandbook({ now: T0, modes: Object.fromEntries(modes.map((m) => [m, { description: `${m} mode` }])) });
  for (const id of skillIds) h.skills[id] = skill(id);
  for (const [id, a] of Object.entries(agents))
    h.agents[id] = {
      modes: a.modes,
      competence: a.competence ?? {},
      costs: a.costs ?? {},
      strengths: [],
      weaknesses: [],
      routingSignals: [],
    };
  return h;
}

export const ev = (successes: number, failures: number): Evidence => ({ successes, failures });
