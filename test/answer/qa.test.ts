import { describe, expect, it } from "vitest";
import { containment, exactMatch, tokenF1 } from "../../tools/answer/qa.js";

describe("exactMatch", () => {
  it("matches after normalisation, max over references", () => {
    expect(exactMatch("the Beatles.", ["Beatles"])).toBe(1);
    expect(exactMatch("Rolling Stones", ["Beatles", "The Rolling Stones"])).toBe(1);
    expect(exactMatch("Beatles band", "Beatles")).toBe(0);
  });

  it("does not credit a long answer that contains the gold string", () => {
    const long = "After much thought, I believe the answer is probably Paris, France's capital.";
    expect(exactMatch(long, "Paris")).toBe(0);
    expect(containment(long, "Paris")).toBe(1);
  });

  it("handles numbers as words when asked", () => {
    expect(exactMatch("twelve", "12")).toBe(0);
    expect(exactMatch("twelve", "12", { numbersAsWords: true })).toBe(1);
    expect(exactMatch("One hundred and five", "105", { numbersAsWords: true })).toBe(1);
  });

  it("rejects an empty reference list", () => {
    expect(() => exactMatch("x", [])).toThrow(RangeError);
  });
});

describe("tokenF1", () => {
  it("computes SQuAD token F1 with multiset overlap", () => {
    // pred tokens: barack obama ; gold: president barack obama → p=1, r=2/3, f1=0.8
    expect(tokenF1("Barack Obama", "President Barack Obama")).toBeCloseTo(0.8, 10);
    // repeated tokens count once per occurrence: pred "paris paris", gold "paris" → p=1/2, r=1 → 2/3
    expect(tokenF1("Paris Paris", "Paris")).toBeCloseTo(2 / 3, 10);
    expect(tokenF1("London", "Paris")).toBe(0);
  });

  it("takes the best reference, and scores empty sides as SQuAD does", () => {
    expect(tokenF1("new york city", ["york", "New York City"])).toBe(1);
    expect(tokenF1("the", "a")).toBe(1); // both normalise to nothing
    expect(tokenF1("the", "Paris")).toBe(0);
  });
});

describe("containment", () => {
  it("needs whole words", () => {
    expect(containment("It is in the parish records", "Paris")).toBe(0);
    expect(containment("He moved to New York City in 1990", "new york")).toBe(1);
    expect(containment("Café de Flore, Paris", "cafe de flore")).toBe(1);
  });

  it("never matches an empty gold", () => {
    expect(containment("anything at all", ["the", "..."])).toBe(0);
  });
});
