import { describe, expect, it } from "vitest";
import { buildTfidfIndex, tfidfTokens } from "../../src/eval/tfidf.js";

describe("tfidfTokens", () => {
  it("lower-cases runs of two or more word characters, Unicode-aware", () => {
    expect(tfidfTokens("What's the Größe of a_b x 42?")).toEqual(["what", "the", "größe", "of", "a_b", "42"]);
  });
});

describe("TF-IDF index", () => {
  const docs = ["apple banana fruit", "banana fruit salad", "engine motor car", "car engine oil"];
  const index = buildTfidfIndex(docs);

  it("smoothed idf: ln((1+N)/(1+df)) + 1", () => {
    expect(index.idf[index.vocabulary.get("apple")!]).toBeCloseTo(Math.log(5 / 2) + 1, 12);
    expect(index.idf[index.vocabulary.get("banana")!]).toBeCloseTo(Math.log(5 / 3) + 1, 12);
  });

  it("L2-normalised vectors with raw counts; unknown terms ignored", () => {
    const v = index.vectorize("banana banana apple zebra");
    const a = Math.log(5 / 2) + 1;
    const b = 2 * (Math.log(5 / 3) + 1);
    const norm = Math.hypot(a, b);
    const w = Object.fromEntries(
      [...v.terms].map((t, i) => [[...index.vocabulary].find(([, id]) => id === t)![0], v.weights[i]]),
    );
    expect(Object.keys(w).sort()).toEqual(["apple", "banana"]);
    expect(w.apple).toBeCloseTo(a / norm, 12);
    expect(w.banana).toBeCloseTo(b / norm, 12);
  });

  it("nearest: cosine order, identical text has similarity 1, ties to the earlier document, only shared terms", () => {
    const n = index.nearest("car engine oil", 3);
    expect(n[0]).toEqual({ doc: 3, similarity: expect.closeTo(1, 12) });
    expect(n.map((x) => x.doc)).toEqual([3, 2]);
    // "banana" alone: documents 0 and 1 hold it with the same weight → tie → earlier first.
    const t = index.nearest("banana", 1);
    expect(t.map((x) => x.doc)).toEqual([0]);
    expect(index.nearest("banana", 5).map((x) => x.doc)).toEqual([0, 1]);
    expect(index.nearest("zebra", 5)).toEqual([]);
  });

  it("k-best selection agrees with a full sort on a larger corpus", () => {
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
    const corpus = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 1 + (i % 7) }, (_, j) => words[(i * 3 + j * 7) % 10]).join(" "),
    );
    const idx = buildTfidfIndex(corpus);
    const query = "alpha gamma gamma theta";
    const all = idx.nearest(query, 300);
    for (const k of [1, 5, 20, 50]) expect(idx.nearest(query, k)).toEqual(all.slice(0, k));
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      expect(a.similarity > b.similarity || (a.similarity === b.similarity && a.doc < b.doc)).toBe(true);
    }
    expect(() => idx.nearest(query, 0)).toThrow(RangeError);
  });
});
