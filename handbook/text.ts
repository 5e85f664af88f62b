import MiniSearch from "minisearch";

/**
 * How the handbook reads a query's text: terms, structure features, and a TF-IDF embedding that keeps apart the
 * part of a prompt that varies from the part shared by many prompts (instructions, few-shot context). Learning
 * fits a `TextModel` per mode on its training queries and stores it in the handbook; the orchestrator embeds a
 * step's text with the same model and identifies its skills by the nearest skill centroids. Pure.
 *
 * Shared lines: a line (normalised: lower case, runs of white space as one space) that appears in many of the
 * training prompts is boilerplate. It is dropped from the prompt's body and kept as a template token instead, so
 * a prompt's few-shot examples say "this is the ARC template" once, with the weight of one part of the vector,
 * instead of drowning the question's own terms.
 */

const splitTerms = MiniSearch.getDefault("tokenize") as (text: string, field?: string) => string[];
const processTerm = MiniSearch.getDefault("processTerm") as (
  term: string,
  field?: string,
) => string | null | undefined | false;
// Kept apart from tools/search/analyze.ts (accents folded, other stopwords, versioned with persisted indexes): these
// terms are stored in handbooks (text models, indicators) and must not change with the search index's rules.

/** Common English function words: they separate no skill and would crowd out the distinctive terms. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by " +
    "can could did do does doing down during each few for from further had has have having he her here hers herself him " +
    "himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other " +
    "our ours ourselves out over own same she should so some such than that the their theirs them themselves then there " +
    "these they this those through to too under until up very was we were what when where which while who whom why will " +
    "with would you your yours yourself yourselves s t d ll m re ve"
  ).split(" "),
);

/**
 * The terms minisearch makes of a text (its default tokenizer and term processing: lower case), in order. The skill
 * matcher's index uses the same defaults, so these are the terms it can find.
 */
export function minisearchTerms(text: string): string[] {
  const out: string[] = [];
  for (const raw of splitTerms(text)) {
    const t = processTerm(raw);
    if (t) out.push(t);
  }
  return out;
}

/** Lower-cased terms of a text (minisearchTerms), stopwords and one-letter non-digit terms dropped. */
export function terms(text: string): string[] {
  return minisearchTerms(text).filter((t) => !STOPWORDS.has(t) && !(t.length === 1 && !(t >= "0" && t <= "9")));
}

/** Names of the structure features, in vector order. */
export const STRUCTURE_FEATURES = ["long", "digits", "code", "choices", "math", "question", "list"] as const;
export type StructureFeature = (typeof STRUCTURE_FEATURES)[number];

