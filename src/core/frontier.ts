/**
 * The accuracy–cost Pareto frontier of a set of operating points (e.g. one router at each λ of a sweep) and the
 * area under it.
 */

export interface CostAccuracyPoint {
  /** Mean USD per query. */
  cost: number;
  accuracy: number;
  /** What produced the point (e.g. `λ=0.5`). */
  label?: string;
  lambda?: number;
}

/**
 * The non-dominated points: a point is dominated when another has cost <= and accuracy >= with at least one
 * strict. Returned by ascending cost (so accuracy strictly ascends too); of identical points the first is kept.
 * A point joins only if it beats the best accuracy so far by more than `tolerance` (default 0: any gain).
 */
export function paretoFrontier<P extends CostAccuracyPoint>(points: ReadonlyArray<P>, tolerance = 0): P[] {
  for (const p of points)
    if (!Number.isFinite(p.cost) || !Number.isFinite(p.accuracy))
      throw new RangeError(`frontier: point ${p.label ?? ""} is not finite`);
  const sorted = points
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.cost - b.p.cost || b.p.accuracy - a.p.accuracy || a.i - b.i);
  const out: P[] = [];
  let best = -Infinity;
  for (const { p } of sorted) {
    if (p.accuracy > best + tolerance) {
      out.push(p);
      best = p.accuracy;
    }
  }
  return out;
}

export interface AucRange {
  lo: number;
  hi: number;
}

/**
 * Normalised area under the frontier's accuracy–cost curve:
 *
 *   AUC = 1/(hi − lo) · ∫_lo^hi f(c) dc,   f(c) = max{ accuracy_i : cost_i <= c }  (0 when no point costs <= c)
 *
 * f is the best accuracy attainable by one of the points within a budget of c USD per query: a non-decreasing
 * step function, integrated exactly. Read AUC as the mean attainable accuracy over budgets spread uniformly on
 * [lo, hi]; it lies in [0, max accuracy]. Default range [0, the largest cost of the points]; compare AUCs of
 * different routers only over one shared range. When hi = lo the AUC is f(hi). Points beyond hi are ignored.
 */
export function frontierAuc(points: ReadonlyArray<CostAccuracyPoint>, range?: AucRange): number {
  if (points.length === 0) return 0;
  const frontier = paretoFrontier(points);
  const lo = range?.lo ?? 0;
  const hi = range?.hi ?? frontier[frontier.length - 1]!.cost;
  if (!(hi >= lo)) throw new RangeError(`frontier AUC: range hi (${hi}) below lo (${lo})`);
  const f = (c: number) => {
    let a = 0;
    for (const p of frontier) if (p.cost <= c) a = p.accuracy;
    return a;
  };
  if (hi === lo) return f(hi);
  let area = 0;
  for (let i = 0; i < frontier.length; i++) {
    const from = Math.max(lo, frontier[i]!.cost);
    const to = Math.min(hi, i + 1 < frontier.length ? frontier[i + 1]!.cost : Infinity);
    if (to > from) area += frontier[i]!.accuracy * (to - from);
  }
  return area / (hi - lo);
}
