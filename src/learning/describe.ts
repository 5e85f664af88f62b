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

export interface DescribeContext extends DescribeFrequencies {
  docs: readonly string[][];
  points: readonly SparseVector[];
  texts: readonly string[];
  items: readonly QueryItem[];
  dims: number;
  examples: number;
  indicators: number;
  /**
   * Where the frequencies below are kept when several contexts describe clusters of the same documents (the same
   * `docs` array, and the same `all` array for `df`): each context still names its clusters apart (`named`).
   */
  shared?: DescribeFrequencies;
  /** The clusters named with this context so far and their names (a later cluster's name differs from them all). */
  named?: { members: ReadonlySet<number>; name: string }[];
}

/** What a context fills on first use (in itself, or in the `shared` object it names). */
export interface DescribeFrequencies {
  /** The documents these frequencies are of. */
  docs?: readonly string[][];
  /** Document frequency of each term (by interned id) over `dfOver`. */
  df?: Int32Array;
  dfOver?: readonly number[];
  /** Each document's distinct terms and phrases (1 to 3 consecutive terms), as interned ids. */
  interned?: { table: Interned; terms: Int32Array[]; phrases: Int32Array[] };
  /** Per reference set: document frequency of each phrase (by id) over it. */
  phraseDf?: WeakMap<object, Int32Array>;
}

/** The frequencies a context uses: the shared ones when they are of its documents, else its own. */
function frequenciesOf(ctx: DescribeContext): DescribeFrequencies {
  const f = ctx.shared;
  if (f) {
    f.docs ??= ctx.docs;
    if (f.docs === ctx.docs) return f;
  }
  return ctx;
}

const EXAMPLE_CHARS = 400;

export function excerpt(text: string, chars = EXAMPLE_CHARS): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length <= chars ? t : `${t.slice(0, chars - 1)}…`;
}

/**
 * Terms and phrases interned as numbers, with each document's distinct ones (in order of first occurrence), so
 * frequencies are counted in typed arrays. Documents are the shared arrays of textTerms (cached by identity); a
 * table is replaced once it holds TABLE_MAX strings (a context keeps the table it started with).
 */
class Interned {
  readonly termIds = new Map<string, number>();
  readonly termText: string[] = [];
  /** Whether each term may stand in a name (nameable). */
  readonly nameable: boolean[] = [];
  /**
   * Phrases by (the phrase one term shorter, or none, and the last term): terms hold no space, so a phrase's terms
   * and its text determine each other. One-term phrases by term; longer ones in an open-addressing table.
   */
  #unigram = new Int32Array(1024).fill(-1);
  #slots = new Int32Array(1 << 16).fill(-1);
  readonly phrasePrefix: number[] = [];
  readonly phraseTerm: number[] = [];
  /** Terms in each phrase (1 to MAX_PHRASE). */
  readonly words: number[] = [];
  readonly #phraseText: (string | undefined)[] = [];
  readonly terms = new WeakMap<readonly string[], Int32Array>();
  readonly phrases = new WeakMap<readonly string[], Int32Array>();
  /** Per phrase id, the last document (stamp) it was listed for. */
  #seen = new Int32Array(1024);
  #stamp = 0;

  get size(): number {
    return Math.max(this.termText.length, this.phrasePrefix.length);
  }

  termId(t: string): number {
    let i = this.termIds.get(t);
    if (i === undefined) {
      i = this.termText.length;
      this.termIds.set(t, i);
      this.termText.push(t);
      this.nameable.push(nameable(t));
    }
    return i;
  }

