import type { Skill } from "../../handbook/schema.js";
import type { Mode } from "../core/modes.js";
import { describeCluster, type ClusterDescription, type DescribeFrequencies } from "./describe.js";
import { kmeans } from "./kmeans.js";
import type { LlmCall } from "./log.js";
import type { QueryItem } from "./queries.js";
import { profileTest, type OutcomeTable } from "./stats.js";
import { centroidOf, type TextModel } from "../../handbook/text.js";
import { dotDense, textVectors, type SparseVector, type TextVectors } from "./vectors.js";

/** What a discoverer is given for one mode. */
export interface DiscoverInput {
  mode: Mode;
  /** Training routing points of this mode. */
  items: readonly QueryItem[];
  /** Agents serving the mode (sorted). */
  agents: readonly string[];
  /** Skills already in the handbook (new ones must not repeat their ids). */
  existing: readonly Skill[];
  seed: string | number;
  /** Called as work is done (units are the discoverer's own). */
  onProgress?: (done: number, total: number) => void;
}

export interface DiscoverOutput {
  /** Categories (depth 1) and skills (depth 2) of the mode, in the handbook schema. */
  skills: Skill[];
  /** Learning-model calls made (none for the statistical discoverer). */
  calls: LlmCall[];
  /** The mode's text model the skills' centroids live in (absent: the skills carry no centroids). */
  text?: TextModel;
}

/** Finds a hierarchy of skills for a mode from training routing points. */
export interface Discoverer {
  readonly kind: "statistical" | "llm";
  discover(input: DiscoverInput): Promise<DiscoverOutput>;
}

export interface StatisticalOptions {
  /** Categories per mode (seeded k-means on the text; fewer when there are too few routing points). Default 6. */
  maxCategories?: number;
  /** Skills per category: at most. Default 4. */
  maxSkills?: number;
  /** Significance level of the outcome-profile test that keeps a split of a category. Default 0.01. */
  alpha?: number;
  /** Minimum routing points of a skill. Default 8. */
  minSize?: number;
  /** Example queries kept per skill (nearest the centroid first). Default 20. */
  examples?: number;
  /** Indicators (distinctive terms) per skill. Default 8. */
  indicators?: number;
  /** Structure-feature weight in the clustering vectors. Default 0.25. */
  structureWeight?: number;
  /** Dissolve categories with fewer than `minSize` routing points into their nearest category. Default true. */
  absorbSmall?: boolean;
}

/** Per-item outcome vectors: success and failure mass per agent (acted agents only). */
export function outcomeMatrix(
  items: readonly QueryItem[],
  agents: readonly string[],
): { s: Float64Array[]; f: Float64Array[] } {
  const col = new Map(agents.map((a, j) => [a, j]));
  const s: Float64Array[] = [];
  const f: Float64Array[] = [];
  for (const it of items) {
    const si = new Float64Array(agents.length);
    const fi = new Float64Array(agents.length);
    for (const o of it.outcomes) {
      const j = col.get(o.agent);
      if (j === undefined || !o.acted) continue;
      si[j]! += o.score;
      fi[j]! += 1 - o.score;
    }
    s.push(si);
    f.push(fi);
  }
  return { s, f };
}

/** The group × agent outcome table of some groups of items. */
export function tableOf(
  groups: readonly (readonly number[])[],
  m: { s: Float64Array[]; f: Float64Array[] },
  nAgents: number,
): OutcomeTable {
  const sums = (per: Float64Array[]) =>
    groups.map((g) => {
      const row = new Array<number>(nAgents).fill(0);
      for (const i of g)
        per[i]!.forEach((x, j) => {
          row[j]! += x;
        });
      return row;
    });
  return { successes: sums(m.s), failures: sums(m.f) };
}

/** Partition `members` with seeded k-means on their text vectors; parts largest first. */
function partition(
  members: readonly number[],
  points: readonly SparseVector[],
  dims: number,
  k: number,
  seed: string,
): number[][] {
  const km = kmeans(
    members.map((i) => points[i]!),
    k,
    dims,
    { seed },
  );
  const parts: number[][] = km.sizes.map(() => []);
  members.forEach((i, j) => {
    parts[km.assignment[j]!]!.push(i);
  });
  return parts.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}

/**
 * Dissolve parts smaller than `minSize` (k-means on a few sparse text vectors tends to give outliers clusters of
 * their own): the smallest such part goes first, each of its members joining the remaining part whose centroid is
 * the most similar; repeat until every part has at least `minSize` members or one part is left. Largest first.
 */
