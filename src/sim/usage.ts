import type { Mode } from "../core/modes.js";
import { costOf, type Price } from "../pool/schema.js";
import { tokensForChars } from "../core/tokens.js";
import type { Usage } from "../core/types.js";
import type { SimAgentProfile } from "./types.js";

/** Tokens of the fixed instructions a sub-agent gets in each mode. */
export const SYSTEM_TOKENS: Readonly<Record<Mode, number>> = { search: 120, code: 160, answer: 140 };

/** Characters of prompt and output of a typical call in each mode (for expected costs). */
export const TYPICAL_CHARS: Readonly<Record<Mode, { prompt: number; output: number }>> = {
  search: { prompt: 300, output: 30 },
  code: { prompt: 450, output: 260 },
  answer: { prompt: 1200, output: 12 },
};

/** Simulated usage of one call: prompt from the text shown, completion from the output, the agent's verbosity and reasoning. */
export function simUsage(profile: SimAgentProfile, mode: Mode, promptChars: number, outputChars: number): Usage {
  return {
    promptTokens: SYSTEM_TOKENS[mode] + tokensForChars(promptChars),
    completionTokens: Math.round(tokensForChars(outputChars) * profile.verbosity) + profile.reasoningTokens,
  };
}

/** Simulated latency of one call (never slept unless asked). */
export function simLatencyMs(profile: SimAgentProfile, usage: Usage): number {
  return profile.latency.baseMs + profile.latency.msPerToken * usage.completionTokens;
}

/** Expected USD cost of one typical call of an agent in a mode, at `price` (default: the agent's own). */
export function expectedCallCost(profile: SimAgentProfile, mode: Mode, price: Price = profile.price): number {
  const u = simUsage(profile, mode, TYPICAL_CHARS[mode].prompt, TYPICAL_CHARS[mode].output);
  return costOf(price, u.promptTokens, u.completionTokens);
}
