import MiniSearch from "minisearch";
import type { Mode } from "../src/modes.js";

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
 * (see `matcherFor`); `match` scores a text (the task and state summary) against every skill.
 */
export class SkillMatcher {
  private readonly index: MiniSearch<{ id: string; mode: Mode; name: string; description: string; indicators: string; examples: string }>;
  private readonly modeOf = new Map<string, Mode>();

  constructor(skills: readonly MatchableSkill[]) {
    this.index = new MiniSearch({
      fields: ["name", "description", "indicators", "examples"],
      storeFields: [],
      searchOptions: { boost: { indicators: 3, name: 2, description: 1, examples: 1 }, combineWith: "OR" },
    });
    this.index.addAll(
      skills.map((s) => {
        this.modeOf.set(s.id, s.mode);
        return {
          id: s.id,
          mode: s.mode,
          name: s.name.replace(/[._]/g, " "),
          description: s.description,
          indicators: s.indicators.join(" \n "),
          examples: s.examples.join(" \n "),
        };
      }),
    );
  }

  /** Every skill with a positive score for `text`, best first, optionally only those of one mode. */
  match(text: string, mode?: Mode): SkillMatch[] {
    const hits = this.index.search(text, mode ? { filter: (r) => this.modeOf.get(String(r.id)) === mode } : undefined);
    return hits.map((h) => ({ id: String(h.id), mode: this.modeOf.get(String(h.id))!, score: h.score }));
  }
}

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

const cache = new WeakMap<object, SkillMatcher>();

/** The matcher for a skill set, built on first use and cached for as long as the owning object lives. */
export function matcherFor(owner: object, skills: () => readonly MatchableSkill[]): SkillMatcher {
  let m = cache.get(owner);
  if (!m) {
    m = new SkillMatcher(skills());
    cache.set(owner, m);
  }
  return m;
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
