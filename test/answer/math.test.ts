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
    expect(latexToExpression("\\frac{a}{\\sqrt[3]{b^{2}}}")).toEqual({
      expression: "((a)/(nthRoot(b^(2), 3)))",
      percent: false,
    });
    expect(latexToExpression("25\\%")).toEqual({ expression: "25", percent: true });
  });

  it("gives null for unbalanced braces or unknown commands", () => {
    expect(latexToExpression("\\frac{1}{2")).toBeNull();
    expect(latexToExpression("\\weird x")).toBeNull();
  });
});

describe("mathEquivalent: integers and rationals compare exactly", () => {
  it.each([
    ["1000000000", "1000000001"],
    ["999999999999", "1000000000000"],
    ["12345678901234567890", "12345678901234567891"],
    ["2^{1000}", "2^{1000}+1"],
    ["\\frac{10^{20}+1}{3}", "\\frac{10^{20}}{3}"],
    ["-1000000000", "-1000000001"],
    ["1000000000.0", "1000000001"], // a decimal never reaches past half a unit in its last place
    ["1e9", "1000000001"],
    ["2^{100000}", "2^{100000}+1"], // too large to compute exactly: not equal, rather than Infinity == Infinity
    ["10^{10^{9}}", "10^{10^{9}}+1"], // refused before computing, not a hang
    ["(-1)^{10^{9}+1}", "1"],
  ])("%s != %s", (a, b) => {
    expect(mathEquivalent(a, b)).toBe(false);
    expect(mathEquivalent(b, a)).toBe(false);
  });

  it.each([
    ["1000000001", "1000000001"],
    ["2^{1000}+1", "1+2^{1000}"],
    ["\\frac{2}{4}", "\\frac{1}{2}"],
    ["10^{20}", "100000000000000000000"],
    ["1000000000", "1e9"],
    ["72", "72.0"],
    ["0.1+0.2", "0.3"],
    ["12.5\\%", "0.125"],
    ["(-1)^{10^{9}+1}", "-1"],
    ["2^{\\frac{4}{2}}", "4"],
    ["\\frac{6}{4}", "1.5"],
  ])("%s == %s", (a, b) => {
    expect(mathEquivalent(a, b)).toBe(true);
    expect(mathEquivalent(b, a)).toBe(true);
  });

  it("keeps a tolerance for decimals, within their written precision", () => {
    expect(mathEquivalent("0.3333333333333333", "\\frac{1}{3}")).toBe(true);
    expect(mathEquivalent("0.30000000000000004", "0.3")).toBe(true);
    expect(mathEquivalent("0.33333333", "\\frac{1}{3}")).toBe(false); // 3e-9 off: beyond the 1e-9 tolerance
    expect(mathEquivalent("72.00000001", "72")).toBe(false); // beyond half a unit of its last place
    expect(mathEquivalent("-0.8660254037844386", "-\\frac{\\sqrt{3}}{2}")).toBe(true); // irrational: floats
    expect(mathEquivalent("0.33", "1/3", { relTol: 0.02 })).toBe(true); // a looser tolerance, within 0.005
    expect(mathEquivalent("0.4", "1/3", { relTol: 0.2 })).toBe(false); // within 0.08, but beyond half a unit (0.05)
  });
});

describe("mathEquivalent: notation that must not hide a right answer", () => {
  it.each([
    ["\u22125", "-5"], // U+2212 MINUS SIGN
    ["\u2212\\frac{1}{2}", "-0.5"],
    ["3 \u2212 x", "-x + 3"],
    ["\\left( 2, 3 \\right)", "(2, 3)"],
    ["\\left[ 1, 2 \\right)", "[1, 2)"],
    ["\\bigl( -1, \u22122 \\bigr)", "(-1, -2)"],
    ["5\\text{ m}", "5"],
    ["8\\ \\text{m}^2", "8"],
    ["\\frac{1}{2}\\,\\mathrm{kg}", "0.5"],
    ["5 m", "5"],
    ["8 m^2", "8"],
    ["8 m²", "8"],
    ["9.8 m/s^2", "9.8"],
    ["x²+1", "x^2+1"],
    ["\\{1, 2, 3\\}", "\\{3, 1, 2\\}"],
    ["\\left\\{ -1, \\frac{1}{2} \\right\\}", "\\{0.5, -1\\}"],
    ["{2, 1}", "\\{1, 2\\}"],
    ["2, -3", "-3, 2"], // all solutions, separated by commas
  ])("%s == %s", (a, b) => {
    expect(mathEquivalent(a, b)).toBe(true);
    expect(mathEquivalent(b, a)).toBe(true);
  });

  it.each([
    ["\u22125", "5"],
    ["\\left( 2, 3 \\right)", "(3, 2)"], // tuples stay ordered
    ["\\left( 2, 3 \\right)", "[2, 3]"],
    ["\\left[ 1, 2 \\right)", "[1, 2]"],
    ["5\\text{ m}", "6"],
    ["8\\ \\text{m}^2", "64"],
    ["5 m", "5.5"],
    ["2 x", "2"], // x is no unit
    ["\\{1, 2\\}", "\\{1, 3\\}"],
    ["\\{1, 2\\}", "(1, 2)"],
    ["\\{1, 1, 2\\}", "\\{1, 2, 2\\}"],
    ["2, -3", "-3, 3"],
    ["1,000", "000,1"], // a thousands separator, not a list
  ])("%s != %s", (a, b) => {
    expect(mathEquivalent(a, b)).toBe(false);
    expect(mathEquivalent(b, a)).toBe(false);
  });
});
