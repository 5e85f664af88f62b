import { describe, expect, it } from "vitest";
import { normalizeAnswer } from "../../tools/answer/normalize.js";
import { wordsToNumbers } from "../../tools/answer/number-words.js";

describe("normalizeAnswer", () => {
  it("lowercases, deletes punctuation, drops articles and collapses whitespace", () => {
    expect(normalizeAnswer("  The  Eiffel Tower! ")).toBe("eiffel tower");
    expect(normalizeAnswer("U.S.A.")).toBe("usa");
    expect(normalizeAnswer("An apple, a day")).toBe("apple day");
    expect(normalizeAnswer("Theatre")).toBe("theatre"); // an article only as a whole word
  });

  it("deletes Unicode punctuation and symbols too", () => {
    expect(normalizeAnswer("“Hello” — world…")).toBe("hello world");
    expect(normalizeAnswer("¿Qué?")).toBe("que");
  });

  it("applies NFKC (full-width letters, ligatures)", () => {
    expect(normalizeAnswer("ＰＡＲＩＳ")).toBe("paris");
    expect(normalizeAnswer("ﬁnal")).toBe("final");
  });

  it("folds accents by default and keeps them when asked", () => {
    expect(normalizeAnswer("Café")).toBe(normalizeAnswer("cafe"));
    expect(normalizeAnswer("Zürich")).toBe("zurich");
    // composed and decomposed é are the same after NFKC either way
    expect(normalizeAnswer("Cafe\u0301", { foldAccents: false })).toBe(
      normalizeAnswer("Caf\u00e9", { foldAccents: false }),
    );
    expect(normalizeAnswer("Café", { foldAccents: false })).not.toBe("cafe");
  });

  it("turns number words into digits only when asked", () => {
    expect(normalizeAnswer("Twelve apostles")).toBe("twelve apostles");
    expect(normalizeAnswer("Twelve apostles", { numbersAsWords: true })).toBe("12 apostles");
    expect(normalizeAnswer("1,000", { numbersAsWords: true })).toBe(
      normalizeAnswer("one thousand", { numbersAsWords: true }),
    );
  });
});

describe("wordsToNumbers", () => {
  it.each([
    ["twelve", "12"],
    ["zero", "0"],
    ["twenty-five", "25"],
    ["twenty five", "25"],
    ["one hundred and five", "105"],
    ["a hundred", "100"],
    ["a thousand and one nights", "1001 nights"],
    ["nineteen hundred", "1900"],
    ["two million three hundred thousand", "2300000"],
    ["three hundred forty-two thousand six hundred and one", "342601"],
    ["one two three", "1 2 3"],
    ["twenty thirty", "20 30"],
    ["two and three", "2 and 3"],
    ["one hundred and", "100 and"],
    ["a cat and a dog", "a cat and a dog"],
    ["someone is alone", "someone is alone"],
    ["the first of ten", "the first of 10"],
    ["thousand", "1000"],
  ])("%s → %s", (input, out) => {
    expect(wordsToNumbers(input)).toBe(out);
  });
});