const CODE =
  /(^|\n)\s*(def |class |import |from \S+ import|return\b|#include|function\b)|```|>>>|\)\s*->|[{};]\s*\n|\bdef\s+\w+\(/;
const CHOICES = /(^|\n|\s)\(?[A-Ea-e][).:]\s+\S[\s\S]*(\n|\s)\(?[B-Eb-e][).:]\s+\S|\b(options|choices)\s*:/;
const MATH = /\\(frac|boxed|sqrt|cdot|times|le|ge|pi|sum|int)\b|\$[^$\n]+\$|\^\{?\d|\d\s*[+\-*/=]\s*\d/;
const QUESTION = /^\s*(who|what|when|where|which|why|how)\b|\?\s*$/i;
const LIST = /^[^\n.?!]*(,[^,\n.?!]+){4,}$/;
const DIGIT = /\d/;

const STRUCTURE_CACHE_MAX = 20_000;
const structures = new Map<string, Readonly<Record<StructureFeature, boolean>>>();

/** Binary structure features of a query (plus `long`: more than 600 characters). Cached per text; do not modify. */
export function structure(text: string): Readonly<Record<StructureFeature, boolean>> {
  let s = structures.get(text);
  if (!s) {
    if (structures.size >= STRUCTURE_CACHE_MAX) structures.clear();
    s = Object.freeze(structureOf(text));
    structures.set(text, s);
  }
  return s;
}

function structureOf(text: string): Record<StructureFeature, boolean> {
  return {
    long: text.length > 600,
    digits: DIGIT.test(text),
    code: CODE.test(text),
    choices: CHOICES.test(text),
    math: MATH.test(text),
    question: QUESTION.test(text.trim()),
    list: LIST.test(text.trim()),
  };
}

/** A line as compared for sharing: lower case, white space collapsed, trimmed. */
function lineKey(line: string): string {
  return line.toLowerCase().replace(/\s+/g, " ").trim();
}

/** FNV-1a (32 bit) of a string, as 8 hex digits: the id of a shared line. */
export function lineHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Prefix of template tokens (a shared line's hash) among the vocabulary's terms; no real term starts with it. */
export const TEMPLATE_PREFIX = "~";

export interface BoilerplateOptions {
  /** A line is shared when at least this share of the texts holds it (default 0.05)… */
  minShare?: number;
  /** …and at least this many texts (default 3). */
  minCount?: number;
}

/**
 * Hashes of the lines shared by many texts (sorted). A line that is a whole text is never boilerplate (that is a
 * repeated query, not a template), nor is an empty line.
 */
export function findBoilerplate(texts: readonly string[], opts: BoilerplateOptions = {}): string[] {
  const minCount = Math.max(opts.minCount ?? 3, Math.ceil((opts.minShare ?? 0.05) * texts.length));
  const df = new Map<string, number>();
  for (const t of texts) {
    const lines = new Set(
      t
        .split("\n")
        .map(lineKey)
        .filter((l) => l !== ""),
    );
    if (lines.size < 2) continue;
    for (const l of lines) df.set(l, (df.get(l) ?? 0) + 1);
  }
  return [...df]
    .filter(([, c]) => c >= minCount)
    .map(([l]) => lineHash(l))
    .sort();
}

/** A text split into its varying body and the template tokens of its shared lines. */
export interface Focused {
  body: string;
  template: string[];
}

export function focus(text: string, boilerplate: ReadonlySet<string>): Focused {
  if (boilerplate.size === 0) return { body: text, template: [] };
  const body: string[] = [];
  const template = new Set<string>();
  for (const line of text.split("\n")) {
    const key = lineKey(line);
    const h = key === "" ? "" : lineHash(key);
    if (h !== "" && boilerplate.has(h)) template.add(TEMPLATE_PREFIX + h);
    else body.push(line);
  }
  return { body: body.join("\n").trim(), template: [...template].sort() };
}

/** The text model of one mode, as stored in a handbook (plain JSON). */
export interface TextModel {
  /** Hashes of shared lines (see findBoilerplate). */
  boilerplate: string[];
  /** Terms (body terms, then template tokens), each with its inverse document frequency. */
  vocabulary: string[];
  idf: number[];
  /** Weight of each structure feature against the unit-length body. */
  structureWeight: number;
  /** Weight of the unit-length template part against the unit-length body. */
  templateWeight: number;
}

export interface TextModelOptions extends BoilerplateOptions {
  /** Keep body terms in at least this many texts (default 2; 1 below 20 texts). */
  minDf?: number;
  /** Drop body terms in more than this share of texts (default 0.6). Template tokens are never dropped. */
  maxDfShare?: number;
  /** At most this many body terms, the most frequent first (default 8,000). */
  maxTerms?: number;
  structureWeight?: number;
  templateWeight?: number;
}

/** A text's terms under a boilerplate set (textTerms). */
export interface TextTerms {
  body: string[];
  template: string[];
  bodyText: string;
}

/**
 * Values by a content key: the `keep` most recently used are held, the rest (up to `max` keys) only while something
 * else holds them, so a long process does not keep what its handbooks and models no longer use.
 */
class ContentCache<V extends object> {
  readonly #entries = new Map<string, { value: V | undefined; ref: WeakRef<V> }>();
  constructor(
    readonly keep: number,
    readonly max: number,
  ) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    const v = e?.value ?? e?.ref.deref();
    if (!e) return undefined;
    this.#entries.delete(key);
    if (v === undefined) return undefined;
    this.#put(key, v);
    return v;
  }

  set(key: string, v: V): void {
    this.#entries.delete(key);
    this.#put(key, v);
  }

  #put(key: string, v: V): void {
    this.#entries.set(key, { value: v, ref: new WeakRef(v) });
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
    let held = 0;
    const newest = [...this.#entries.values()].reverse();
    for (const e of newest) if (e.value !== undefined && ++held > this.keep) e.value = undefined;
  }
}

const TERMS_CACHE_MAX = 20_000;
/** textTerms results per boilerplate set (by content: its sorted hashes) and text. */
const termsByBoilerplate = new ContentCache<Map<string, TextTerms>>(2, 8);
const boilerplateKeys = new WeakMap<ReadonlySet<string>, Map<string, TextTerms>>();

function termsCache(boilerplate: ReadonlySet<string>): Map<string, TextTerms> {
  let cache = boilerplateKeys.get(boilerplate);
  if (!cache) {
    const key = [...boilerplate].sort().join("\n");
    cache = termsByBoilerplate.get(key);
    if (!cache) {
      cache = new Map();
      termsByBoilerplate.set(key, cache);
    }
    boilerplateKeys.set(boilerplate, cache);
  }
  return cache;
}

/**
 * Terms of a text under a boilerplate set: the body's terms, then its template tokens. Cached per boilerplate set
 * (by content) and text, so the result is shared: do not modify it.
 */
export function textTerms(text: string, boilerplate: ReadonlySet<string>): TextTerms {
  const cache = termsCache(boilerplate);
  let tt = cache.get(text);
  if (!tt) {
    const f = focus(text, boilerplate);
    tt = { body: terms(f.body), template: f.template, bodyText: f.body };
    if (cache.size >= TERMS_CACHE_MAX) cache.clear();
    cache.set(text, tt);
  }
  return tt;
}

/** Fit a text model on the training texts of a mode. */
export function fitTextModel(texts: readonly string[], opts: TextModelOptions = {}): TextModel {
  const boilerplate = findBoilerplate(texts, opts);
  const set = new Set(boilerplate);
  const n = texts.length;
  const minDf = opts.minDf ?? (n < 20 ? 1 : 2);
  const maxDf = Math.max(1, Math.floor((opts.maxDfShare ?? 0.6) * n));
  const bodyDf = new Map<string, number>();
  const tplDf = new Map<string, number>();
  for (const t of texts) {
    const tt = textTerms(t, set);
    for (const x of new Set(tt.body)) bodyDf.set(x, (bodyDf.get(x) ?? 0) + 1);
    for (const x of tt.template) tplDf.set(x, (tplDf.get(x) ?? 0) + 1);
  }
  const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const body = [...bodyDf]
    .filter(([, c]) => c >= minDf && (c <= maxDf || n < 3))
    .sort(byCount)
    .slice(0, opts.maxTerms ?? 8_000);
  const tpl = [...tplDf].sort(byCount);
  const idfOf = (c: number) => Math.log((1 + n) / (1 + c)) + 1;
  return {
    boilerplate,
    vocabulary: [...body.map(([t]) => t), ...tpl.map(([t]) => t)],
    idf: [...body.map(([, c]) => idfOf(c)), ...tpl.map(([, c]) => idfOf(c))],
    structureWeight: opts.structureWeight ?? 0.25,
    templateWeight: opts.templateWeight ?? 1,
  };
}

/** A sparse vector: sorted dimension indices and their values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float64Array;
}

interface Compiled {
  index: Map<string, number>;
  idf: Float64Array;
  boilerplate: Set<string>;
  /** Dimensions: the vocabulary, then the structure features. */
  dims: number;
  cache: Map<string, SparseVector>;
  /** Scratch term counts for embed (zero between calls). */
  counts: Int32Array;
  /** Scratch sums per dimension and whether touched, for centroidOf (zero between calls). */
  sums: Float64Array;
  seen: Uint8Array;
}

const compiled = new WeakMap<TextModel, Compiled>();
/**
 * Compiled models by content: handbooks copied from one another (views, candidates, a handbook saved and loaded
 * again) hold equal text models as distinct objects, and share one compiled model and its embedding cache (an
 * embedding depends on the model's content and the text only). The two most recent are held.
 */
const compiledByContent = new ContentCache<Compiled>(2, 8);
const EMBED_CACHE_MAX = 20_000;

function contentKey(m: TextModel): string {
  return JSON.stringify([m.boilerplate, m.vocabulary, m.idf, m.structureWeight, m.templateWeight]);
}

function compile(m: TextModel): Compiled {
  let c = compiled.get(m);
  if (!c) {
    const key = contentKey(m);
    c = compiledByContent.get(key);
    if (!c) {
      c = {
        index: new Map(m.vocabulary.map((t, i) => [t, i])),
        idf: Float64Array.from(m.idf),
        boilerplate: new Set(m.boilerplate),
        dims: m.vocabulary.length + STRUCTURE_FEATURES.length,
        cache: new Map(),
        counts: new Int32Array(m.vocabulary.length),
        sums: new Float64Array(m.vocabulary.length + STRUCTURE_FEATURES.length),
        seen: new Uint8Array(m.vocabulary.length + STRUCTURE_FEATURES.length),
      };
      compiledByContent.set(key, c);
    }
    compiled.set(m, c);
  }
  return c;
}

/** Dimensions of a model's vectors. */
export function dimsOf(m: TextModel): number {
  return compile(m).dims;
}

/** The name of a dimension: a term, a template token, or `#feature`. */
export function dimName(m: TextModel, i: number): string {
  return i < m.vocabulary.length ? m.vocabulary[i]! : `#${STRUCTURE_FEATURES[i - m.vocabulary.length]}`;
}

/**
 * The unit-length embedding of a text: sublinear TF-IDF of the body (unit length), plus each structure feature of
 * the body at `structureWeight`, plus the template tokens' IDF vector (unit length) at `templateWeight`.
 */
export function embed(m: TextModel, text: string): SparseVector {
  const c = compile(m);
  const hit = c.cache.get(text);
  if (hit) return hit;
  const tt = textTerms(text, c.boilerplate);
  // Body: each vocabulary term's count (in the compiled model's scratch, zero again after), in order of first
  // occurrence; then the parts' entries in the order the norms are summed.
  const counts = c.counts;
  const order: number[] = [];
  for (const t of tt.body) {
    const i = c.index.get(t);
    if (i === undefined) continue;
    if (counts[i] === 0) order.push(i);
    counts[i]!++;
  }
  const ei: number[] = [];
  const ev: number[] = [];
  const bodyW = order.map((i) => (1 + Math.log(counts[i]!)) * c.idf[i]!);
  for (const i of order) counts[i] = 0;
  unitPart(order, bodyW, 1, ei, ev);
  const tplI: number[] = [];
  const tplW: number[] = [];
  for (const t of tt.template) {
    const i = c.index.get(t);
    if (i !== undefined) {
      tplI.push(i);
      tplW.push(c.idf[i]!);
    }
  }
  unitPart(tplI, tplW, m.templateWeight, ei, ev);
  const s = structure(tt.bodyText);
  STRUCTURE_FEATURES.forEach((f, j) => {
    if (s[f]) {
      ei.push(m.vocabulary.length + j);
      ev.push(m.structureWeight);
    }
  });
  // By dimension, ties (a term that is also a template token) in the order above: a stable sort.
  const perm = ei.map((_, k) => k).sort((a, b) => ei[a]! - ei[b]! || a - b);
  let total = 0;
  for (const k of perm) total += ev[k]! * ev[k]!;
  total = Math.sqrt(total);
  const v: SparseVector = {
    idx: Int32Array.from(perm, (k) => ei[k]!),
    val: Float64Array.from(perm, (k) => (total > 0 ? ev[k]! / total : 0)),
  };
  if (c.cache.size >= EMBED_CACHE_MAX) c.cache.clear();
  c.cache.set(text, v);
  return v;
}

/** One part of an embedding: its weights scaled to length `weight` (none when all are 0), appended. */
function unitPart(ids: readonly number[], ws: readonly number[], weight: number, ei: number[], ev: number[]): void {
  let norm = 0;
  for (const w of ws) norm += w * w;
  norm = Math.sqrt(norm);
  if (norm > 0)
    for (let k = 0; k < ids.length; k++) {
      ei.push(ids[k]!);
      ev.push((weight * ws[k]!) / norm);
    }
}

/** Dot product of a sparse vector with a dense one. */
export function dotDense(a: SparseVector, dense: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.idx.length; i++) s += a.val[i]! * dense[a.idx[i]!]!;
  return s;
}

