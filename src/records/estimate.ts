/**
 * Token estimates for imported records whose source carries no token counts. Every record built from these
 * numbers is marked `costEstimated: true`.
 */

import { tokensForChars } from "../core/tokens.js";

/** Estimated prompt tokens of a text: ceil(length / 4), length in UTF-16 code units (≈ characters). */
export function estimateTokens(text: string): number {
  return tokensForChars(text.length);
}

/**
 * Assumed completion length (tokens) by the metric that scored the answer: short labels for multiple choice,
 * a sentence for short-answer QA, a worked solution for maths, a function for code.
 */
export const ASSUMED_COMPLETION_TOKENS: Readonly<Record<string, number>> = {
  em_mc: 16,
  f1_score: 32,
  commongen_coverage: 48,
  GSM8K: 256,
  MATH: 384,
  code_eval: 256,
};

/** Assumed completion length for a metric not in the table. */
export const DEFAULT_COMPLETION_TOKENS = 128;

export function assumedCompletionTokens(metric: string | undefined): number {
  return (metric !== undefined ? ASSUMED_COMPLETION_TOKENS[metric] : undefined) ?? DEFAULT_COMPLETION_TOKENS;
}
