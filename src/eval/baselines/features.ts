import { buildTfidfIndex, type TfidfVector, type TfidfIndex } from "../tfidf.js";

/**
 * TF-IDF features of the train texts shared by the text-based baselines: the index built from the train texts,
 * the train vectors (L2-normalised, as the index weighs them) and a cache of query vectors (a λ sweep routes the
 * same texts again).
 */
export interface TextFeatures {
  index: TfidfIndex;
  /** Number of terms (vector dimensions). */
  dims: number;
  /** The vector of each train text, in the order given. */
  train: TfidfVector[];
  /** The vector of a query text (terms unknown to the train texts ignored). */
  vector(text: string): TfidfVector;
}

export function textFeatures(trainTexts: ReadonlyArray<string>): TextFeatures {
  const index = buildTfidfIndex(trainTexts);
  const cache = new Map<string, TfidfVector>();
  const vector = (text: string) => {
    let v = cache.get(text);
    if (!v) cache.set(text, (v = index.vectorize(text)));
    return v;
  };
  return { index, dims: index.vocabulary.size, train: trainTexts.map(vector), vector };
}

/** Dot product of a sparse vector with a dense one. */
export function dotTfidf(v: TfidfVector, dense: Float64Array, offset = 0): number {
  let s = 0;
  for (let i = 0; i < v.terms.length; i++) s += v.weights[i]! * dense[offset + v.terms[i]!]!;
  return s;
}