export function absorbSmallParts(
  parts: readonly (readonly number[])[],
  points: readonly SparseVector[],
  dims: number,
  minSize: number,
): number[][] {
  const out = parts.map((p) => [...p]).filter((p) => p.length > 0);
  for (;;) {
    if (out.length <= 1) break;
    let small = -1;
    for (let j = 0; j < out.length; j++)
      if (out[j]!.length < minSize && (small < 0 || out[j]!.length < out[small]!.length)) small = j;
    if (small < 0) break;
    const members = out.splice(small, 1)[0]!;
    const centroids = out.map((p) => {
      const c = new Float64Array(dims);
      for (const i of p) {
        const v = points[i]!;
        for (let k = 0; k < v.idx.length; k++) c[v.idx[k]!]! += v.val[k]!;
      }
      return c;
    });
    const norms = centroids.map((c) => Math.sqrt(c.reduce((a, x) => a + x * x, 0)) || 1);
    for (const i of members) {
      let best = 0;
      let bestSim = -Infinity;
      centroids.forEach((c, j) => {
        const sim = dotDense(points[i]!, c) / norms[j]!;
        if (sim > bestSim) {
          bestSim = sim;
          best = j;
        }
      });
      out[best]!.push(i);
    }
  }
  for (const p of out) p.sort((a, b) => a - b);
  return out.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}

/**
 * Split a category into skills: try k = maxSkills, …, 2 sub-clusters (seeded k-means on the text vectors, every
 * part at least `minSize`) and keep the first split whose parts' agent outcome profiles differ significantly
 * (G-test at `alpha`); otherwise the category is one skill.
 */
export function skillsOfCategory(
  members: readonly number[],
  points: readonly SparseVector[],
  dims: number,
  outcomes: { s: Float64Array[]; f: Float64Array[] },
  nAgents: number,
  opts: { maxSkills: number; alpha: number; minSize: number; seed: string },
): { parts: number[][]; p: number } {
  for (let k = Math.min(opts.maxSkills, Math.floor(members.length / opts.minSize)); k >= 2; k--) {
    const parts = partition(members, points, dims, k, `${opts.seed}:${k}`);
    if (parts.length < 2 || parts.some((p) => p.length < opts.minSize)) continue;
    const p = profileTest(tableOf(parts, outcomes, nAgents)).p;
    if (p < opts.alpha) return { parts, p };
  }
  return { parts: [[...members]], p: 1 };
}

/** The first free `prefix_N` segment not used by an existing skill id. */
function freeIndex(existing: ReadonlySet<string>, base: string, prefix: string, start: number): number {
  let i = start;
  while (existing.has(`${base}.${prefix}_${i}`)) i++;
  return i;
}

function skillOf(
  id: string,
  mode: Mode,
  d: ClusterDescription,
  at: string,
  parent: string | undefined,
  discoveredFrom: string[],
  centroid?: Record<string, number>,
): Skill {
  return {
    ...(centroid ? { centroid } : {}),
    id,
    name: d.name,
    description: d.description,
    indicators: d.indicators,
    examples: d.examples,
    mode,
    ...(parent !== undefined ? { parent } : {}),
    provenance: { discoveredFrom, history: [{ op: "discover", from: [], at, note: "statistical discoverer" }] },
  };
}

/** The statistical discoverer: text clusters kept only where the agents' outcome profiles differ. No LLM. */
export function statisticalDiscoverer(opts: StatisticalOptions = {}): Discoverer {
  const o = {
    maxCategories: opts.maxCategories ?? 6,
    maxSkills: opts.maxSkills ?? 4,
    alpha: opts.alpha ?? 0.01,
    minSize: opts.minSize ?? 8,
    examples: opts.examples ?? 20,
    indicators: opts.indicators ?? 8,
  };
  return {
    kind: "statistical",
    async discover(input: DiscoverInput): Promise<DiscoverOutput> {
      const { mode, items, agents } = input;
      if (items.length === 0) return { skills: [], calls: [] };
      const at = new Date().toISOString();
      const texts = items.map((i) => i.text);
      const v = textVectors(
        texts,
        undefined,
        opts.structureWeight !== undefined ? { structureWeight: opts.structureWeight } : {},
      );
      const { docs, points } = v;
      const centroid = (members: readonly number[]) =>
        centroidOf(
          v.model,
          members.map((i) => points[i]!),
        );
      const outcomes = outcomeMatrix(items, agents);
      const all = items.map((_, i) => i);
      const nCategories = Math.max(1, Math.min(o.maxCategories, Math.floor(items.length / (2 * o.minSize))));
      let categories = partition(all, points, v.dims, nCategories, `${input.seed}:${mode}:categories`);
      if (opts.absorbSmall ?? true) categories = absorbSmallParts(categories, points, v.dims, o.minSize);
      const total = categories.length + 1;
      input.onProgress?.(1, total);
      const taken = new Set(input.existing.map((s) => s.id));
      const skills: Skill[] = [];
      const ctx = { docs, points, texts, items, dims: v.dims, examples: o.examples, indicators: o.indicators };
      let nextCat = 0;
      categories.forEach((cat, ci) => {
        nextCat = freeIndex(taken, mode, "cat", nextCat);
        const catId = `${mode}.cat_${nextCat++}`;
        taken.add(catId);
        const catDesc = describeCluster(cat, all, ctx);
        skills.push(skillOf(catId, mode, catDesc, at, undefined, catDesc.memberIds, centroid(cat)));
        const { parts } = skillsOfCategory(cat, points, v.dims, outcomes, agents.length, {
          maxSkills: o.maxSkills,
          alpha: o.alpha,
          minSize: o.minSize,
          seed: `${input.seed}:${catId}`,
        });
        let nextSkill = 0;
        for (const part of parts) {
          nextSkill = freeIndex(taken, catId, "skill", nextSkill);
          const id = `${catId}.skill_${nextSkill++}`;
          taken.add(id);
          const d = parts.length === 1 ? catDesc : describeCluster(part, all, ctx);
          skills.push(skillOf(id, mode, d, at, catId, d.memberIds, centroid(part)));
        }
        input.onProgress?.(2 + ci, total);
      });
      input.onProgress?.(total, total);
      return { skills, calls: [], text: v.model };
    },
  };
}

