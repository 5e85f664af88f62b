import { STRUCTURE_FEATURES, structure, terms } from "./text.js";

/** A sparse vector: sorted dimension indices and their values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float64Array;
}

/** A fitted TF-IDF vocabulary plus structure-feature dimensions (after the terms). */
export interface Vectorizer {
  vocabulary: string[];
  /** Term → dimension. */
  index: Map<string, number>;
  idf: Float64Array;
  /** Weight of each structure feature relative to the unit-length TF-IDF part. */
  structureWeight: number;
  /** Total dimensions: vocabulary plus structure features. */
  dims: number;
}

export interface VectorizeOptions {
  /** Keep terms in at least this many documents (default 2; 1 when there are fewer than 20 documents). */
  minDf?: number;
  /** Drop terms in more than this share of documents (default 0.6). */
  maxDfShare?: number;
  /** Keep at most this many terms, the most frequent first (default 20,000). */
  maxTerms?: number;
  /** Weight of each structure feature (default 0.25). */
  structureWeight?: number;
}

/** Term lists of a set of texts (compute once, reuse for fitting and transforming). */
export function tokenizeAll(texts: readonly string[]): string[][] {
  return texts.map(terms);
}

/** Fit a TF-IDF vocabulary on tokenized documents. */
export function fitVectorizer(docs: readonly string[][], opts: VectorizeOptions = {}): Vectorizer {
  const n = docs.length;
  const minDf = opts.minDf ?? (n < 20 ? 1 : 2);
  const maxDf = Math.max(1, Math.floor((opts.maxDfShare ?? 0.6) * n));
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const kept = [...df.entries()]
    .filter(([, c]) => c >= minDf && (c <= maxDf || n < 3))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, opts.maxTerms ?? 20_000);
  const vocabulary = kept.map(([t]) => t);
  const index = new Map(vocabulary.map((t, i) => [t, i]));
  const idf = Float64Array.from(kept, ([, c]) => Math.log((1 + n) / (1 + c)) + 1);
  return { vocabulary, index, idf, structureWeight: opts.structureWeight ?? 0.25, dims: vocabulary.length + STRUCTURE_FEATURES.length };
}

/** The unit-length vector of one document: sublinear TF-IDF (L2-normalised) plus weighted structure features. */
export function vectorize(v: Vectorizer, docTerms: readonly string[], text: string): SparseVector {
  const tf = new Map<number, number>();
  for (const t of docTerms) {
    const i = v.index.get(t);
    if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
  }
  const entries: [number, number][] = [];
  let norm = 0;
  for (const [i, c] of tf) {
    const w = (1 + Math.log(c)) * v.idf[i]!;
    entries.push([i, w]);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const e of entries) e[1] /= norm;
  const s = structure(text);
  STRUCTURE_FEATURES.forEach((f, j) => {
    if (s[f]) entries.push([v.vocabulary.length + j, v.structureWeight]);
  });
  entries.sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [, w] of entries) total += w * w;
  total = Math.sqrt(total);
  return {
    idx: Int32Array.from(entries, (e) => e[0]),
    val: Float64Array.from(entries, (e) => (total > 0 ? e[1] / total : 0)),
  };
}

/** Dot product of a sparse vector with a dense one. */
export function dotDense(a: SparseVector, dense: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.idx.length; i++) s += a.val[i]! * dense[a.idx[i]!]!;
  return s;
}