/** Terms kept in a stored centroid (the largest weights). */
export const CENTROID_TERMS = 300;

/**
 * A skill centroid as stored in the handbook: the mean of its members' embeddings, unit length, keyed by dimension
 * name, only the `CENTROID_TERMS` largest weights kept (renormalised).
 */
export function centroidOf(m: TextModel, vectors: readonly SparseVector[]): Record<string, number> {
  // Per dimension the members' sum, in member order (a scratch the size of the model, zero again after).
  const c = compile(m);
  const sums = c.sums;
  const touched: number[] = [];
  const seen = c.seen;
  for (const v of vectors)
    for (let k = 0; k < v.idx.length; k++) {
      const d = v.idx[k]!;
      if (!(d >= 0 && d < sums.length)) return centroidBySum(m, vectors);
    }
  for (const v of vectors)
    for (let k = 0; k < v.idx.length; k++) {
      const d = v.idx[k]!;
      if (seen[d] === 0) {
        seen[d] = 1;
        touched.push(d);
      }
      sums[d] = sums[d]! + v.val[k]!;
    }
  const all: [number, number][] = [];
  for (const d of touched) {
    const w = sums[d]!;
    if (w > 0) all.push([d, w]);
    sums[d] = 0;
    seen[d] = 0;
  }
  return centroidRecord(m, all);
}

