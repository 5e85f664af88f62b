import type { Mode } from "../src/core/modes.js";
import { handbookMatcher, leafSkills, skillWeights } from "./matcher.js";
import type { Handbook } from "./schema.js";
import type { ActiveSkill } from "./select.js";
import { localEvidence, type LocalEvidence } from "./neighbours.js";
import { denseCentroid, dotDense, embed, type TextModel } from "./text.js";

/**
 * Active-skill identification: which of a handbook's leaf skills a text needs, with weights summing to 1. Learning
 * credits traces with it and the orchestrator routes by it, so a text is read the same way in both.
 *
 * When the mode has a text model and every leaf skill of the mode has a centroid (the statistical learner's
 * handbooks), the text is embedded and compared with the centroids (cosine): the nearest leaf gets the most
 * weight, a close runner-up some (weights ∝ exp((sim − best)/τ), at most `k` skills, none below `minWeight`).
 * Otherwise (hand-written, imported or LLM-discovered skills) the lexical matcher scores the skills' names,
 * indicators and examples. An empty result means "mode level": no skill matched.
 */

export interface IdentifyOptions {
  /** Temperature τ of the centroid weights (default 0.02). */
  temperature?: number;
  /** At most this many skills (default 3). */
  k?: number;
  /** Drop skills below this weight before renormalising (default 0.05). */
  minWeight?: number;
}

export interface SkillIdentifier {
  identify(text: string, mode: Mode): ActiveSkill[];
  /** How a mode's skills are identified. */
  method(mode: Mode): "centroid" | "lexical" | "none";
}

interface CentroidTable {
  model: TextModel;
  ids: string[];
  dense: Float64Array[];
}

/**
 * Identifiers by what identification reads of a handbook: its skills and its text models (objects shared by the
 * handbooks made from one another without changing them, such as a candidate and its pooled and neighbours
 * variants, or its profiles on other queries), then by options.
 */
const cache = new WeakMap<object, WeakMap<object, Map<string, SkillIdentifier>>>();
const NO_TEXT = {};
/** Identifications remembered per identifier (then forgotten all at once). */
const IDENTIFIED_MAX = 20_000;

function centroidTable(h: Handbook, mode: Mode): CentroidTable | undefined {
  const model = h.text?.[mode];
  if (!model) return undefined;
  const leaves = leafSkills(h.skills).filter((s) => s.mode === mode);
  if (leaves.length === 0 || leaves.some((s) => !s.centroid)) return undefined;
  return { model, ids: leaves.map((s) => s.id), dense: leaves.map((s) => denseCentroid(model, s.centroid!)) };
}

/**
 * The identifier of a handbook, cached for as long as its skills and text objects live (handbooks are immutable);
 * it remembers what it identified (a copy is returned each time).
 */
export function skillIdentifier(h: Handbook, opts: IdentifyOptions = {}): SkillIdentifier {
  const key = `${opts.temperature ?? ""}:${opts.k ?? ""}:${opts.minWeight ?? ""}`;
  let byText = cache.get(h.skills);
  if (!byText) cache.set(h.skills, (byText = new WeakMap()));
  let byKey = byText.get(h.text ?? NO_TEXT);
  if (!byKey) byText.set(h.text ?? NO_TEXT, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) return hit;
  const tau = opts.temperature ?? 0.02;
  const k = opts.k ?? 3;
  const minWeight = opts.minWeight ?? 0.05;
  const tables = new Map<Mode, CentroidTable | undefined>();
  const tableOf = (mode: Mode) => {
    if (!tables.has(mode)) tables.set(mode, centroidTable(h, mode));
    return tables.get(mode);
  };
  const hasSkills = (mode: Mode) => Object.values(h.skills).some((s) => s.mode === mode);
  const identified = new Map<string, Map<string, ActiveSkill[]>>();
  const identifyOnce = (text: string, mode: Mode): ActiveSkill[] => {
    const t = tableOf(mode);
    if (!t) return hasSkills(mode) ? skillWeights(handbookMatcher(h).match(text, mode)) : [];
    const v = embed(t.model, text);
    if (v.idx.length === 0) return [];
    if (!(Number.isInteger(k) && k > 0)) return bySort(t, v);
    // The k most similar leaves, ties to the smaller id (the leaves are in id order): a sort's first k.
    const best: number[] = [];
    const bestSim: number[] = [];
    for (let j = 0; j < t.dense.length; j++) {
      const sim = dotDense(v, t.dense[j]!);
      if (best.length === k && !(sim > bestSim[k - 1]!)) continue;
      let at = best.length;
      while (at > 0 && bestSim[at - 1]! < sim) at--;
      best.splice(at, 0, j);
      bestSim.splice(at, 0, sim);
      if (best.length > k) {
        best.pop();
        bestSim.pop();
      }
    }
    const top1 = bestSim[0]!;
    if (!(top1 > 0)) return [];
    const top = best.map((j, r) => ({ id: t.ids[j]!, w: Math.exp((bestSim[r]! - top1) / tau) }));
    const total = top.reduce((a, s) => a + s.w, 0);
    const kept = top.filter((s) => s.w / total >= minWeight);
    const sum = kept.reduce((a, s) => a + s.w, 0);
    return kept.map((s) => ({ id: s.id, weight: s.w / sum }));
  };
  /** identifyOnce's top k by a full sort (for a k that is not a positive whole number). */
  const bySort = (t: CentroidTable, v: ReturnType<typeof embed>): ActiveSkill[] => {
    const sims = t.dense.map((c, j) => ({ id: t.ids[j]!, sim: dotDense(v, c) }));
    sims.sort((a, b) => b.sim - a.sim || (a.id < b.id ? -1 : 1));
    const best = sims[0]!.sim;
    if (!(best > 0)) return [];
    const top = sims.slice(0, k).map((s) => ({ id: s.id, w: Math.exp((s.sim - best) / tau) }));
    const total = top.reduce((a, s) => a + s.w, 0);
    const kept = top.filter((s) => s.w / total >= minWeight);
    const sum = kept.reduce((a, s) => a + s.w, 0);
    return kept.map((s) => ({ id: s.id, weight: s.w / sum }));
  };
  const identifier: SkillIdentifier = {
    method: (mode) => (tableOf(mode) ? "centroid" : hasSkills(mode) ? "lexical" : "none"),
    identify(text, mode) {
      let byMode = identified.get(mode);
      if (!byMode) identified.set(mode, (byMode = new Map()));
      let found = byMode.get(text);
      if (!found) {
        found = identifyOnce(text, mode);
        if (byMode.size >= IDENTIFIED_MAX) byMode.clear();
        byMode.set(text, found);
      }
      return found.map((s) => ({ id: s.id, weight: s.weight }));
    },
  };
  byKey.set(key, identifier);
  return identifier;
}

/**
 * What selection needs of a step's text: its active skills and, when the handbook uses the neighbours estimator,
 * the local evidence of its nearest labelled queries. Spread into selectAgent's options.
 */
export function stepSkills(
  h: Handbook,
  identifier: SkillIdentifier,
  text: string,
  mode: Mode,
): { skills: ActiveSkill[]; local?: LocalEvidence } {
  const skills = identifier.identify(text, mode);
  const local = localEvidence(h, text, mode, skills);
  return local ? { skills, local } : { skills };
}
