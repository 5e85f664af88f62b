import { describe, expect, it } from "vitest";
import { extractBoxed, extractFinalAnswer } from "../../tools/answer/extract.js";

describe("extractBoxed", () => {
  it("keeps nested braces and takes the last box", () => {
    expect(extractBoxed("so $\\boxed{\\frac{1}{2}}$")).toBe("\\frac{1}{2}");
    expect(extractBoxed("\\boxed{1} then \\boxed{ \\frac{\\sqrt{3}}{2} }")).toBe("\\frac{\\sqrt{3}}{2}");
    expect(extractBoxed("\\boxed{\\{1, 2\\}}")).toBe("\\{1, 2\\}");
    expect(extractBoxed("\\fbox{42}")).toBe("42");
  });

  it("reads an unbraced box and gives null for none or an unclosed one", () => {
    expect(extractBoxed("answer: \\boxed 7$")).toBe("7");
    expect(extractBoxed("no box here")).toBeNull();
    expect(extractBoxed("\\boxed{\\frac{1}{2}")).toBeNull();
  });
});

describe("extractFinalAnswer", () => {
  it("prefers a box, then an answer tag, then an answer phrase", () => {
    expect(extractFinalAnswer("<answer>Paris</answer> and \\boxed{3}")).toBe("3");
    expect(extractFinalAnswer("thinking...<ANSWER> Lyon </ANSWER>")).toBe("Lyon");
    expect(extractFinalAnswer("<answer>a</answer><answer>b</answer>")).toBe("b");
  });

  it("reads 'the answer is' to the end of the sentence", () => {
    expect(extractFinalAnswer("The answer is not obvious.\nSo the answer is 3.5.")).toBe("3.5");
    expect(extractFinalAnswer("The answer is 5. Because 2+3=5.")).toBe("5");
    expect(extractFinalAnswer("Final Answer: **George Washington**")).toBe("George Washington");
    expect(extractFinalAnswer("Answer: Mount Everest\nExplanation: tallest")).toBe("Mount Everest");
  });

  it("gives null when nothing marks an answer", () => {
    expect(extractFinalAnswer("I think it's Paris")).toBeNull();
  });
});
