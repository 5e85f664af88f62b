import { describe, expect, it } from "vitest";
import { extractProgram } from "../../tools/answer/code.js";

describe("extractProgram", () => {
  it("takes the last block in the language, or untagged", () => {
    const response =
      "First try:\n```python\ndef f(): return 1\n```\nBetter:\n```py\ndef f(): return 2\n```\n```text\nout\n```";
    expect(extractProgram(response, "python")).toBe("def f(): return 2\n");
    expect(extractProgram("```\nconst x = 1;\n```", "javascript")).toBe("const x = 1;\n");
  });

  it("falls back to any block, then to the whole response", () => {
    expect(extractProgram("```ruby\nputs 1\n```", "python")).toBe("puts 1\n");
    expect(extractProgram("def f():\n    return 3", "python")).toBe("def f():\n    return 3\n");
    expect(extractProgram("   ", "python")).toBeNull();
    expect(extractProgram("```python\n\n```", "python")).toBeNull();
  });

  it("extracts a truncated block without its unclosed fence line", () => {
    expect(extractProgram("Here:\n```python\ndef add(a, b):\n    return a + b\n", "python")).toBe(
      "def add(a, b):\n    return a + b\n",
    );
    expect(extractProgram("```js\nconst x = 1;", "javascript")).toBe("const x = 1;\n");
    expect(extractProgram("```\ndef f(): return 4", "python")).toBe("def f(): return 4\n");
    expect(extractProgram("```text\nout\n```\n```python\ndef f(): return 3", "python")).toBe("def f(): return 3\n");
  });

  it("prefers a closed block to a truncated one, and finds nothing in an empty open fence", () => {
    const response = "First:\n```python\ndef f(): return 1\n```\nNow better:\n```python\ndef f(): return";
    expect(extractProgram(response, "python")).toBe("def f(): return 1\n");
    expect(extractProgram("```python", "python")).toBeNull();
    expect(extractProgram("```python\n", "python")).toBeNull();
    for (const r of ["```python\nprint(1)", "Sure.\n```py\nprint(1)\n"])
      expect(extractProgram(r, "python")).not.toContain("```");
  });
});
