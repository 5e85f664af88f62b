import { skillIdentifier } from "../../handbook/identify.js";
import type { ActiveSkill, Handbook } from "../../handbook/index.js";
import type { QueryItem } from "./queries.js";

/**
 * Active skills of every routing point, keyed by item key, with the handbook's identifier (centroids when the
 * handbook has them, else the lexical matcher: see handbook/identify.ts), so the skills a trace is credited to at
 * learning time are the skills the same text is routed by at test time.
 */
export function identifyAll(
  h: Handbook,
  items: readonly QueryItem[],
  onProgress?: (done: number, total: number) => void,
): Map<string, ActiveSkill[]> {
  const identifier = skillIdentifier(h);
  const out = new Map<string, ActiveSkill[]>();
  const every = Math.max(1, Math.floor(items.length / 100));
  items.forEach((it, i) => {
    out.set(it.key, identifier.identify(it.text, it.mode));
    if (onProgress && (i % every === 0 || i === items.length - 1)) onProgress(i + 1, items.length);
  });
  return out;
}
