import type { Handbook, Skill } from "../../handbook/schema.js";
import type { Mode } from "../core/modes.js";
import { clusterSkills, taskSkills, textCorpus, type TextCorpus } from "./discover.js";
import type { QueryItem } from "./queries.js";

/**
 * The skills of select's text candidates: flat text clusterings of each mode's training queries at several k, and
 * one skill per task. A pure function of the text models, the training queries and three settings (select's
 * extraCandidates profiles a handbook on each set).
 */

/** Cluster counts tried for the text-clustering candidates (each kept while every cluster can hold minCount). */
export const CLUSTER_KS: readonly number[] = [2, 3, 4, 6, 8, 12];

/** A candidate's skills: `clusters-K` or `tasks`, over every mode with a text model and training queries. */
export interface SkillSet {
  id: string;
  skills: Skill[];
}

/** What the skill sets depend on besides the text models and the training queries. */
export interface SkillSetSettings {
  seed: string | number;
  minCount: number;
  examples?: number;
}

/** The modes select clusters: those with a text model and training queries. */
export function clusteredModes(text: Handbook["text"], train: readonly QueryItem[]): Mode[] {
  return (Object.keys(text ?? {}) as Mode[]).filter((m) => train.some((i) => i.mode === m));
}

export function textSkillSets(text: Handbook["text"], train: readonly QueryItem[], s: SkillSetSettings): SkillSet[] {
  const modes = clusteredModes(text, train);
  if (modes.length === 0) return [];
  // Each mode's training queries are read once for every clustering of them.
  const byMode = new Map(modes.map((m) => [m, train.filter((i) => i.mode === m)] as const));
  const corpora = new Map<Mode, TextCorpus>();
  const corpusOf = (m: Mode) => {
    let c = corpora.get(m);
    if (!c) corpora.set(m, (c = textCorpus(byMode.get(m)!, text![m]!)));
    return c;
  };
  const out: SkillSet[] = [];
  const add = (id: string, skillsOf: (mode: Mode, items: QueryItem[]) => Skill[]) => {
    const skills = modes.flatMap((m) => skillsOf(m, byMode.get(m)!));
    if (skills.length > 0) out.push({ id, skills });
  };
  const largest = Math.max(...modes.map((m) => byMode.get(m)!.length));
  for (const k of CLUSTER_KS) {
    if (k * s.minCount > largest) break;
    add(`clusters-${k}`, (mode, items) =>
      items.length >= k * s.minCount
        ? clusterSkills(mode, items, {
            k,
            seed: s.seed,
            model: text![mode]!,
            minSize: s.minCount,
            ...(s.examples !== undefined ? { examples: s.examples } : {}),
            corpus: corpusOf(mode),
          })
        : [],
    );
  }
  if (new Set(train.map((i) => i.task)).size > 1)
    add("tasks", (mode, items) => taskSkills(mode, items, text![mode]!, s.examples, corpusOf(mode)));
  return out;
}
