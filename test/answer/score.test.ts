import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { score } from "../../tools/answer/score.js";

describe("score", () => {
  it("scores EM and F1 on the extracted final answer", () => {
    expect(score("Let me think... <answer>The Beatles</answer>", ["Beatles"], "em")).toEqual({
      score: 1,
      metric: "em",
      extracted: "The Beatles",
    });
    expect(score("Barack Obama", "President Barack Obama", "f1").score).toBeCloseTo(0.8, 10);
  });

  it("keeps EM and containment apart on a long answer", () => {
    const long = "The city you are looking for, famous for the Eiffel Tower, is Paris.";
    expect(score(long, "Paris", "em").score).toBe(0);
    expect(score(long, "Paris", "containment").score).toBe(1);
  });

  it("passes normalisation options through", () => {
    expect(score("twelve", "12", "em").score).toBe(0);
    expect(score("twelve", "12", "em", { numbersAsWords: true }).score).toBe(1);
    expect(score("Cafe", "Café", "em", { foldAccents: false }).score).toBe(0);
  });

  it("scores multiple choice by letter", () => {
    expect(score("I pick (c).", "C", "mc")).toEqual({ score: 1, metric: "mc", extracted: "C" });
    expect(score("I pick (c).", ["A", "B"], "mc")).toEqual({ score: 0, metric: "mc", extracted: "C" });
  });

  it("scores math by equivalence, extracting boxed answers on both sides", () => {
    expect(score("so the result is $\\boxed{\\frac{1}{2}}$", "0.5", "math")).toEqual({
      score: 1,
      metric: "math",
      extracted: "\\frac{1}{2}",
    });
    expect(score("\\boxed{0.5}", "The solution gives \\boxed{\\dfrac{1}{2}}", "math").score).toBe(1);
    expect(score("\\boxed{0.25}", "1/2", "math").score).toBe(0);
  });

  it("scores GSM8K's #### answers on both sides", () => {
    const gold =
      "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether.\n#### 72";
    expect(score("48 + 24 = 72\n#### 72", gold, "math")).toEqual({ score: 1, metric: "math", extracted: "72" });
    expect(score("The answer is 72.", gold, "math").score).toBe(1);
    expect(score("48 + 24 = 71\n#### 71", gold, "math").score).toBe(0);
    expect(score("#### 1,000,000,001", "#### 1000000000", "math").score).toBe(0);
  });

  it("scores a plain-text answer with a one-letter unit", () => {
    expect(score("The answer is 5 m.", "5", "math")).toEqual({ score: 1, metric: "math", extracted: "5 m" });
    expect(score("The answer is 5 m.", "\\boxed{5\\text{ m}}", "math").score).toBe(1);
    expect(score("The answer is 6 m.", "5", "math").score).toBe(0);
  });

  it("rejects an unknown metric and an empty reference list", () => {
    expect(() => score("x", "x", "bleu" as never)).toThrow(InputError);
    expect(() => score("x", "x", "bleu" as never)).toThrow(/^metric: unknown metric "bleu"/);
    expect(() => score("x", [], "em")).toThrow(/^references: /);
  });
});
