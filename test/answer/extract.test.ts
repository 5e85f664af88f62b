import { describe, expect, it } from "vitest";
import { extractBoxed, extractFinalAnswer, extractHashAnswer } from "../../tools/answer/extract.js";

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

describe("extractHashAnswer (GSM8K's #### line)", () => {
  it("reads the last line's #### answer", () => {
    expect(extractHashAnswer("48 + 24 = <<48+24=72>>72 clips.\n#### 72")).toBe("72");
    expect(extractHashAnswer("so\n####   1,234  \n\n")).toBe("1,234");
    expect(extractHashAnswer("#### **18**.")).toBe("18");
    expect(extractFinalAnswer("She pays 3 * 6 = 18.\n#### 18")).toBe("18");
  });

  it("takes no markdown heading for an answer", () => {
    expect(extractHashAnswer("#### Step 1\nAdd 3 and 4.")).toBeNull();
    expect(extractHashAnswer("##### 5")).toBeNull();
    expect(extractHashAnswer("####")).toBeNull();
    expect(extractFinalAnswer("#### Step 1\nCompute 3+4 = 7.\n#### Step 2\nSo the answer is 7.")).toBe("7");
  });
});
