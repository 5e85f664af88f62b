import MiniSearch from "minisearch";
import type { Mode } from "../src/core/modes.js";
import { minisearchTerms } from "./text.js";

/** What the lexical matcher needs of a skill. */
export interface MatchableSkill {
  id: string;
  mode: Mode;
  name: string;
  description: string;
  indicators: string[];
  examples: string[];
}

export interface SkillMatch {
  id: string;
  mode: Mode;
  score: number;
}

/**
 * A BM25 matcher over skills' names, descriptions, indicators and examples. Build it once per handbook
 * (see `handbookMatcher`); `match` scores a text (the task and state summary) against every skill.
 *
 * Scores are minisearch's own (an OR query: the sum of each query term's BM25 score over the boosted fields,
 * times the number of distinct query terms the skill matched), computed from a per-term cache: each distinct
 * term is searched in the index once, and a text's score is assembled from its terms' cached scores. This gives
 * the ranking and scores of `MiniSearch.search` (ties broken by skill id) at a small fraction of the cost, which
 * matters when learning identifies thousands of traces against many candidate handbooks.
 */
export class SkillMatcher {
  private readonly index: MiniSearch<{
    id: string;
    mode: Mode;
    name: string;
    description: string;
    indicators: string;
    examples: string;
  }>;
  private readonly ids: string[] = [];
  private readonly modes: Mode[] = [];
  private readonly slot = new Map<string, number>();
  /** Per term: [skill slot, score] pairs, as minisearch scores a one-term query. */
  private readonly termScores = new Map<string, ReadonlyArray<readonly [number, number]>>();
  /** Every term in the index (a query term outside it scores nothing and is not searched). */
  private readonly vocabulary = new Set<string>();

  constructor(skills: readonly MatchableSkill[]) {
    this.index = new MiniSearch({
      fields: ["name", "description", "indicators", "examples"],
      storeFields: [],
      searchOptions: { boost: { indicators: 3, name: 2, description: 1, examples: 1 }, combineWith: "OR" },
    });
    const docs = skills.map((s) => {
      this.slot.set(s.id, this.ids.length);
      this.ids.push(s.id);
      this.modes.push(s.mode);
      return {
        id: s.id,
        mode: s.mode,
        name: s.name.replace(/[._]/g, " "),
        description: s.description,
        indicators: s.indicators.join(" \n "),
        examples: s.examples.join(" \n "),
      };
    });
    this.index.addAll(docs);
    for (const d of docs)
      for (const field of [d.name, d.description, d.indicators, d.examples])
        for (const t of minisearchTerms(field)) this.vocabulary.add(t);
  }

  private scoresOf(term: string): ReadonlyArray<readonly [number, number]> {
    let s = this.termScores.get(term);
    if (!s) {
      if (!this.vocabulary.has(term)) return NO_SCORES;
      s = this.index.search(term).map((h) => [this.slot.get(String(h.id))!, h.score] as const);
      this.termScores.set(term, s);
    }
    return s;
  }

  /** Every skill with a positive score for `text`, best first (ties by id), optionally only those of one mode. */
  match(text: string, mode?: Mode): SkillMatch[] {
    const n = this.ids.length;
    const sum = new Float64Array(n);
    const quality = new Int32Array(n);
    for (const [term, count] of termCounts(text)) {
      for (const [i, score] of this.scoresOf(term)) {
        sum[i]! += count * score;
        quality[i]!++;
      }
    }
    const out: SkillMatch[] = [];
    for (let i = 0; i < n; i++) {
      if (quality[i]! === 0 || (mode !== undefined && this.modes[i] !== mode)) continue;
      out.push({ id: this.ids[i]!, mode: this.modes[i]!, score: sum[i]! * quality[i]! });
    }
    return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/**
 * Distinct terms of a query text with their counts, cached by text (tokenizing does not depend on the skills, and
 * learning scores the same texts against many candidate handbooks). The cache is dropped when it grows large.
 */
function termCounts(text: string): ReadonlyArray<readonly [string, number]> {
  let tc = TERM_CACHE.get(text);
  if (!tc) {
    const counts = new Map<string, number>();
    for (const t of minisearchTerms(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    tc = [...counts];
    if (TERM_CACHE.size >= TERM_CACHE_MAX) TERM_CACHE.clear();
    TERM_CACHE.set(text, tc);
  }
  return tc;
}

const TERM_CACHE = new Map<string, ReadonlyArray<readonly [string, number]>>();
const TERM_CACHE_MAX = 50_000;

const NO_SCORES: ReadonlyArray<readonly [number, number]> = [];

/**
 * The skills a step can be identified with: the leaves of the hierarchy (a skill with children is described by
 * them; a category with no skills is itself a leaf). Learning and the orchestrator both identify against these.
 */
export function leafSkills<S extends MatchableSkill>(skills: Readonly<Record<string, S>> | readonly S[]): S[] {
  const list = Array.isArray(skills) ? (skills as readonly S[]) : Object.values(skills as Record<string, S>);
  const parents = new Set<string>();
  for (const s of list) {
    const dot = s.id.lastIndexOf(".");
    if (dot > 0) parents.add(s.id.slice(0, dot));
  }
  return list.filter((s) => !parents.has(s.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The matcher over a handbook's leaf skills, cached for as long as the handbook object lives. */
export function handbookMatcher(h: { skills: Readonly<Record<string, MatchableSkill>> }): SkillMatcher {
  let m = leafCache.get(h);
  if (!m) {
    m = new SkillMatcher(leafSkills(h.skills));
    leafCache.set(h, m);
  }
  return m;
}

const leafCache = new WeakMap<object, SkillMatcher>();

/**
 * Turn matches into active-skill weights summing to 1: keep the top `k` whose score is at least
 * `minShare` of the best, weight proportional to score.
 */
export function skillWeights(matches: readonly SkillMatch[], k = 3, minShare = 0.25): { id: string; weight: number }[] {
  const top = matches[0]?.score ?? 0;
  if (top <= 0) return [];
  const kept = matches.slice(0, k).filter((m) => m.score >= minShare * top);
  const total = kept.reduce((s, m) => s + m.score, 0);
  return kept.map((m) => ({ id: m.id, weight: m.score / total }));
}
