/**
 * TF-IDF vectors over query texts and cosine nearest neighbours through an inverted index.
 *
 * Tokens: lower-cased runs of two or more letters, digits or "_" (Unicode-aware). Term weight: raw count in the
 * text × idf, idf = ln((1 + N) / (1 + df)) + 1 (smoothed, N documents, df documents holding the term); each
 * vector is L2-normalised, so the dot product is the cosine. Terms of a query absent from the indexed documents
 * are ignored.
 */

const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/**
 * The tokens of a text. Kept apart from handbook/text.ts's terms: the baselines are plain query-level routers (the
 * token rule of scikit-learn's TfidfVectorizer, no stopwords), and their recorded figures were measured with it.
 */
export function tfidfTokens(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/** A sparse vector: term ids ascending, with weights. */
export interface TfidfVector {
  terms: Uint32Array;
  weights: Float64Array;
}

export interface Neighbour {
  /** Index of the document in the order given to `buildTfidfIndex`. */
  doc: number;
  similarity: number;
}

export interface TfidfIndex {
  /** Number of indexed documents. */
  size: number;
  vocabulary: Map<string, number>;
  idf: Float64Array;
  /** The L2-normalised TF-IDF vector of a text (only known terms). */
  vectorize(text: string): TfidfVector;
  /**
   * The k documents most similar to `text` by cosine, most similar first; only documents sharing at least one
   * term (similarity > 0). Ties go to the earlier document.
   */
  nearest(text: string, k: number): Neighbour[];
}

function countTerms(tokens: string[], vocab: Map<string, number>, addUnknown: boolean): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of tokens) {
    let id = vocab.get(t);
    if (id === undefined) {
      if (!addUnknown) continue;
      id = vocab.size;
      vocab.set(t, id);
    }
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function weigh(counts: Map<number, number>, idf: Float64Array): TfidfVector {
  const terms = Uint32Array.from(counts.keys()).sort();
  const weights = new Float64Array(terms.length);
  let norm = 0;
  for (let i = 0; i < terms.length; i++) {
    const w = counts.get(terms[i]!)! * idf[terms[i]!]!;
    weights[i] = w;
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < weights.length; i++) weights[i]! /= norm;
  return { terms, weights };
}

export function buildTfidfIndex(texts: ReadonlyArray<string>): TfidfIndex {
  const vocab = new Map<string, number>();
  const docCounts = texts.map((t) => countTerms(tfidfTokens(t), vocab, true));
  const n = texts.length;
  const df = new Uint32Array(vocab.size);
  for (const c of docCounts) for (const id of c.keys()) df[id]!++;
  const idf = new Float64Array(vocab.size);
  for (let i = 0; i < idf.length; i++) idf[i] = Math.log((1 + n) / (1 + df[i]!)) + 1;

  // Inverted index: for each term, the documents holding it and the term's weight in each (CSR layout).
  const start = new Uint32Array(vocab.size + 1);
  for (let i = 0; i < vocab.size; i++) start[i + 1] = start[i]! + df[i]!;
  const postDoc = new Uint32Array(start[vocab.size]!);
  const postWeight = new Float64Array(start[vocab.size]!);
  const fill = start.slice(0, vocab.size);
  docCounts.forEach((c, d) => {
    const v = weigh(c, idf);
    for (let i = 0; i < v.terms.length; i++) {
      const t = v.terms[i]!;
      const at = fill[t]!++;
      postDoc[at] = d;
      postWeight[at] = v.weights[i]!;
    }
  });

  const scores = new Float64Array(n);
  const vectorize = (text: string) => weigh(countTerms(tfidfTokens(text), vocab, false), idf);

  return {
    size: n,
    vocabulary: vocab,
    idf,
    vectorize,
    nearest(text: string, k: number): Neighbour[] {
      if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer, got ${k}`);
      const q = vectorize(text);
      const touched: number[] = [];
      for (let i = 0; i < q.terms.length; i++) {
        const t = q.terms[i]!;
        const w = q.weights[i]!;
        for (let p = start[t]!; p < start[t + 1]!; p++) {
          const d = postDoc[p]!;
          if (scores[d] === 0) touched.push(d);
          scores[d]! += w * postWeight[p]!;
        }
      }
      // Keep the k best in a min-heap (worst at the root): O(touched · log k) instead of sorting every touched doc.
      const heap: Neighbour[] = [];
      for (const d of touched) {
        const s = scores[d]!;
        scores[d] = 0;
        if (!(s > 0)) continue;
        if (heap.length < k) heapPush(heap, { doc: d, similarity: s });
        else if (better(s, d, heap[0]!)) heapReplaceRoot(heap, { doc: d, similarity: s });
      }
      return heap.sort((a, b) => b.similarity - a.similarity || a.doc - b.doc);
    },
  };
}

/** Whether (similarity s, doc d) ranks above neighbour n: higher similarity, then earlier document. */
function better(s: number, d: number, n: Neighbour): boolean {
  return s > n.similarity || (s === n.similarity && d < n.doc);
}

/** Min-heap on rank: the root is the worst-ranked neighbour kept. */
function heapPush(heap: Neighbour[], x: Neighbour): void {
  let i = heap.length;
  heap.push(x);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!better(heap[p]!.similarity, heap[p]!.doc, heap[i]!)) break;
    [heap[p], heap[i]] = [heap[i]!, heap[p]!];
    i = p;
  }
}

function heapReplaceRoot(heap: Neighbour[], x: Neighbour): void {
  heap[0] = x;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < heap.length && better(heap[worst]!.similarity, heap[worst]!.doc, heap[l]!)) worst = l;
    if (r < heap.length && better(heap[worst]!.similarity, heap[worst]!.doc, heap[r]!)) worst = r;
    if (worst === i) return;
    [heap[worst], heap[i]] = [heap[i]!, heap[worst]!];
    i = worst;
  }
}
