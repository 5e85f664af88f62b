import { describe, expect, it } from "vitest";
import { extractProgram } from "../../tools/answer/code.js";

describe("extractProgram", () => {
  it("takes the last block in the language, or untagged", () => {
    const response = "First try:\n```python\ndef f(): return 1\n```\nBetter:\n```py\ndef f(): return 2\n```\n```text\nout\n```";
    expect(extractProgram(response, "python")).toBe("def f(): return 2\n");
    expect(extractProgram("```\nconst x = 1;\n```", "javascript")).toBe("const x = 1;\n");
  });

  it("falls back to any block, then to the whole response", () => {
    expect(extractProgram("```ruby\nputs 1\n```", "python")).toBe("puts 1\n");
    expect(extractProgram("def f():\n    return 3", "python")).toBe("def f():\n    return 3\n");
    expect(extractProgram("   ", "python")).toBeNull();
    expect(extractProgram("```python\n\n```", "python")).toBeNull();
  });
});
