import seedrandom from "seedrandom";
import { InputError } from "../../core/errors.js";
import type { ReplayTable, RouteQuery, Router } from "../replay.js";
import type { TfidfVector } from "../tfidf.js";
import { chooseByValue, costModel, type CostModel, type ValuedChoice } from "./cost.js";
import { dotTfidf, textFeatures, type TextFeatures } from "./features.js";

/**
 * Per-cluster best agent: a query is placed in a group of train queries from its text alone, then routed to the
 * group's best agent by mean train score − λ·Ĉ (the shared cost model). Two ways to form the groups:
 *
 * - `perClusterByTask`: the train records' task labels; a query goes to the task whose TF-IDF centroid is the
 *   most similar (cosine);
 * - `perClusterKMeans`: no labels; spherical k-means over the train texts' TF-IDF vectors (k-means++ start,
 *   seeded), a query going to the most similar centroid.
 *
 * A query sharing no term with any centroid goes to the largest group (ties: the first).
 */

export interface ClusterExplanation extends ValuedChoice {
  group: string;
  /** Train queries in the group. */
  members: number;
}

export interface ClusterRouter extends Router {
  /** Group names (task names, or `c0`, `c1`, … for k-means), non-empty groups only. */
  readonly groups: string[];
  groupOf(query: RouteQuery): string;
  explain(query: RouteQuery, lambda?: number): ClusterExplanation;
}

interface Group {
  name: string;
  members: number[];
  /** Unit-length centroid (dense over the train vocabulary). */
  centroid: Float64Array;
  /** Mean train score of each agent over the members holding a record of it. */
  meanScore: Map<string, number>;
}

function meanScores(table: ReplayTable, members: number[]): Map<string, number> {
  const acc = new Map<string, { n: number; s: number }>();
  for (const d of members)
    for (const [a, o] of table.outcomes.get(table.queries[d]!.id)!) {
      let x = acc.get(a);
      if (!x) acc.set(a, (x = { n: 0, s: 0 }));
      x.n++;
      x.s += o.score;
    }
  return new Map([...acc].map(([a, x]) => [a, x.s / x.n]));
}

function unitCentroid(vectors: TfidfVector[], members: number[], dims: number): Float64Array {
  const c = new Float64Array(dims);
  for (const d of members) {
    const v = vectors[d]!;
    for (let i = 0; i < v.terms.length; i++) c[v.terms[i]!]! += v.weights[i]!;
  }
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += c[i]! * c[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dims; i++) c[i]! /= norm;
  return c;
}

/** Index of the most similar centroid (ties: the first); -1 when no similarity is positive. */
function nearestGroup(v: TfidfVector, centroids: ReadonlyArray<Float64Array>): number {
  let best = -1;
  let bestSim = 0;
  for (let g = 0; g < centroids.length; g++) {
    const s = dotTfidf(v, centroids[g]!);
    if (s > bestSim) {
      bestSim = s;
      best = g;
    }
  }
  return best;
}

function clusterRouter(name: string, table: ReplayTable, features: TextFeatures, groups: Group[]): ClusterRouter {
  const cost: CostModel = costModel(table);
  let largest = 0;
  groups.forEach((g, i) => {
    if (g.members.length > groups[largest]!.members.length) largest = i;
  });
  const centroids = groups.map((g) => g.centroid);
  const groupIndex = (q: RouteQuery) => {
    const g = nearestGroup(features.vector(q.text), centroids);
    return g < 0 ? largest : g;
  };
  const explain = (q: RouteQuery, lambda = 0): ClusterExplanation => {
    const g = groups[groupIndex(q)]!;
    return { group: g.name, members: g.members.length, ...chooseByValue(name, g.meanScore, cost, lambda) };
  };
  return {
    name,
    groups: groups.map((g) => g.name),
    groupOf: (q) => groups[groupIndex(q)]!.name,
    explain,
    route: (q, lambda) => explain(q, lambda).chosen,
  };
}

