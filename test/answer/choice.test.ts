import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { extractChoice, scoreChoice } from "../../tools/answer/choice.js";

describe("extractChoice", () => {
  it.each([
    ["B", "B"],
    ["(C)", "C"],
    ["(c)", "C"],
    ["D.", "D"],
    ["**E**", "E"],
    ["B. Paris is the capital", "B"],
    ["(A) Paris", "A"],
    ["The answer is B", "B"],
    ["I think the correct answer is (d) because...", "D"],
    ["Answer: C", "C"],
    ["Options A and B are wrong; the answer is option C.", "C"],
    ["The answer is C, not option A", "C"],
    ["\\boxed{D}", "D"],
    ["<answer>(B)</answer>", "B"],
    ["Let me think. A is wrong, B is wrong.\nFinal answer: E", "E"],
  ])("%s → %s", (response, letter) => {
    expect(extractChoice(response)).toBe(letter);
  });

  it.each(["A cat sat on the mat", "the answer is a dog", "I am not sure", "F"])(
    "finds no letter in %s",
    (response) => {
      expect(extractChoice(response)).toBeNull();
    },
  );

  it("uses the given letters", () => {
    expect(extractChoice("F", { letters: "ABCDEF" })).toBe("F");
    expect(extractChoice("The answer is E", { letters: "ABCD" })).toBeNull();
  });
});

describe("scoreChoice", () => {
  it("compares with the gold letter in any form", () => {
    expect(scoreChoice("The answer is (b).", "B")).toBe(1);
    expect(scoreChoice("The answer is (b).", "(B)")).toBe(1);
    expect(scoreChoice("The answer is (b).", "b")).toBe(1);
    expect(scoreChoice("C", "B")).toBe(0);
    expect(scoreChoice("no idea", "B")).toBe(0);
  });

  it("rejects a gold that is not a letter", () => {
    expect(() => scoreChoice("A", "Paris")).toThrow(InputError);
  });
});

describe("extractChoice: bracketed letters in prose", () => {
  it("takes the only bracketed letter, and none from a list of options", () => {
    expect(extractChoice("I pick (c).")).toBe("C");
    expect(extractChoice("The options are (A) Paris and (B) London; hard to say")).toBeNull();
  });
});

describe("extractChoice: more ways of answering", () => {
  it.each([
    ["Answer: b", "B"],
    ["a) 12", "A"],
    ["I'd say C", "C"],
    ["\\boxed{\\text{B}}", "B"],
    ["$\\boxed{\\textbf{(D)}}$", "D"],
    ["\\boxed{b}", "B"],
    ["b", "B"],
    ["c.", "C"],
    ["Answer: (b) 12", "B"],
    ["I would go with (b)", "B"],
    ["We'll go with D.", "D"],
    ["I'm going with B", "B"],
    ["Let's say A is the area, so I think (c).", "C"],
    ["Hmm. I'd pick A, but no: I'd say E", "E"],
    ["(A) 3 (B) 4 (C) 5 (D) 6\nI'd say C", "C"],
    ["Options:\n(A) 3\n(B) 4\nAnswer: b", "B"],
  ])("%s → %s", (response, letter) => {
    expect(extractChoice(response)).toBe(letter);
  });

  it.each([
    "(A) 3 (B) 4 (C) 5 (D) 6", // an echoed option list
    "A. 3\nB. 4\nC. 5\nD. 6",
    "a) 3\nb) 4\nc) 5",
    "I'd say A is wrong", // a letter that is then called wrong
    "I'd say it depends",
    "Let's say A is the area of the square.", // no speaker choosing
    "I choose option d", // a bare lower-case letter in prose
    "a lot of thought went into this",
    "\\boxed{\\text{Paris}}",
  ])("finds no choice in %s", (response) => {
    expect(extractChoice(response)).toBeNull();
  });

  it("scores an echoed option list as no answer, whatever the gold", () => {
    for (const gold of ["A", "B", "C", "D"]) expect(scoreChoice("(A) 3 (B) 4 (C) 5 (D) 6", gold)).toBe(0);
    expect(scoreChoice("\\boxed{\\text{B}}", "B")).toBe(1);
    expect(scoreChoice("\\boxed{\\text{B}}", "C")).toBe(0);
  });
});
