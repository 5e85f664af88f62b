/**
 * Queries whose text appears on both sides of a train/test split. Texts are compared after normalisation
 * (Unicode NFKC, lower case, runs of whitespace as one space, trimmed), so a test question that is in train
 * up to case or spacing counts.
 */

/** The text two queries are compared by. */
export function normaliseQueryText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

export interface QueryText {
  queryId: string;
  query: string;
}

export interface Overlap {
  /** Distinct test queries (by id) whose normalised text is also a train query's. */
  queries: number;
  /** Those test query ids, in order of first appearance. */
  testIds: string[];
  /** The train query ids with such a text, in order of first appearance. */
  trainIds: string[];
}

function distinct(items: Iterable<QueryText>): QueryText[] {
  const seen = new Set<string>();
  const out: QueryText[] = [];
  for (const q of items) {
    if (seen.has(q.queryId)) continue;
    seen.add(q.queryId);
    out.push(q);
  }
  return out;
}

/** The overlap of two sets of queries (or records: one entry per query id is used, the first). Pure. */
export function findOverlap(train: Iterable<QueryText>, test: Iterable<QueryText>): Overlap {
  const trainQs = distinct(train);
  const testQs = distinct(test);
  const trainTexts = new Set(trainQs.map((q) => normaliseQueryText(q.query)));
  const testIds = testQs.filter((q) => trainTexts.has(normaliseQueryText(q.query))).map((q) => q.queryId);
  const shared = new Set(
    testQs.filter((q) => trainTexts.has(normaliseQueryText(q.query))).map((q) => normaliseQueryText(q.query)),
  );
  const trainIds = trainQs.filter((q) => shared.has(normaliseQueryText(q.query))).map((q) => q.queryId);
  return { queries: testIds.length, testIds, trainIds };
}

/** `train` without the records of queries whose text is also in `test` (what `eval --dedupe` learns from). */
export function dropOverlap<T extends QueryText>(
  train: ReadonlyArray<T>,
  test: Iterable<QueryText>,
): { kept: T[]; overlap: Overlap } {
  const overlap = findOverlap(train, test);
  const drop = new Set(overlap.trainIds);
  return { kept: train.filter((r) => !drop.has(r.queryId)), overlap };
}
