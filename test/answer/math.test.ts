import { describe, expect, it } from "vitest";
import { latexToExpression } from "../../tools/answer/latex.js";
import { compareMath, mathEquivalent } from "../../tools/answer/math.js";

describe("mathEquivalent: equal", () => {
  it.each([
    ["0.5", "1/2"],
    ["0.5", "\\frac{1}{2}"],
    ["1/2", "\\dfrac12"],
    ["$\\tfrac{1}{2}$", ".5"],
    ["\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2"],
    ["-\\frac{\\sqrt{3}}{2}", "-0.8660254037844386"],
    ["\\sqrt{8}", "2\\sqrt{2}"],
    ["\\sqrt[3]{27}", "3"],
    ["2^{10}", "1024"],
    ["3 \\cdot 4", "12"],
    ["6 \\times 7", "42"],
    ["\\left(\\frac{3}{4}\\right)", "0.75"],
    ["1,000,000", "1000000"],
    ["1\\,000", "1000"],
    ["50\\%", "50"],
    ["50%", "0.5"],
    ["5 cm", "5"],
    ["12\\text{ apples}", "12"],
    ["30^\\circ", "30"],
    ["\\$5", "5"],
    ["x = 3", "3"],
    ["twelve", "12"],
    ["x+1", "1+x"],
    ["2x", "x \\cdot 2"],
    ["x^2+2x+1", "(x+1)^2"],
    ["\\frac{x}{2}", "0.5x"],
    ["\\pi r^2", "r^2 \\pi"],
    ["(1,2)", "(1, 2)"],
    ["\\infty", "\\infty"],
  ])("%s == %s", (a, b) => {
    expect(mathEquivalent(a, b)).toBe(true);
    expect(mathEquivalent(b, a)).toBe(true);
  });
});

describe("mathEquivalent: different", () => {
  it.each([
    ["0.5", "0.6"],
    ["\\pi", "3.14159"],
    ["0.333", "1/3"],
    ["x+1", "x+2"],
    ["x^2", "x^3"],
    ["x+1", "y+1"],
    ["(1,2)", "[1,2]"],
    ["(1,2)", "(2,1)"],
    ["1,000", "1,000,000"],
    ["5", "hello"],
  ])("%s != %s", (a, b) => {
    expect(mathEquivalent(a, b)).toBe(false);
  });

  it("honours a looser tolerance when given", () => {
    expect(mathEquivalent("3.14159", "\\pi", { relTol: 1e-5 })).toBe(true);
  });
});

describe("compareMath", () => {
  it("says how it decided", () => {
    expect(compareMath("x+1", "1+x").how).toBe("points");
    expect(compareMath("0.5", "1/2").how).toBe("numeric");
    expect(compareMath("1,000", "1000").how).toBe("text");
  });

  it("refuses to evaluate anything but simple maths", () => {
    const big = compareMath("ones(100000, 100000)", "1");
    expect(big).toMatchObject({ equal: false, how: "unparsed", prediction: null });
    expect(compareMath("a = 1; b = 2", "1")).toMatchObject({ equal: false, how: "unparsed" });
    expect(compareMath("import({}, {})", "1").how).toBe("unparsed");
  });

  it("compares unparsable answers as text", () => {
    expect(compareMath("\\unknowncommand{1}", "\\unknowncommand{1}")).toMatchObject({ equal: true, how: "unparsed" });
  });

  it("is deterministic for a seed", () => {
    const a = compareMath("sqrt(x^2)", "x", { seed: "s1" });
    const b = compareMath("sqrt(x^2)", "x", { seed: "s1" });
    expect(a).toEqual(b);
    expect(a.equal).toBe(true); // points are drawn from positive values
  });
});

describe("latexToExpression", () => {
  it("rewrites fractions, roots and powers into mathjs syntax", () => {
    expect(latexToExpression("\\frac{a}{\\sqrt[3]{b^{2}}}")).toEqual({ expression: "((a)/(nthRoot(b^(2), 3)))", percent: false });
    expect(latexToExpression("25\\%")).toEqual({ expression: "25", percent: true });
  });

  it("gives null for unbalanced braces or unknown commands", () => {
    expect(latexToExpression("\\frac{1}{2")).toBeNull();
    expect(latexToExpression("\\weird x")).toBeNull();
  });
});
