import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { lineColumn, parseJsonText } from "../../src/core/json-file.js";

const errorOf = (text: string): string => {
  try {
    parseJsonText(text, "f.json");
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error("parsed");
};

describe("parseJsonText", () => {
  it("parses valid JSON", () => {
    expect(parseJsonText('{"a": [1, 2]}', "f.json")).toEqual({ a: [1, 2] });
  });

  it("locates errors by line and column, on one line", () => {
    expect(errorOf('{\n  "a": 1,\n}')).toMatch(/^f\.json: invalid JSON at line 3, column 1: /);
    expect(errorOf('[\n  {"q": "x",\n  "s": }\n]')).toMatch(/^f\.json: invalid JSON at line 3, column 8: /);
    expect(errorOf("[1,\n2")).toMatch(/^f\.json: invalid JSON at line 2, column 2: /);
    expect(errorOf("nope")).toMatch(/^f\.json: invalid JSON at line 1, column 2: Unexpected token .o./);
    for (const t of ['{\n  "a": 1,\n}', '[\n  {"q": "x",\n  "s": }\n]']) expect(errorOf(t)).not.toContain("\n");
  });

  it("counts lines and columns from 1", () => {
    expect(lineColumn("ab\ncd", 0)).toBe("line 1, column 1");
    expect(lineColumn("ab\ncd", 4)).toBe("line 2, column 2");
  });
});
