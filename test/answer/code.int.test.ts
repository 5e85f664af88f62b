import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { score } from "../../tools/answer/score.js";

// Runs real programs in the sandbox of tools/code.
describe("score with code_tests", () => {
  it("passes a correct Python answer and reports the tests", async () => {
    const response = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```";
    const r = await score(response, ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"], "code_tests", {
      language: "python",
    });
    expect(r).toMatchObject({ score: 1, metric: "code_tests", extracted: "def add(a, b):\n    return a + b\n" });
    expect(r.tests).toMatchObject({ passed: 2, total: 2 });
  });

  it("fails an answer that passes only some tests, saying which", async () => {
    const r = await score(
      "```js\nfunction add(a, b) { return a * b; }\n```",
      ["assert.strictEqual(add(2, 2), 4)", "assert.strictEqual(add(1, 2), 3)"],
      "code_tests",
      {
        language: "javascript",
      },
    );
    expect(r.score).toBe(0);
    expect(r.tests).toMatchObject({ passed: 1, total: 2 });
    expect(r.tests!.output).toContain("test 2 failed");
  });

  it("scores 0 without running when there is no program, and rejects a missing language", async () => {
    expect(await score("  ", "assert True", "code_tests", { language: "python" })).toMatchObject({
      score: 0,
      extracted: null,
      tests: { passed: 0, total: 1 },
    });
    await expect(score("x = 1", "assert x == 1", "code_tests", {} as never)).rejects.toBeInstanceOf(InputError);
  });

  it("runs a generation cut off before its closing fence, without the fence line", async () => {
    const truncated = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n";
    const r = await score(truncated, ["assert add(1, 2) == 3"], "code_tests", { language: "python" });
    expect(r).toMatchObject({
      score: 1,
      extracted: "def add(a, b):\n    return a + b\n",
      tests: { passed: 1, total: 1 },
    });
    const wrong = await score(
      "```python\ndef add(a, b):\n    return a - b\n",
      ["assert add(1, 2) == 3"],
      "code_tests",
      {
        language: "python",
      },
    );
    expect(wrong).toMatchObject({ score: 0, tests: { passed: 0, total: 1 } });
    expect(wrong.tests!.output).not.toContain("SyntaxError");
  });
});
