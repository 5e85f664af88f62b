import type { Skill } from "../../handbook/schema.js";
import type { Mode } from "../modes.js";
import { describeCluster, type ClusterDescription } from "./describe.js";
import { kmeans } from "./kmeans.js";
import type { LlmCall } from "./log.js";
import type { QueryItem } from "./queries.js";
import { profileTest, type OutcomeTable } from "./stats.js";
import { fitVectorizer, tokenizeAll, vectorize, type SparseVector } from "./vectors.js";

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
}

/** Finds a hierarchy of skills for a mode from training routing points. */
export interface Discoverer {
  readonly kind: "statistical" | "llm";
  discover(input: DiscoverInput): Promise<DiscoverOutput>;
}

export interface StatisticalOptions {
  /** Categories per mode: at least (when the data allow) and at most. Default 3..6. */
  minCategories?: number;
  maxCategories?: number;
  /** Skills per category: at most (a category keeps one skill when no split is significant). Default 4. */
  maxSkills?: number;
  /** Significance level of the outcome-profile test that keeps a split. Default 0.01. */
  alpha?: number;
  /** Minimum routing points on each side of a split. Default 8. */
  minSize?: number;
  /** Example queries kept per skill (nearest the centroid first). Default 20. */
  examples?: number;
  /** Indicators (distinctive terms) per skill. Default 8. */
  indicators?: number;
  /** Structure-feature weight in the clustering vectors. Default 0.25. */
  structureWeight?: number;
}

/** Per-item outcome vectors: success and failure mass per agent (acted agents only). */
export function outcomeMatrix(items: readonly QueryItem[], agents: readonly string[]): { s: Float64Array[]; f: Float64Array[] } {
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
export function tableOf(groups: readonly (readonly number[])[], m: { s: Float64Array[]; f: Float64Array[] }, nAgents: number): OutcomeTable {
  const successes = groups.map((g) => {
    const row = new Array<number>(nAgents).fill(0);
    for (const i of g) m.s[i]!.forEach((x, j) => (row[j]! += x));
    return row;
  });
  const failures = groups.map((g) => {
    const row = new Array<number>(nAgents).fill(0);
    for (const i of g) m.f[i]!.forEach((x, j) => (row[j]! += x));
    return row;
  });
  return { successes, failures };
}

interface Bisection {
  parts: [number[], number[]];
  p: number;
}

/**
 * Bisecting k-means with an outcome test: repeatedly bisect (2-means on the text vectors) the group whose
 * bisection has the most significant difference in agents' outcome profiles; stop at `max` groups or when no
 * bisection is significant at `alpha` (but keep bisecting, on text alone, up to `min` groups while the sizes allow).
 */
export function bisect(
  members: readonly number[],
  points: readonly SparseVector[],
  dims: number,
  outcomes: { s: Float64Array[]; f: Float64Array[] },
  nAgents: number,
  opts: { min: number; max: number; alpha: number; minSize: number; seed: string },
): number[][] {
  const groups: number[][] = [[...members]];
  const cache = new Map<number[], Bisection | null>();
  const tryBisect = (g: number[], salt: number): Bisection | null => {
    if (cache.has(g)) return cache.get(g)!;
    let result: Bisection | null = null;
    if (g.length >= 2 * opts.minSize) {
      const km = kmeans(
        g.map((i) => points[i]!),
        2,
        dims,
        { seed: `${opts.seed}:${salt}:${g.length}` },
      );
      const parts: [number[], number[]] = [[], []];
      g.forEach((i, k) => parts[km.assignment[k] === 1 ? 1 : 0].push(i));
      if (parts[0].length >= opts.minSize && parts[1].length >= opts.minSize) {
        result = { parts, p: profileTest(tableOf(parts, outcomes, nAgents)).p };
      }
    }
    cache.set(g, result);
    return result;
  };
  let salt = 0;
  while (groups.length < opts.max) {
    let best = -1;
    let bestP = Infinity;
    let bestSize = -1;
    groups.forEach((g, gi) => {
      const b = tryBisect(g, salt++);
      if (!b) return;
      if (b.p < bestP || (b.p === bestP && g.length > bestSize)) {
        best = gi;
        bestP = b.p;
        bestSize = g.length;
      }
    });
    if (best < 0) break;
    if (!(bestP < opts.alpha) && groups.length >= opts.min) break;
    const b = cache.get(groups[best]!)!;
    groups.splice(best, 1, b.parts[0], b.parts[1]);
  }
  // Largest first, ties by first member, for stable ids.
  return groups.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
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
): Skill {
  return {
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
    minCategories: opts.minCategories ?? 3,
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
      const docs = tokenizeAll(texts);
      const v = fitVectorizer(docs, opts.structureWeight !== undefined ? { structureWeight: opts.structureWeight } : {});
      const points = docs.map((d, i) => vectorize(v, d, texts[i]!));
      const outcomes = outcomeMatrix(items, agents);
      const all = items.map((_, i) => i);
      const total = 1 + o.maxCategories;
      input.onProgress?.(0, total);
      const categories = bisect(all, points, v.dims, outcomes, agents.length, {
        min: o.minCategories,
        max: o.maxCategories,
        alpha: o.alpha,
        minSize: o.minSize,
        seed: `${input.seed}:${mode}:categories`,
      });
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
        skills.push(skillOf(catId, mode, catDesc, at, undefined, catDesc.memberIds));
        const parts = bisect(cat, points, v.dims, outcomes, agents.length, {
          min: 1,
          max: o.maxSkills,
          alpha: o.alpha,
          minSize: o.minSize,
          seed: `${input.seed}:${mode}:${catId}`,
        });
        let nextSkill = 0;
        for (const part of parts) {
          nextSkill = freeIndex(taken, catId, "skill", nextSkill);
          const id = `${catId}.skill_${nextSkill++}`;
          taken.add(id);
          const d = parts.length === 1 ? catDesc : describeCluster(part, all, ctx);
          skills.push(skillOf(id, mode, d, at, catId, d.memberIds));
        }
        input.onProgress?.(2 + ci, total);
      });
      input.onProgress?.(total, total);
      return { skills, calls: [] };
    },
  };
}
