import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { chunkWords, resolveChunkOptions } from "../../tools/search/chunk.js";

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");

describe("chunkWords", () => {
  it("keeps a short text as one passage and normalises whitespace", () => {
    expect(chunkWords("  a\n b\t c ", { passageWords: 5, overlapWords: 1 })).toEqual(["a b c"]);
  });

  it("cuts windows that share the overlap and cover every word", () => {
    const out = chunkWords(words(10), { passageWords: 4, overlapWords: 1 });
    expect(out).toEqual(["w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"]);
  });

  it("ends with a shorter window rather than dropping words", () => {
    const out = chunkWords(words(7), { passageWords: 4, overlapWords: 2 });
    expect(out).toEqual(["w0 w1 w2 w3", "w2 w3 w4 w5", "w4 w5 w6"]);
  });

  it("gives one empty passage for an empty text", () => {
    expect(chunkWords("", { passageWords: 3, overlapWords: 0 })).toEqual([""]);
  });
});

describe("resolveChunkOptions", () => {
  it("fills defaults", () => {
    expect(resolveChunkOptions()).toEqual({ passageWords: 100, overlapWords: 20 });
  });
  it("rejects an overlap as long as the passage, naming the option", () => {
    expect(() => resolveChunkOptions({ passageWords: 5, overlapWords: 5 })).toThrow(InputError);
    expect(() => resolveChunkOptions({ passageWords: 5, overlapWords: 5 })).toThrow(/overlapWords/);
    expect(() => resolveChunkOptions({ passageWords: 0 })).toThrow(/passageWords/);
  });
});