  phraseId(prefix: number, term: number): number {
    if (prefix < 0) {
      if (term >= this.#unigram.length) {
        const grown = new Int32Array(Math.max(2 * this.#unigram.length, term + 1)).fill(-1);
        grown.set(this.#unigram);
        this.#unigram = grown;
      }
      let i = this.#unigram[term]!;
      if (i < 0) this.#unigram[term] = i = this.#add(prefix, term);
      return i;
    }
    const mask = this.#slots.length - 1;
    let at = (Math.imul(prefix, 0x9e3779b1) ^ Math.imul(term, 0x85ebca77)) & mask;
    for (;;) {
      const i = this.#slots[at]!;
      if (i < 0) break;
      if (this.phrasePrefix[i] === prefix && this.phraseTerm[i] === term) return i;
      at = (at + 1) & mask;
    }
    const i = this.#add(prefix, term);
    this.#slots[at] = i;
    if (2 * this.phrasePrefix.length > this.#slots.length) this.#rehash();
    return i;
  }

  #add(prefix: number, term: number): number {
    const i = this.phrasePrefix.length;
    this.phrasePrefix.push(prefix);
    this.phraseTerm.push(term);
    this.words.push(prefix < 0 ? 1 : this.words[prefix]! + 1);
    this.#phraseText.push(undefined);
    return i;
  }

  #rehash(): void {
    const slots = new Int32Array(2 * this.#slots.length).fill(-1);
    const mask = slots.length - 1;
    for (let i = 0; i < this.phrasePrefix.length; i++) {
      const prefix = this.phrasePrefix[i]!;
      if (prefix < 0) continue;
      let at = (Math.imul(prefix, 0x9e3779b1) ^ Math.imul(this.phraseTerm[i]!, 0x85ebca77)) & mask;
      while (slots[at]! >= 0) at = (at + 1) & mask;
      slots[at] = i;
    }
    this.#slots = slots;
  }

  /** A phrase's text: its terms joined by one space. */
  phraseText(id: number): string {
    let t = this.#phraseText[id];
    if (t === undefined) {
      const prefix = this.phrasePrefix[id]!;
      const last = this.termText[this.phraseTerm[id]!]!;
      t = prefix < 0 ? last : `${this.phraseText(prefix)} ${last}`;
      this.#phraseText[id] = t;
    }
    return t;
  }

  /** A document's distinct terms, in order. */
  termsOf(doc: readonly string[]): Int32Array {
    let out = this.terms.get(doc);
    if (!out) {
      const seen = new Set<number>();
      const ids: number[] = [];
      for (const t of doc) {
        const id = this.termId(t);
        if (!seen.has(id)) {
          seen.add(id);
          ids.push(id);
        }
      }
      out = Int32Array.from(ids);
      this.terms.set(doc, out);
    }
    return out;
  }

  /**
   * A document's distinct phrases in order of first occurrence: runs of 1 to MAX_PHRASE nameable, distinct
   * consecutive terms (a run stops at the first term that is not nameable or repeats one of the run).
   */
  phrasesOf(doc: readonly string[]): Int32Array {
    let out = this.phrases.get(doc);
    if (!out) {
      const ids = doc.map((t) => this.termId(t));
      const stamp = ++this.#stamp;
      const list: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        let phrase = -1;
        for (let n = 1; n <= MAX_PHRASE && i + n <= ids.length; n++) {
          const last = i + n - 1;
          const t = ids[last]!;
          if (!this.nameable[t]) break;
          let repeated = false;
          for (let j = i; j < last; j++) if (ids[j] === t) repeated = true;
          if (repeated) break;
          phrase = this.phraseId(phrase, t);
          if (phrase >= this.#seen.length) {
            const grown = new Int32Array(Math.max(2 * this.#seen.length, phrase + 1));
            grown.set(this.#seen);
            this.#seen = grown;
          }
          if (this.#seen[phrase] !== stamp) {
            this.#seen[phrase] = stamp;
            list.push(phrase);
          }
        }
      }
      out = Int32Array.from(list);
      this.phrases.set(doc, out);
    }
    return out;
  }
}

const TABLE_MAX = 500_000;
let table = new Interned();

function internedOf(ctx: DescribeContext): NonNullable<DescribeFrequencies["interned"]> {
  const f = frequenciesOf(ctx);
  if (!f.interned) {
    if (table.size > TABLE_MAX) table = new Interned();
    const t = table;
    f.interned = {
      table: t,
      terms: ctx.docs.map((d) => t.termsOf(d)),
      phrases: ctx.docs.map((d) => t.phrasesOf(d)),
    };
  }
  return f.interned;
}

/** How many of `over`'s documents hold each id (ids past the end: none). */
function frequency(lists: readonly Int32Array[], over: Iterable<number>, size: number): Int32Array {
  const df = new Int32Array(size);
  for (const i of over) {
    const l = lists[i]!;
    for (let k = 0; k < l.length; k++) df[l[k]!]!++;
  }
  return df;
}

/** The counts memberCounts hands out (reused: zero outside the ids it last counted). */
let counts = new Int32Array(0);
let counted: number[] = [];

/**
 * Counts for one cluster's members: the ids in order of first occurrence and their counts. The counts array is
 * reused by the next call, so read it before counting again.
 */
function memberCounts(lists: readonly Int32Array[], members: readonly number[], size: number) {
  for (const id of counted) counts[id] = 0;
  if (counts.length < size) counts = new Int32Array(Math.max(size, 2 * counts.length));
  const count = counts;
  const order: number[] = [];
  counted = order;
  for (const i of members) {
    const l = lists[i]!;
    for (let k = 0; k < l.length; k++) {
      const id = l[k]!;
      if (count[id] === 0) order.push(id);
      count[id]!++;
    }
  }
  return { count, order };
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
  const { table: t0, terms } = internedOf(ctx);
  const f = frequenciesOf(ctx);
  if (!f.df || f.dfOver !== all) {
    f.df = frequency(terms, all, t0.termText.length);
    f.dfOver = all;
  }
  const df = f.df;
  const { count, order } = memberCounts(terms, members, t0.termText.length);
  const nIn = members.length;
  const nOut = Math.max(0, all.length - nIn);
  const minDf = nIn > 1 ? 2 : 1;
  const scored: [string, number][] = [];
  for (const id of order) {
    const c = count[id]!;
    if (c < minDf) continue;
    const t = t0.termText[id]!;
    const d = id < df.length ? df[id]! : 0;
    const out = (d > 0 ? d : c) - c;
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

function phraseFrequency(ctx: DescribeContext, over: readonly number[] | ReadonlySet<number>): Int32Array {
  const f = frequenciesOf(ctx);
  f.phraseDf ??= new WeakMap();
  const cached = f.phraseDf.get(over);
  if (cached) return cached;
  const { table: t0, phrases } = internedOf(ctx);
  const df = frequency(phrases, over, t0.phrasePrefix.length);
  f.phraseDf.set(over, df);
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
  const { table: t0, phrases } = internedOf(ctx);
  const { count, order } = memberCounts(phrases, members, t0.phrasePrefix.length);
  const nIn = members.length;
  const nRef = reference instanceof Set ? reference.size : (reference as readonly number[]).length;
  const nOut = Math.max(0, nRef - nIn);
  const minDf = nIn > 1 ? 2 : 1;
  const scored: [string, number][] = [];
  for (const id of order) {
    const c = count[id]!;
    const n = t0.words[id]!;
    if (c < minDf || (n > 1 && c < 0.2 * nIn)) continue;
    const p = t0.phraseText(id);
    const r = id < refDf.length ? refDf[id]! : 0;
    const out = Math.max(0, (r > 0 ? r : c) - c);
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
