import { MODES } from "../core/modes.js";
import { SKILLS } from "./skills.js";
import type { SimAgentProfile } from "./types.js";

/** A gap in COMPETENCE: the agent does not serve the skill's mode. */
const _ = undefined;

/**
 * The latent competences: a row per agent, a column per skill in the order of SKILLS (its columns named by the
 * skills' last parts).
 */
// biome-ignore format: a table, a column per skill
const COMPETENCE: Record<string, readonly (number | undefined)[]> = {
  //                 lookup multi_hop word_problem aggregate single_fact compose numeric general units
  "sim-frontier-xl": [0.9,  0.86,     0.92,        0.89,     0.95,       0.9,    0.95,   0.94,   0.87],
  "sim-general-md":  [0.86, 0.7,      0.84,        0.8,      0.92,       0.76,   0.93,   0.9,    0.82],
  "sim-general-sm":  [0.7,  0.42,     0.55,        0.5,      0.84,       0.48,   0.92,   0.78,   0.6],
  "sim-coder-32b":   [_,    _,        0.91,        0.95,     0.7,        0.52,   0.9,    0.6,    0.78],
  "sim-math-72b":    [_,    _,        0.95,        0.87,     0.66,       0.6,    0.97,   0.62,   0.95],
  "sim-search-8b":   [0.94, 0.78,     _,           _,        _,          _,      _,      _,      _],
};

/** An agent's profile but for its model (named as its id) and its competence (its row of COMPETENCE). */
type Style = Omit<SimAgentProfile, "model" | "competence">;

function withCompetence({ id, ...style }: Style): SimAgentProfile {
  const row = COMPETENCE[id]!;
  const competence: Record<string, number> = {};
  SKILLS.forEach((s, i) => {
    if (row[i] !== undefined) competence[s.id] = row[i];
  });
  return { id, model: id, ...style, competence };
}

/**
 * The default simulated pool. Prices (USD per 1M tokens) resemble real ones of the same size class. The latent
 * competences are calibrated so that no agent is best everywhere: the expensive generalist leads on multi-hop work
 * and reading facts, the math model on numbers, the coder on statistics, the search-tuned model on lookups, and
 * each cheap agent is within 0.05 of the best on some skill (see calibrationReport and its test).
 */
export const DEFAULT_AGENTS: readonly SimAgentProfile[] = (
  [
    {
      id: "sim-frontier-xl",
      description: "A large, expensive generalist that reasons at length.",
      modes: [...MODES],
      price: { inputPer1M: 1.25, outputPer1M: 10 },
      verbosity: 1.6,
      reasoningTokens: 220,
      latency: { baseMs: 900, msPerToken: 12 },
    },
    {
      id: "sim-general-md",
      description: "A mid-size generalist.",
      modes: [...MODES],
      price: { inputPer1M: 0.25, outputPer1M: 2 },
      verbosity: 1.3,
      reasoningTokens: 90,
      latency: { baseMs: 500, msPerToken: 8 },
    },
    {
      id: "sim-general-sm",
      description: "A small, cheap generalist: fine at reporting results, weak at multi-step work.",
      modes: [...MODES],
      price: { inputPer1M: 0.03, outputPer1M: 0.2 },
      verbosity: 1,
      reasoningTokens: 20,
      latency: { baseMs: 250, msPerToken: 4 },
    },
    {
      id: "sim-coder-32b",
      description: "A code model: the best at data handling, good at arithmetic programs, poor at open questions.",
      modes: ["code", "answer"],
      price: { inputPer1M: 0.1, outputPer1M: 0.8 },
      verbosity: 1.1,
      reasoningTokens: 40,
      latency: { baseMs: 400, msPerToken: 6 },
    },
    {
      id: "sim-math-72b",
      description: "A math model: the best at arithmetic and units, weak at reading documents.",
      modes: ["code", "answer"],
      price: { inputPer1M: 0.1125, outputPer1M: 0.9 },
      verbosity: 1.2,
      reasoningTokens: 80,
      latency: { baseMs: 450, msPerToken: 7 },
    },
    {
      id: "sim-search-8b",
      description: "A small model tuned to write search queries.",
      modes: ["search"],
      price: { inputPer1M: 0.05, outputPer1M: 0.4 },
      verbosity: 1,
      reasoningTokens: 10,
      latency: { baseMs: 200, msPerToken: 4 },
    },
  ] satisfies Style[]
).map(withCompetence);