/** The stored centroid of positive per-dimension sums: the largest CENTROID_TERMS, unit length, by name. */
function centroidRecord(m: TextModel, sums: [number, number][]): Record<string, number> {
  const top = sums.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, CENTROID_TERMS);
  const norm = Math.sqrt(top.reduce((a, [, w]) => a + w * w, 0));
  const out: Record<string, number> = {};
  for (const [i, w] of top) out[dimName(m, i)] = Number((w / norm).toPrecision(6));
  return out;
}

/** centroidOf for vectors with dimensions outside the model (summed in a map). */
function centroidBySum(m: TextModel, vectors: readonly SparseVector[]): Record<string, number> {
  const sum = new Map<number, number>();
  for (const v of vectors)
    for (let k = 0; k < v.idx.length; k++) sum.set(v.idx[k]!, (sum.get(v.idx[k]!) ?? 0) + v.val[k]!);
  return centroidRecord(
    m,
    [...sum].filter(([, w]) => w > 0),
  );
}

/** A stored centroid as a dense vector over the model's dimensions (names the model lacks are dropped). */
export function denseCentroid(m: TextModel, centroid: Readonly<Record<string, number>>): Float64Array {
  const c = compile(m);
  const d = new Float64Array(c.dims);
  for (const [name, w] of Object.entries(centroid)) {
    const f = name.startsWith("#") ? STRUCTURE_FEATURES.indexOf(name.slice(1) as StructureFeature) : -1;
    const i = f >= 0 ? m.vocabulary.length + f : c.index.get(name);
    if (i !== undefined) d[i] = w;
  }
  return d;
}
