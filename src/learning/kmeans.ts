import seedrandom from "seedrandom";
import { dotDense, type SparseVector } from "../../handbook/text.js";

/**
 * Seeded spherical k-means (cosine similarity) over unit-length sparse vectors, k-means++ initialisation.
 * Deterministic for a seed.
 */

export interface KMeansResult {
  /** Cluster of each point, 0..k-1 (empty clusters are dropped and the rest renumbered). */
  assignment: Int32Array;
  /** Unit-length dense centroids. */
  centroids: Float64Array[];
  /** Number of points per cluster. */
  sizes: number[];
}

export interface KMeansOptions {
  seed: string | number;
  maxIterations?: number;
}

function addTo(dense: Float64Array, v: SparseVector, scale = 1): void {
  for (let i = 0; i < v.idx.length; i++) dense[v.idx[i]!]! += scale * v.val[i]!;
}

function normalise(dense: Float64Array): void {
  let s = 0;
  for (let i = 0; i < dense.length; i++) s += dense[i]! * dense[i]!;
  s = Math.sqrt(s);
  if (s > 0) for (let i = 0; i < dense.length; i++) dense[i]! /= s;
}

/** Cosine distance-squared proxy for unit vectors: 2 − 2·cos. */
function dist(v: SparseVector, c: Float64Array): number {
  return Math.max(0, 2 - 2 * dotDense(v, c));
}

export function kmeans(points: readonly SparseVector[], k: number, dims: number, opts: KMeansOptions): KMeansResult {
  const n = points.length;
  if (n === 0) return { assignment: new Int32Array(0), centroids: [], sizes: [] };
  k = Math.max(1, Math.min(k, n));
  const rng = seedrandom(String(opts.seed));
  // k-means++ seeding.
  const centroids: Float64Array[] = [];
  const first = Math.floor(rng() * n);
  const seedC = new Float64Array(dims);
  addTo(seedC, points[first]!);
  centroids.push(seedC);
  const d2 = new Float64Array(n).fill(Infinity);
  while (centroids.length < k) {
    const last = centroids[centroids.length - 1]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i]!, dist(points[i]!, last));
      total += d2[i]!;
    }
    if (!(total > 0)) break;
    let u = rng() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i]!;
      if (u <= 0) {
        pick = i;
        break;
      }
    }
    const c = new Float64Array(dims);
    addTo(c, points[pick]!);
    centroids.push(c);
  }
  const assignment = new Int32Array(n).fill(-1);
  const maxIterations = opts.maxIterations ?? 30;
  for (let iter = 0; iter < maxIterations; iter++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestSim = -Infinity;
      // dotDense with each centroid, inlined (the same sums in the same order).
      const { idx, val } = points[i]!;
      const len = idx.length;
      for (let j = 0; j < centroids.length; j++) {
        const c = centroids[j]!;
        let s = 0;
        for (let t = 0; t < len; t++) s += val[t]! * c[idx[t]!]!;
        if (s > bestSim) {
          bestSim = s;
          best = j;
        }
      }
      if (assignment[i] !== best) {
        assignment[i] = best;
        changed++;
      }
    }
    if (changed === 0 && iter > 0) break;
    for (const c of centroids) c.fill(0);
    for (let i = 0; i < n; i++) addTo(centroids[assignment[i]!]!, points[i]!);
    for (const c of centroids) normalise(c);
  }
  // Drop empty clusters and renumber.
  const counts = new Array<number>(centroids.length).fill(0);
  for (let i = 0; i < n; i++) counts[assignment[i]!]!++;
  const remap = new Int32Array(centroids.length).fill(-1);
  const kept: Float64Array[] = [];
  const sizes: number[] = [];
  counts.forEach((c, j) => {
    if (c > 0) {
      remap[j] = kept.length;
      kept.push(centroids[j]!);
      sizes.push(c);
    }
  });
  for (let i = 0; i < n; i++) assignment[i] = remap[assignment[i]!]!;
  return { assignment, centroids: kept, sizes };
}

/** Index of the point closest to a centroid among `members`, sorted by similarity, best first. */
export function nearest(points: readonly SparseVector[], members: readonly number[], centroid: Float64Array): number[] {
  return members
    .map((i) => [i, dotDense(points[i]!, centroid)] as const)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([i]) => i);
}
