/**
 * How text becomes index terms, for passages and queries alike. Bump ANALYZER_VERSION whenever this changes, so
 * indexes persisted with the old rules are rebuilt rather than silently mis-matched.
 */
export const ANALYZER_VERSION = 1;

/** Very common English words, dropped: they add little to BM25 and make queries slow on large indexes. */
const STOPWORDS = new Set(
  (
    "a an and are as at be but by for from has have he her his i if in into is it its of on or she so " +
    "that the their them then there these they this to was were what when where which who will with you"
  ).split(" "),
);

const SPLIT = /[\s\p{Z}\p{P}]+/u;
const MARKS = /\p{M}+/gu;

/**
 * Split on whitespace and punctuation. Kept apart from handbook/text.ts's terms: passages match across accents and
 * forms (processTerm), and indexes persisted with these rules carry ANALYZER_VERSION.
 */
export function tokenize(text: string): string[] {
  return text.split(SPLIT);
}

/** NFKC, lowercase, accents folded ("Café" → "cafe"); stopwords and empty terms dropped. */
export function processTerm(term: string): string | null {
  const t = term.normalize("NFKD").replace(MARKS, "").normalize("NFKC").toLowerCase();
  if (t.length === 0 || STOPWORDS.has(t)) return null;
  return t;
}
