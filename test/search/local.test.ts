import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { LocalSearch } from "../../tools/search/local.js";

const docs = [
  { id: "paris", title: "Paris", text: "Paris is the capital and largest city of France, on the Seine." },
  { id: "lyon", title: "Lyon", text: "Lyon is a city in France known for its cuisine and silk." },
  { id: "berlin", title: "Berlin", text: "Berlin is the capital of Germany and lies on the Spree river." },
  { id: "cafe", title: "Café culture", text: "The café is a place to drink coffee." },
];

describe("LocalSearch.fromDocuments", () => {
  const search = LocalSearch.fromDocuments(docs, { passageWords: 50, overlapWords: 5 });

  it("ranks the passage that matches the most query terms first", () => {
    const hits = search.search("capital of France", 3);
    expect(hits[0]!.docId).toBe("paris");
    expect(hits.map((h) => h.docId)).toContain("lyon");
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it("returns passages with ids, titles, text and scores", () => {
    const [hit] = search.search("Spree", 1);
    expect(hit).toEqual({
      id: "berlin#0",
      docId: "berlin",
      title: "Berlin",
      text: docs[2]!.text,
      score: expect.any(Number),
    });
  });

  it("returns at most k passages", () => {
    expect(search.search("city capital France Germany", 2)).toHaveLength(2);
  });

  it("folds accents and case, in both query and text", () => {
    expect(search.search("CAFE", 1)[0]?.docId).toBe("cafe");
    expect(search.search("lyón", 1)[0]?.docId).toBe("lyon");
  });

  it("finds nothing for a query of only stopwords or unknown words", () => {
    expect(search.search("the of and", 5)).toEqual([]);
    expect(search.search("zzzqqq", 5)).toEqual([]);
  });

  it("rejects a k that is not a positive whole number", () => {
    expect(() => search.search("paris", 0)).toThrow(RangeError);
  });

  it("numbers each document's passages from 0", () => {
    const long = LocalSearch.fromDocuments(
      [{ id: "d", title: "T", text: Array.from({ length: 25 }, (_, i) => `word${i}`).join(" ") }],
      { passageWords: 10, overlapWords: 2 },
    );
    expect(long.passageCount).toBe(3);
    expect(long.search("word24", 1)[0]!.id).toBe("d#2");
    expect(
      long
        .search("word9", 5)
        .map((p) => p.id)
        .sort(),
    ).toEqual(["d#0", "d#1"]);
  });

  it("rejects a bad or duplicate document, naming its index and field", () => {
    expect(() => LocalSearch.fromDocuments([{ id: "a", title: "A" } as never])).toThrow(/^documents\[0\]: \$\.text: /);
    expect(() =>
      LocalSearch.fromDocuments([
        { id: "a", title: "", text: "" },
        { id: "a", title: "", text: "" },
      ]),
    ).toThrow(new InputError('documents[1]: $.id: duplicate id "a"'));
  });
});
