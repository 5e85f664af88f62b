import type { QueryItem } from "./queries.js";
import { FEATURE_TEXT, STRUCTURE_FEATURES, structure } from "./text.js";
import { dotDense, type SparseVector } from "./vectors.js";

/** How a cluster of queries is described: readable name, distinctive terms, typical queries. */
export interface ClusterDescription {
  name: string;
  description: string;
  /** Distinctive terms (they become the skill's indicators). */
  indicators: string[];
  /** Member queries nearest the centroid, the medoid first. */
  examples: string[];
  /** Query ids of the members, the most typical first. */
  memberIds: string[];
}

export interface DescribeContext {
  docs: readonly string[][];
  points: readonly SparseVector[];
  texts: readonly string[];
  items: readonly QueryItem[];
  dims: number;
  examples: number;
  indicators: number;
  /** Filled on first use: document frequency of each term over `all`. */
  df?: Map<string, number>;
  dfOver?: readonly number[];
}

const EXAMPLE_CHARS = 400;

export function excerpt(text: string, chars = EXAMPLE_CHARS): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length <= chars ? t : `${t.slice(0, chars - 1)}…`;
}

function documentFrequency(docs: readonly string[][], members: readonly number[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const i of members) for (const t of new Set(docs[i]!)) df.set(t, (df.get(t) ?? 0) + 1);
  return df;
}

/**
 * Terms that distinguish `members` from the rest of `all`, best first: p_in·ln(p_in / p_out) over smoothed
 * document frequencies, among terms in at least two members (or one, for a single member).
 */
export function distinctiveTerms(members: readonly number[], all: readonly number[], ctx: DescribeContext, k: number): string[] {
  if (!ctx.df || ctx.dfOver !== all) {
    ctx.df = documentFrequency(ctx.docs, all);
    ctx.dfOver = all;
  }
  const inDf = documentFrequency(ctx.docs, members);
  const nIn = members.length;
  const nOut = Math.max(0, all.length - nIn);
  const minDf = nIn > 1 ? 2 : 1;
  const scored: [string, number][] = [];
  for (const [t, c] of inDf) {
    if (c < minDf) continue;
    const out = (ctx.df.get(t) ?? c) - c;
    const pIn = (c + 0.5) / (nIn + 1);
    const pOut = (out + 0.5) / (nOut + 1);
    const s = pIn * Math.log(pIn / pOut);
    if (s > 0) scored.push([t, s]);
  }
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return scored.slice(0, k).map(([t]) => t);
}

/** Members ordered by similarity to their centroid (the medoid first). */
export function byCentrality(members: readonly number[], ctx: Pick<DescribeContext, "points" | "dims">): number[] {
  const c = new Float64Array(ctx.dims);
  for (const i of members) {
    const p = ctx.points[i]!;
    for (let k = 0; k < p.idx.length; k++) c[p.idx[k]!]! += p.val[k]!;
  }
  return members
    .map((i) => [i, dotDense(ctx.points[i]!, c)] as const)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([i]) => i);
}

export function describeCluster(members: readonly number[], all: readonly number[], ctx: DescribeContext): ClusterDescription {
  const indicators = distinctiveTerms(members, all, ctx, ctx.indicators);
  const ordered = byCentrality(members, ctx);
  const examples: string[] = [];
  const seen = new Set<string>();
  for (const i of ordered) {
    const e = excerpt(ctx.texts[i]!);
    if (seen.has(e)) continue;
    seen.add(e);
    examples.push(e);
    if (examples.length >= ctx.examples) break;
  }
  const counts = Object.fromEntries(STRUCTURE_FEATURES.map((f) => [f, 0])) as Record<string, number>;
  for (const i of members) {
    const s = structure(ctx.texts[i]!);
    for (const f of STRUCTURE_FEATURES) if (s[f]) counts[f]!++;
  }
  const traits = STRUCTURE_FEATURES.filter((f) => counts[f]! >= 0.6 * members.length).map((f) => FEATURE_TEXT[f]);
  const share = all.length > 0 ? Math.round((100 * members.length) / all.length) : 100;
  const name = indicators.length > 0 ? indicators.slice(0, 3).join(", ") : `queries like "${excerpt(ctx.texts[ordered[0]!] ?? "", 40)}"`;
  const description =
    `${members.length} training queries (${share}% of the mode)` +
    (indicators.length ? `; distinctive terms: ${indicators.join(", ")}` : "") +
    (traits.length ? `; mostly ${traits.join(", ")}` : "") +
    (ordered.length ? `; typical: "${excerpt(ctx.texts[ordered[0]!]!, 160)}"` : "");
  const memberIds = [...new Set(ordered.map((i) => ctx.items[i]!.queryId))];
  return { name, description, indicators, examples, memberIds };
}
