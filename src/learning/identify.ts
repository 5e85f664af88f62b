import { handbookMatcher, skillWeights, type SkillMatcher } from "../../handbook/matcher.js";
import type { ActiveSkill, Handbook } from "../../handbook/index.js";
import type { Mode } from "../modes.js";
import type { QueryItem } from "./queries.js";

/**
 * Active-skill identification with the lexical matcher the orchestrator's offline policy uses (BM25 over the
 * leaf skills' names, descriptions, indicators and examples; top matches, weights summing to 1), so the skills a
 * trace is credited to at learning time are the skills the same text is routed by at test time.
 */

/** Active skills of one text in one mode; empty when nothing matches (the trace then counts at mode level). */
export function identify(matcher: SkillMatcher, text: string, mode: Mode): ActiveSkill[] {
  return skillWeights(matcher.match(text, mode));
}

/** Active skills of every routing point, keyed by item key. */
export function identifyAll(
  h: Handbook,
  items: readonly QueryItem[],
  onProgress?: (done: number, total: number) => void,
): Map<string, ActiveSkill[]> {
  const matcher = handbookMatcher(h);
  const out = new Map<string, ActiveSkill[]>();
  const every = Math.max(1, Math.floor(items.length / 100));
  items.forEach((it, i) => {
    out.set(it.key, identify(matcher, it.text, it.mode));
    if (onProgress && (i % every === 0 || i === items.length - 1)) onProgress(i + 1, items.length);
  });
  return out;
}