/** Groups by the train records' task; a query joins the task with the nearest TF-IDF centroid. */
export function perClusterByTask(train: ReplayTable, opts: { name?: string } = {}): ClusterRouter {
  const features = textFeatures(train.queries.map((q) => q.text));
  const byTask = new Map<string, number[]>();
  train.queries.forEach((q, i) => {
    let m = byTask.get(q.task);
    if (!m) byTask.set(q.task, (m = []));
    m.push(i);
  });
  const groups = [...byTask.keys()].sort().map((task) => {
    const members = byTask.get(task)!;
    return {
      name: task,
      members,
      centroid: unitCentroid(features.train, members, features.dims),
      meanScore: meanScores(train, members),
    };
  });
  return clusterRouter(opts.name ?? "per-cluster-task", train, features, groups);
}

export interface KMeansClusterOptions {
  /** Number of clusters (default: the number of distinct train tasks). */
  k?: number;
  /** Seeds the k-means++ start (default 0). */
  seed?: number;
  /** Most Lloyd iterations (default 50; stops earlier when no assignment changes). */
  iterations?: number;
  name?: string;
}

/**
 * Spherical k-means of unit vectors: k-means++ start on the squared chord distance 2 − 2·cos (seeded), then
 * Lloyd iterations assigning each vector to the most similar unit centroid. Returns the members of each cluster
 * (empty clusters dropped) in cluster order. Deterministic for a seed.
 */
export function sphericalKMeans(
  vectors: TfidfVector[],
  dims: number,
  k: number,
  seed: number,
  iterations = 50,
): number[][] {
  const n = vectors.length;
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k-means: k must be a positive integer, got ${k}`);
  if (n === 0) return [];
  const kk = Math.min(k, n);
  const rng = seedrandom(`per-cluster-kmeans:${seed}`);
  const dense = (d: number) => {
    const c = new Float64Array(dims);
    const v = vectors[d]!;
    for (let i = 0; i < v.terms.length; i++) c[v.terms[i]!] = v.weights[i]!;
    return c;
  };
  const centroids: Float64Array[] = [dense(Math.floor(rng() * n))];
  const bestSim = vectors.map((v) => dotTfidf(v, centroids[0]!));
  while (centroids.length < kk) {
    let total = 0;
    const dist = bestSim.map((s) => Math.max(0, 2 - 2 * s));
    for (const x of dist) total += x;
    let pick = 0;
    if (total > 0) {
      let u = rng() * total;
      for (pick = 0; pick < n - 1; pick++) {
        u -= dist[pick]!;
        if (u < 0) break;
      }
    } else pick = Math.floor(rng() * n);
    const c = dense(pick);
    centroids.push(c);
    vectors.forEach((v, i) => {
      const s = dotTfidf(v, c);
      if (s > bestSim[i]!) bestSim[i] = s;
    });
  }
  let assign = new Int32Array(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    const next = new Int32Array(n);
    let changed = false;
    for (let i = 0; i < n; i++) {
      next[i] = Math.max(0, nearestGroup(vectors[i]!, centroids));
      if (next[i] !== assign[i]) changed = true;
    }
    assign = next;
    if (!changed) break;
    for (let g = 0; g < centroids.length; g++) {
      const members: number[] = [];
      for (let i = 0; i < n; i++) if (assign[i] === g) members.push(i);
      if (members.length > 0) centroids[g] = unitCentroid(vectors, members, dims);
    }
  }
  const out: number[][] = centroids.map(() => []);
  for (let i = 0; i < n; i++) out[assign[i]!]!.push(i);
  return out.filter((m) => m.length > 0);
}

/** Groups by spherical k-means of the train texts (no task labels); k defaults to the number of train tasks. */
export function perClusterKMeans(train: ReplayTable, opts: KMeansClusterOptions = {}): ClusterRouter {
  const features = textFeatures(train.queries.map((q) => q.text));
  const k = opts.k ?? new Set(train.queries.map((q) => q.task)).size;
  const clusters = sphericalKMeans(features.train, features.dims, k, opts.seed ?? 0, opts.iterations ?? 50);
  const groups = clusters.map((members, i) => ({
    name: `c${i}`,
    members,
    centroid: unitCentroid(features.train, members, features.dims),
    meanScore: meanScores(train, members),
  }));
  return clusterRouter(opts.name ?? "per-cluster-kmeans", train, features, groups);
}
