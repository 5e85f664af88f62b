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
  /** Filled on first use: each document's distinct phrases (1 to 3 consecutive terms), for names. */
  phrases?: string[][];
  /** Filled on first use per reference set: document frequency of each phrase over it. */
  phraseDf?: WeakMap<object, Map<string, number>>;
  /** The clusters named with this context so far and their names (a later cluster's name differs from them all). */
  named?: { members: ReadonlySet<number>; name: string }[];
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
export function distinctiveTerms(
  members: readonly number[],
  all: readonly number[],
  ctx: DescribeContext,
  k: number,
): string[] {
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

export function describeCluster(
  members: readonly number[],
  all: readonly number[],
  ctx: DescribeContext,
): ClusterDescription {
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
  const name = clusterName(members, all, ctx, indicators, ordered[0]);
  const description =
    `${members.length} training queries (${share}% of the mode)` +
    (indicators.length ? `; distinctive terms: ${indicators.join(", ")}` : "") +
    (traits.length ? `; mostly ${traits.join(", ")}` : "") +
    (ordered.length ? `; typical: "${excerpt(ctx.texts[ordered[0]!]!, 160)}"` : "");
  const memberIds = [...new Set(ordered.map((i) => ctx.items[i]!.queryId))];
  return { name, description, indicators, examples, memberIds };
}

// ---------------------------------------------------------------------------------------------------------------
// Names

const MAX_PHRASE = 3;

/** A term fit for a name: not a number, not a single character. */
const nameable = (t: string) => t.length > 1 && !/^\d+([.,]\d+)?$/.test(t);

function phrasesOf(doc: readonly string[]): string[] {
  const out = new Set<string>();
  for (let i = 0; i < doc.length; i++)
    for (let n = 1; n <= MAX_PHRASE && i + n <= doc.length; n++) {
      const words = doc.slice(i, i + n);
      if (!words.every(nameable) || new Set(words).size < n) break;
      out.add(words.join(" "));
    }
  return [...out];
}

function phraseFrequency(ctx: DescribeContext, over: readonly number[] | ReadonlySet<number>): Map<string, number> {
  ctx.phraseDf ??= new WeakMap();
  const cached = ctx.phraseDf.get(over);
  if (cached) return cached;
  ctx.phrases ??= ctx.docs.map(phrasesOf);
  const df = new Map<string, number>();
  for (const i of over) for (const p of ctx.phrases[i]!) df.set(p, (df.get(p) ?? 0) + 1);
  ctx.phraseDf.set(over, df);
  return df;
}

/**
 * Phrases (1 to 3 consecutive terms) that distinguish `members` from the rest of `reference`, best first: the
 * same p_in·ln(p_in / p_out) score as distinctiveTerms, a phrase of n terms weighted by 1 + 0.25 (n − 1) so a
 * phrase that is nearly as distinctive as its words wins. A phrase of two or more terms must be in at least a
 * fifth of the members; a phrase contained in a better one, or containing one, is dropped.
 */
export function distinctivePhrases(
  members: readonly number[],
  reference: readonly number[] | ReadonlySet<number>,
  ctx: DescribeContext,
  k: number,
): string[] {
  const refDf = phraseFrequency(ctx, reference);
  ctx.phrases ??= ctx.docs.map(phrasesOf);
  const inDf = new Map<string, number>();
  for (const i of members) for (const p of ctx.phrases[i]!) inDf.set(p, (inDf.get(p) ?? 0) + 1);
  const nIn = members.length;
  const nRef = reference instanceof Set ? reference.size : (reference as readonly number[]).length;
  const nOut = Math.max(0, nRef - nIn);
  const minDf = nIn > 1 ? 2 : 1;
  const scored: [string, number][] = [];
  for (const [p, c] of inDf) {
    const n = p.split(" ").length;
    if (c < minDf || (n > 1 && c < 0.2 * nIn)) continue;
    const out = Math.max(0, (refDf.get(p) ?? c) - c);
    const pIn = (c + 0.5) / (nIn + 1);
    const pOut = (out + 0.5) / (nOut + 1);
    const score = pIn * Math.log(pIn / pOut) * (1 + 0.25 * (n - 1));
    if (score > 0) scored.push([p, score]);
  }
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out: string[] = [];
  for (const [p] of scored) {
    const words = p.split(" ");
    // Drop a phrase inside a better one, or one that only extends a better one ("write function find").
    if (
      out.some(
        (q) =>
          ` ${q} `.includes(` ${p} `) || ` ${p} `.includes(` ${q} `) || words.every((w) => q.split(" ").includes(w)),
      )
    )
      continue;
    out.push(p);
    if (out.length >= k) break;
  }
  return out;
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A readable name from distinctive phrases, best first: a phrase alone, or the two best single terms joined. */
export function nameFromPhrases(phrases: readonly string[]): string | undefined {
  const [first, second] = phrases;
  if (first === undefined) return undefined;
  if (first.includes(" ") || second === undefined) return sentence(first);
  return `${sentence(first)} and ${second}`;
}

/** The smallest cluster named earlier in `ctx` that holds every member (and more): the parent of `members`. */
function parentOf(members: readonly number[], ctx: DescribeContext) {
  let best: { members: ReadonlySet<number>; name: string } | undefined;
  for (const c of ctx.named ?? [])
    if (
      c.members.size > members.length &&
      members.every((i) => c.members.has(i)) &&
      (!best || c.members.size < best.members.size)
    )
      best = c;
  return best;
}

/**
 * The name of a cluster: its distinctive phrases against its siblings (the rest of its parent, when the parent
 * was named with the same context) or else against the whole mode; different from every name given in `ctx`
 * before (then qualified by the next distinctive term, or numbered as a last resort).
 */
function clusterName(
  members: readonly number[],
  all: readonly number[],
  ctx: DescribeContext,
  indicators: readonly string[],
  medoid: number | undefined,
): string {
  ctx.named ??= [];
  const parent = parentOf(members, ctx);
  const phrases = distinctivePhrases(members, parent?.members ?? all, ctx, 6);
  const fallback =
    indicators.length > 0
      ? sentence(indicators.slice(0, 2).join(" and "))
      : `Queries like "${excerpt(ctx.texts[medoid ?? members[0]!] ?? "", 40)}"`;
  const base = nameFromPhrases(phrases) ?? fallback;
  const taken = new Set(ctx.named.map((c) => c.name.toLowerCase()));
  const inName = new Set(base.toLowerCase().split(/\s+/));
  const qualifiers = [...phrases, ...indicators].filter((q) => !q.split(" ").every((w) => inName.has(w)));
  const candidates = [
    base,
    ...(parent ? [`${parent.name}: ${base.charAt(0).toLowerCase()}${base.slice(1)}`] : []),
    ...qualifiers.map((q) => `${base} (${q})`),
  ];
  let name = candidates.find((c) => !taken.has(c.toLowerCase()));
  for (let k = 2; name === undefined; k++) if (!taken.has(`${base} ${k}`.toLowerCase())) name = `${base} ${k}`;
  ctx.named.push({ members: new Set(members), name });
  return name;
}

/**
 * Skills with distinct names (case-insensitive): the first of a group sharing a name (in id order, so a category
 * before its skills) keeps it; each other one is qualified by its first indicator not already in the name, or
 * numbered when none is left. Skills whose names are distinct are returned unchanged.
 */
export function distinctSkillNames<T extends { id: string; name: string; indicators: readonly string[] }>(
  skills: readonly T[],
): T[] {
  const order = [...skills].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const taken = new Set<string>();
  const renamed = new Map<string, string>();
  for (const s of order) {
    const key = s.name.toLowerCase();
    if (!taken.has(key)) {
      taken.add(key);
      continue;
    }
    const words = new Set(key.split(/\s+/));
    let name = s.indicators
      .filter((i) => !i.split(" ").every((w) => words.has(w)))
      .map((i) => `${s.name} (${i})`)
      .find((c) => !taken.has(c.toLowerCase()));
    for (let k = 2; name === undefined; k++) if (!taken.has(`${s.name} ${k}`.toLowerCase())) name = `${s.name} ${k}`;
    taken.add(name.toLowerCase());
    renamed.set(s.id, name);
  }
  return skills.map((s) => (renamed.has(s.id) ? { ...s, name: renamed.get(s.id)! } : s));
}
