import type { Mode } from "../core/modes.js";
import { SKILLS } from "./skills.js";
import type { SimAgentProfile } from "./types.js";
import { expectedCallCost } from "./usage.js";

/** One agent's standing on one skill: its latent success probability, expected USD per call, and utility at λ. */
export interface AgentStanding {
  agent: string;
  probability: number;
  /** Expected USD of one typical call in the skill's mode. */
  cost: number;
  /** cost / the highest expected cost among the agents serving the mode (in [0, 1]). */
  normalisedCost: number;
  /** probability − λ · normalisedCost. */
  utility: number;
}

/** The world's hidden truth, for benchmarks to report regret against. */
export interface GroundTruth {
  /** Latent probability that `agent` succeeds at a step needing `skill`; throws when it does not serve the mode. */
  successProbability(agent: string, skill: string): number;
  /** Expected USD of one typical call of `agent` in `mode`. */
  expectedCost(agent: string, mode: Mode): number;
  /** Every agent serving the skill's mode, best utility first (ties: cheaper first, then id). */
  standings(skill: string, lambda?: number): AgentStanding[];
  /** The agent of highest `probability − λ·normalisedCost` for the skill (λ = 0: the most competent). */
  bestAgent(skill: string, lambda?: number): AgentStanding;
}

export function skillMode(skill: string): Mode {
  const s = SKILLS.find((x) => x.id === skill);
  if (!s) throw new RangeError(`sim: unknown skill ${skill} (known: ${SKILLS.map((x) => x.id).join(", ")})`);
  return s.mode;
}

export function groundTruthOf(agents: readonly SimAgentProfile[]): GroundTruth {
  const byId = new Map(agents.map((a) => [a.id, a]));
  const agent = (id: string): SimAgentProfile => {
    const a = byId.get(id);
    if (!a) throw new RangeError(`sim: unknown agent ${id}`);
    return a;
  };
  const maxCost = (mode: Mode): number =>
    Math.max(...agents.filter((a) => a.modes.includes(mode)).map((a) => expectedCallCost(a, mode)));
  const truth: GroundTruth = {
    successProbability(id, skill) {
      const a = agent(id);
      const mode = skillMode(skill);
      if (!a.modes.includes(mode))
        throw new RangeError(`sim: agent ${id} does not serve mode ${mode} (skill ${skill})`);
      return a.competence[skill]!;
    },
    expectedCost: (id, mode) => expectedCallCost(agent(id), mode),
    standings(skill, lambda = 0) {
      if (!(lambda >= 0)) throw new RangeError(`sim: lambda must be >= 0, got ${lambda}`);
      const mode = skillMode(skill);
      const top = maxCost(mode);
      return agents
        .filter((a) => a.modes.includes(mode))
        .map((a) => {
          const cost = expectedCallCost(a, mode);
          const normalisedCost = top > 0 ? cost / top : 0;
          const probability = a.competence[skill]!;
          return { agent: a.id, probability, cost, normalisedCost, utility: probability - lambda * normalisedCost };
        })
        .sort((x, y) => y.utility - x.utility || x.cost - y.cost || (x.agent < y.agent ? -1 : 1));
    },
    bestAgent(skill, lambda = 0) {
      const best = truth.standings(skill, lambda)[0];
      if (!best) throw new RangeError(`sim: no agent serves skill ${skill}`);
      return best;
    },
  };
  return truth;
}
