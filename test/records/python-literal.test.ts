import { describe, expect, it } from "vitest";
import { parsePythonString, parseStringList, unwrapListLiteral } from "../../src/records/python-literal.js";

describe("unwrapListLiteral", () => {
  it("unwraps one-element lists in either quote style", () => {
    expect(unwrapListLiteral("['C']")).toBe("C");
    expect(unwrapListLiteral('["it\'s"]')).toBe("it's");
    expect(unwrapListLiteral("  ['padded']  ")).toBe("padded");
    expect(unwrapListLiteral("[]")).toBe("");
  });

  it("decodes Python escapes as Python does", () => {
    // Each expected value is what Python's ast.literal_eval gives for the same text.
    expect(unwrapListLiteral(String.raw`['a\nb\tc']`)).toBe("a\nb\tc");
    expect(unwrapListLiteral(String.raw`['it\'s \"q\" \\ done']`)).toBe(`it's "q" \\ done`);
    expect(unwrapListLiteral(String.raw`['AgNO3 \x02+ NaCl']`)).toBe("AgNO3 \u0002+ NaCl");
    expect(unwrapListLiteral(String.raw`['caf\u00e9 \U0001F600']`)).toBe("café 😀");
    expect(unwrapListLiteral(String.raw`['\r\n\a\b\f\v']`)).toBe("\r\n\x07\b\f\v");
    expect(unwrapListLiteral(String.raw`['\101\0z']`)).toBe("A\0z");
    // An unknown escape keeps its backslash (Python: '\\d' → '\\d').
    expect(unwrapListLiteral(String.raw`['re \d+']`)).toBe("re \\d+");
    // A backslash-newline inside a literal is a line continuation: dropped.
    expect(unwrapListLiteral("['a\\\nb']")).toBe("ab");
  });

  it("joins several elements with a newline (and concatenates adjacent literals)", () => {
    expect(unwrapListLiteral(`['first', "second"]`)).toBe("first\nsecond");
    expect(unwrapListLiteral(`['a', 'b',]`)).toBe("a\nb");
    expect(unwrapListLiteral(`['a' "b", 'c']`)).toBe("ab\nc");
  });

  it("keeps a cell that is not a list literal as it is", () => {
    for (const cell of [
      "C",
      "plain text with ['brackets'] inside",
      "['unterminated]",
      "['a'] trailing",
      "['a' 'b'",
      "['a', 3]",
      "[x]",
      String.raw`['bad \x4']`,
      String.raw`['named \N{BULLET}']`,
      "['raw\nnewline']",
      "'''['triple''']",
      "['''triple''']",
      "",
    ])
      expect(unwrapListLiteral(cell)).toBe(cell);
  });
});

describe("parsePythonString / parseStringList", () => {
  it("reports where a literal ends", () => {
    expect(parsePythonString(`x'ab'c`, 1)).toEqual({ value: "ab", end: 5 });
    expect(parsePythonString(`x'ab`, 1)).toBeNull();
    expect(parseStringList(`['a','b']`)).toEqual(["a", "b"]);
    expect(parseStringList(`('a',)`)).toBeNull();
  });
});