/**
 * A mode's training queries read once for several clusterings of them (select's candidates): their vectors in the
 * mode's text model, and the frequencies the naming contexts share.
 */
export interface TextCorpus {
  items: readonly QueryItem[];
  model: TextModel;
  texts: string[];
  vectors: TextVectors;
  all: number[];
  shared: DescribeFrequencies;
}

export function textCorpus(items: readonly QueryItem[], model: TextModel): TextCorpus {
  const texts = items.map((i) => i.text);
  return { items, model, texts, vectors: textVectors(texts, model), all: items.map((_, i) => i), shared: {} };
}

/** The given corpus when it is of these items and this model, else a new one. */
function corpusOf(items: readonly QueryItem[], model: TextModel, given?: TextCorpus): TextCorpus {
  return given && given.items === items && given.model === model ? given : textCorpus(items, model);
}

export interface ClusterOptions {
  /** Clusters wanted (fewer when parts below `minSize` are absorbed). */
  k: number;
  seed: string | number;
  /** The mode's text model (the full handbook's, so every candidate reads text the same way). */
  model: TextModel;
  minSize: number;
  examples?: number;
  indicators?: number;
  /** Id prefix of the clusters within the mode (default `k<k>`): `answer.k3_0`, … */
  prefix?: string;
  /** The items read once (textCorpus of the same items and model), shared with other clusterings. */
  corpus?: TextCorpus;
}

/**
 * A flat text clustering of a mode's training queries as categories with centroids (no skills below them): the
 * per-cluster candidate that select weighs against finer and coarser views. Seeded k-means; no outcome is used.
 */
export function clusterSkills(mode: Mode, items: readonly QueryItem[], opts: ClusterOptions): Skill[] {
  if (items.length === 0) return [];
  const corpus = corpusOf(items, opts.model, opts.corpus);
  const { texts, all } = corpus;
  const v = corpus.vectors;
  let parts = partition(
    all,
    v.points,
    v.dims,
    Math.max(1, Math.min(opts.k, items.length)),
    `${opts.seed}:${mode}:flat:${opts.k}`,
  );
  parts = absorbSmallParts(parts, v.points, v.dims, opts.minSize);
  const at = new Date().toISOString();
  const ctx = {
    docs: v.docs,
    points: v.points,
    texts,
    items,
    dims: v.dims,
    examples: opts.examples ?? 20,
    indicators: opts.indicators ?? 8,
    shared: corpus.shared,
  };
  const prefix = opts.prefix ?? `k${opts.k}`;
  return parts.map((part, j) => {
    const d = describeCluster(part, all, ctx);
    const skill = skillOf(
      `${mode}.${prefix}_${j}`,
      mode,
      d,
      at,
      undefined,
      d.memberIds,
      centroidOf(
        opts.model,
        part.map((i) => v.points[i]!),
      ),
    );
    skill.provenance.history[0]!.note = `text clustering, k = ${opts.k}`;
    return skill;
  });
}

/**
 * One skill per task of the training queries (the records' task names), each with the centroid of its queries: a
 * per-task candidate whose skills are still identified from the text alone at inference.
 */
export function taskSkills(
  mode: Mode,
  items: readonly QueryItem[],
  model: TextModel,
  examples = 20,
  given?: TextCorpus,
): Skill[] {
  if (items.length === 0) return [];
  const tasks = [...new Set(items.map((i) => i.task))].sort();
  if (tasks.length < 2) return [];
  const corpus = corpusOf(items, model, given);
  const { texts, all } = corpus;
  const v = corpus.vectors;
  const at = new Date().toISOString();
  const ctx = {
    docs: v.docs,
    points: v.points,
    texts,
    items,
    dims: v.dims,
    examples,
    indicators: 8,
    shared: corpus.shared,
  };
  return tasks.map((task, j) => {
    const part = all.filter((i) => items[i]!.task === task);
    const d = describeCluster(part, all, ctx);
    const skill = skillOf(
      `${mode}.task_${j}`,
      mode,
      { ...d, name: task, description: `${task} queries (${part.length} in training); ${d.description}` },
      at,
      undefined,
      d.memberIds,
      centroidOf(
        model,
        part.map((i) => v.points[i]!),
      ),
    );
    skill.provenance.history[0]!.note = `task ${task}`;
    return skill;
  });
}
