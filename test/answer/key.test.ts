// Answer keys: unit cases for each kind, then the real RouterBench train files from ../shared/data/routerbench (read
// in place, never copied).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import { type AnswerKind, answerKey, answerKind, keysAgree } from "../../tools/answer/key.js";

const ARC_EXAMPLE = [
  "Which of these do scientists offer as the most recent explanation as to why many plants and animals died out at the end of the Mesozoic era?",
  "A) worldwide disease",
  "B) global mountain building",
  "C) rise of mammals that preyed upon plants and animals",
  "D) impact of an asteroid created dust that blocked the sunlight",
  'Print only a single choice  from "A" or "B" or "C" or "D" without explanation.',
  "Answer:",
  "D",
].join("\n");
const ARC_QUESTION = [
  "A boat is acted on by a river current flowing north and by wind blowing on its sails. The boat travels northeast. In which direction is the wind most likely applying force to the sails of the boat?",
  "A) west",
  "B) east",
  "C) north",
  "D) south",
  'Print only a single choice  from "A" or "B" or "C" or "D" without explanation.',
  "Answer:",
].join("\n");
const WINOGRANDE = [
  "Please answer with the letter of the correct answer.",
  "",
  "Ian volunteered to eat Dennis's menudo after already having a bowl because _ despised eating intestine.",
  "A) Ian",
  "B) Dennis",
  'Print only a single choice  from "A" or "B" without explanation. Answer:',
  "B",
  "",
  "The drink was rich in caffeine and low in sugar because the _ was not enough to keep the drinker awake.",
  "A) caffeine",
  "B) sugar",
  'Print only a single choice  from "A" or "B" without explanation. Answer:',
].join("\n");

describe("answerKind", () => {
  it.each([
    [
      "a few-shot ARC prompt (examples first, options at the end)",
      `${ARC_EXAMPLE}\n\n${ARC_EXAMPLE}\n\n${ARC_QUESTION}`,
    ],
    ["a zero-shot question with option lines", ARC_QUESTION],
    ["a few-shot winogrande prompt", WINOGRANDE],
    ["bracketed option lines", "Which gas do plants take in?\n(A) oxygen\n(B) carbon dioxide\n(C) helium"],
    ["options on one line", "Which is larger?\n(A) 3 (B) 4 (C) 2"],
    [
      "a letter instruction without option lines",
      'Is the first option or the second one true? Print only a single choice from "A" or "B".',
    ],
  ])("%s → choice", (_, prompt) => {
    expect(answerKind(prompt)).toBe("choice");
  });

  it.each([
    "Write a function to remove all elements from a given list present in another list.",
    "Write a python function to find the first repeated character in a given string.",
    "Write function to find the sum of all divisors of a number.",
    "Write a function that matches a string that has an a followed by three 'b'.",
    "Implement a JavaScript function that reverses a string.",
    'from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n    """ Check if any two numbers are closer than threshold.\n    >>> has_close_elements([1.0, 2.0], 0.5)\n    False\n    """\n',
  ])("%s → code", (prompt) => {
    expect(answerKind(prompt)).toBe("code");
  });

  it.each([
    ["a plain question", "What is the capital of France?"],
    ["a sentence about a function (not a program)", "Write a sentence describing the function of the heart."],
    ["a maths function", "Define the function f(x) = 2x + 1. What is f(3)?"],
    [
      "a question about quoted code",
      "What does this code print?\n```python\nprint(1 + 1)\n```\nAnswer with the number only.",
    ],
    ["choice examples before a free-text question", `${ARC_EXAMPLE}\n\nHow many legs does a spider have?\nAnswer:`],
    [
      "a lettered outline far from the question",
      "The report has two parts:\nA. Introduction to the survey\nB. Methods used in the field\nThe survey covered 40 sites.\nIt ran for two years.\nMost sites were coastal.\nFunding came from the council.\nHow many sites did the survey cover?",
    ],
  ])("%s → text", (_, prompt) => {
    expect(answerKind(prompt)).toBe("text");
  });
});

describe("answerKey: choice", () => {
  it.each([
    ["B", "B"],
    ["B\n", "B"],
    ["(b)", "B"],
    ["Answer: B", "B"],
    ["The answer is (C).", "C"],
    ["B) Paris", "B"],
    ["A)", "A"],
    [" D ", "D"],
    ["**A**", "A"],
  ])("%j → %s", (response, letter) => {
    expect(answerKey(response, "choice")).toBe(letter);
  });

  it.each([
    ["an echoed option list", "A) Paris\nB) London\nC) Rome\nD) Berlin"],
    ["an echoed inline option list", "(A) Paris (B) London (C) Rome"],
    ["a refusal", "I do not have enough information to answer this question."],
    ["a truncated refusal", "I do"],
    ["a cut-off explanation", "Unfortunately I"],
    ["an empty response", ""],
    ["a blank response", "  \n"],
  ])("%s → null", (_, response) => {
    expect(answerKey(response, "choice")).toBeNull();
  });

  it("two decorated forms of one letter agree; two unreadable answers do not", () => {
    expect(keysAgree(answerKey("B\n", "choice"), answerKey("The answer is (b).", "choice"))).toBe(true);
    expect(keysAgree(answerKey("B", "choice"), answerKey("C", "choice"))).toBe(false);
    expect(keysAgree(answerKey("I do", "choice"), answerKey("I do", "choice"))).toBe(false);
    expect(keysAgree(undefined, undefined)).toBe(false);
  });
});

const code = (k: string | null) => {
  expect(k).not.toBeNull();
  return k;
};

describe("answerKey: code", () => {
  const REFERENCE = [
    "Here is a Python function that removes the elements of one list from another:",
    "",
    "```python",
    "def remove_elements(list1, list2):",
    "    result = []",
    "    for item in list1:",
    "        if item not in list2:",
    "            result.append(item)",
    "    return result",
    "```",
    "",
    "For example:",
    "",
    "```python",
    "print(remove_elements([1, 2, 3], [2]))  # [1, 3]",
    "```",
  ].join("\n");
  // The same function: other names, a docstring, comments, blank lines, asserts and prints after it, no fences.
  const RENAMED = [
    "def drop_all(values, unwanted):",
    '    """Return the values that are not unwanted."""',
    "    kept = []  # the answer",
    "",
    "    # walk the list",
    "    for v in values:",
    "",
    "        if v not in unwanted:",
    "            kept.append(v)",
    "    return kept",
    "",
    "assert drop_all([1, 2, 3], [2]) == [1, 3]",
    "print(drop_all([], []))",
    "values = [4, 5]",
    "print(drop_all(values, [4]))",
  ].join("\n");

  it("two functions that differ only in names, comments, docstrings, blank lines and example usage agree", () => {
    const a = code(answerKey(REFERENCE, "code"));
    expect(answerKey(RENAMED, "code")).toBe(a);
    expect(keysAgree(a, answerKey(RENAMED, "code"))).toBe(true);
  });

  it("reads the program in ```python fences, bare ``` fences, [PYTHON] tags, unclosed fences and CRLF text alike", () => {
    const a = code(answerKey(REFERENCE, "code"));
    const body = RENAMED.split("\n").slice(0, 10).join("\n");
    expect(
      answerKey(`Sure! Here's a possible implementation:\n\`\`\`\n${body}\n\`\`\`\nThis works by...`, "code"),
    ).toBe(a);
    expect(
      answerKey(
        ` \n[PYTHON]\n${body}\n[/PYTHON]\n[TESTS]\n# Test case 1:\nassert drop_all([1], []) == [1]\n[/TESTS]\n`,
        "code",
      ),
    ).toBe(a);
    expect(answerKey(`Here:\n\n\`\`\`python\n${body}\n\nprint(drop_all([1], [1]))`, "code")).toBe(a);
    expect(answerKey(REFERENCE.replace(/\n/g, "\r\n"), "code")).toBe(a);
    // A block indented under a markdown list item.
    expect(answerKey(`1. Define it:\n\n   \`\`\`python\n${body.replace(/^/gm, "   ")}\n   \`\`\`\n`, "code")).toBe(a);
  });

  it("uses the first block that defines a function, not example usage before or after it", () => {
    const a = code(answerKey(REFERENCE, "code"));
    const withInput = `Input:\n\`\`\`\n[1, 2, 3], [2]\n\`\`\`\nSolution:\n${REFERENCE}\n\nA second version:\n\`\`\`python\ndef remove_elements(a, b):\n    return [x for x in a if x not in b]\n\`\`\``;
    expect(answerKey(withInput, "code")).toBe(a);
    const usageFirst = `\`\`\`python\nprint(remove_elements([1, 2, 3], [2]))\n\`\`\`\n\n${REFERENCE}`;
    expect(answerKey(usageFirst, "code")).toBe(a);
  });

  it("drops a __main__ block, type annotations and typing imports, and reads 'z' and \"z\" as one string", () => {
    const plain = "def has_z(word):\n    return 'z' in word[1:-1]\n";
    const typed =
      'from typing import List\n\ndef inner_z(text: str) -> bool:\n    return "z" in text[1:-1]\n\nif __name__ == "__main__":\n    print(inner_z("amazing"))\n';
    expect(answerKey(typed, "code")).toBe(code(answerKey(plain, "code")));
    // A one-line def keeps its body after the return annotation.
    const oneLine = "def tail(s: str) -> Dict[str, int]: return s[1:]\n";
    expect(answerKey(oneLine, "code")).toBe(code(answerKey("def rest(t): return t[1:]\n", "code")));
    expect(answerKey(oneLine, "code")).toContain("return v1 [ 1 : ]");
  });

  it("renames a recursive function's own name with the function", () => {
    const a = "def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)\n";
    const b = "def factorial(k):\n    # recursion\n    return 1 if k <= 1 else k * factorial(k - 1)\n";
    expect(answerKey(a, "code")).toBe(code(answerKey(b, "code")));
  });

  it.each([
    ["another method", "def f(s):\n    return s.isdigit()\n", "def f(s):\n    return s.isalpha()\n"],
    [
      "another module function",
      "import math\ndef f(x):\n    return math.floor(x)\n",
      "import math\ndef f(x):\n    return math.ceil(x)\n",
    ],
    ["another comparison", "def f(a, b):\n    return a < b\n", "def f(a, b):\n    return a <= b\n"],
    ["swapped operands", "def f(a, b):\n    return a - b\n", "def f(a, b):\n    return b - a\n"],
    ["another constant", "def f(n):\n    return n % 2 == 0\n", "def f(n):\n    return n % 2 == 1\n"],
    ["a keyword argument", "def f(x):\n    return sorted(x)\n", "def f(x):\n    return sorted(x, reverse=True)\n"],
    ["another string", "def f(s):\n    return s.count('a')\n", "def f(s):\n    return s.count('b')\n"],
    [
      "a statement moved out of the loop",
      "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n        t *= 2\n    return t\n",
      "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    t *= 2\n    return t\n",
    ],
    ["another builtin", "def f(xs):\n    return max(xs)\n", "def f(xs):\n    return min(xs)\n"],
  ])("different logic gives a different key: %s", (_, a, b) => {
    expect(keysAgree(answerKey(a, "code"), answerKey(b, "code"))).toBe(false);
  });

  it("reads JavaScript function definitions, with their example usage and comments dropped", () => {
    const a = [
      "Here's a function in JavaScript:",
      "```javascript",
      "function arrayIntersection(arr1, arr2) {",
      "  // keep the shared values",
      "  return arr1.filter(value => arr2.includes(value));",
      "}",
      "```",
      "Example:",
      "```javascript",
      "console.log(arrayIntersection([1, 2], [2, 3])); // [2]",
      "```",
    ].join("\n");
    const b = [
      " Here's a possible implementation:",
      "```",
      "function intersection(a, b) {",
      "  /* filter */",
      "  return a.filter(x => b.includes(x))",
      "}",
      "console.log(intersection([1], [1]));",
      "```",
    ].join("\n");
    const key = code(answerKey(a, "code"));
    expect(answerKey(b, "code")).toBe(key);
    expect(key).toContain("filter");
    const other = "```js\nfunction intersection(a, b) {\n  return a.filter(x => !b.includes(x));\n}\n```";
    expect(keysAgree(key, answerKey(other, "code"))).toBe(false);
    const arrow = "```js\nconst intersection = (a, b) => a.filter((x) => b.includes(x));\n```";
    expect(answerKey(arrow, "code")).not.toBeNull();
  });

  it("keeps helper functions and classes, attribute names as they are", () => {
    const a =
      "class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n        self.items.append(x)\n";
    const b =
      "class S:\n    def __init__(me):\n        me.items = []\n    def push(me, value):\n        me.items.append(value)\n";
    const c =
      "class S:\n    def __init__(me):\n        me.data = []\n    def push(me, value):\n        me.data.append(value)\n";
    expect(answerKey(b, "code")).toBe(code(answerKey(a, "code")));
    expect(keysAgree(answerKey(a, "code"), answerKey(c, "code"))).toBe(false);
  });

  it.each([
    ["prose without a program", "For example, given the list [1, 2, 3], the function should return 6."],
    ["only example usage", "```python\nprint(f(3))\n```"],
    ["an empty response", ""],
  ])("%s → null", (_, response) => {
    expect(answerKey(response, "code")).toBeNull();
  });
});

describe("answerKey: text", () => {
  it("'The answer is 12.', 'twelve', '12.0' and '12' agree", () => {
    const keys = ["The answer is 12.", "twelve", "12.0", "12", " 12 ", "\\boxed{12}", "Answer: 12.00"].map((r) =>
      answerKey(r, "text"),
    );
    expect(new Set(keys)).toEqual(new Set(["12"]));
  });

  it("'Paris' and 'paris.' agree; numbers keep their decimal point and sign", () => {
    expect(keysAgree(answerKey("Paris", "text"), answerKey("paris.", "text"))).toBe(true);
    expect(keysAgree(answerKey("The answer is Paris.", "text"), answerKey("Paris", "text"))).toBe(true);
    expect(answerKey("1,000", "text")).toBe("1000");
    expect(answerKey("12.5", "text")).toBe("12.5");
    expect(keysAgree(answerKey("12.5", "text"), answerKey("125", "text"))).toBe(false);
    expect(keysAgree(answerKey("-3", "text"), answerKey("3", "text"))).toBe(false);
    expect(keysAgree(answerKey("London", "text"), answerKey("Paris", "text"))).toBe(false);
  });

  it.each(["", "   ", ".", "\n"])("%j → null", (response) => {
    expect(answerKey(response, "text")).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The recorded responses of 11 LLMs on the RouterBench train files.

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "data", "routerbench");
const PRESENT = existsSync(DATA);
const GPT4 = "gpt-4-1106-preview";

interface Answer {
  agent: string;
  score: number;
  key: string | null;
}
interface Task {
  prompts: string[];
  rows: Answer[][];
}

/** Share of items for which `ok` holds, with its count for the failure message. */
function rate<T>(items: T[], ok: (x: T) => boolean): { rate: number; of: string } {
  const n = items.filter(ok).length;
  return { rate: items.length === 0 ? 0 : n / items.length, of: `${n}/${items.length}` };
}

function pairs(rows: Answer[][], keep: (a: Answer, b: Answer) => boolean): [Answer, Answer][] {
  const out: [Answer, Answer][] = [];
  for (const row of rows)
    for (let i = 0; i < row.length; i++)
      for (let j = i + 1; j < row.length; j++) if (keep(row[i]!, row[j]!)) out.push([row[i]!, row[j]!]);
  return out;
}

describe.skipIf(!PRESENT)(
  PRESENT
    ? "answer keys on the recorded RouterBench responses"
    : `answer keys on recorded RouterBench responses: skipped, ${DATA} is missing`,
  () => {
    const tasks: Record<string, Task> = {};
    const KIND: Record<string, AnswerKind> = { arc_challenge: "choice", winograde: "choice", mbpp: "code" };

    beforeAll(async () => {
      // Each CSV parsed once; each response keyed once.
      for (const file of Object.keys(KIND)) {
        const { records } = await importRouterBench({ csv: join(DATA, `${file}_train.csv`) });
        const byQuery = new Map<string, { prompt: string; answers: Answer[] }>();
        for (const r of records) {
          let q = byQuery.get(r.queryId);
          if (!q) byQuery.set(r.queryId, (q = { prompt: r.query, answers: [] }));
          q.answers.push({ agent: r.agent, score: r.score, key: answerKey(r.response, KIND[file]!) });
        }
        const qs = [...byQuery.values()];
        tasks[file] = { prompts: qs.map((q) => q.prompt), rows: qs.map((q) => q.answers) };
      }
    }, 60_000);

    it("classifies every ARC and winogrande prompt as choice and ≥ 95% of MBPP prompts as code", () => {
      expect(tasks.arc_challenge!.prompts).toHaveLength(1039);
      expect(tasks.winograde!.prompts).toHaveLength(887);
      expect(tasks.mbpp!.prompts).toHaveLength(299);
      for (const file of ["arc_challenge", "winograde"])
        expect(tasks[file]!.prompts.filter((p) => answerKind(p) !== "choice").map((p) => p.slice(-200))).toEqual([]);
      const mbpp = rate(tasks.mbpp!.prompts, (p) => answerKind(p) === "code");
      expect(mbpp.rate, mbpp.of).toBeGreaterThanOrEqual(0.95);
    });

    it("reads a key from ≥ 95% of ARC and winogrande responses and ≥ 90% of MBPP responses", () => {
      for (const [file, min] of [
        ["arc_challenge", 0.95],
        ["winograde", 0.95],
        ["mbpp", 0.9],
      ] as const) {
        const r = rate(tasks[file]!.rows.flat(), (a) => a.key !== null);
        expect(r.rate, `${file}: ${r.of}`).toBeGreaterThanOrEqual(min);
      }
    });

    it("on ARC, gpt-4's key is the correct letter (the key of another agent scoring 1) on ≥ 95% of the rows it scored 1", () => {
      const judged = tasks.arc_challenge!.rows.flatMap((row) => {
        const gpt4 = row.find((a) => a.agent === GPT4);
        // The correct letter: the most common key among the other agents that scored 1.
        const votes = new Map<string, number>();
        for (const a of row)
          if (a.agent !== GPT4 && a.score === 1 && a.key !== null) votes.set(a.key, (votes.get(a.key) ?? 0) + 1);
        const correct = [...votes].sort((x, y) => y[1] - x[1])[0]?.[0];
        return gpt4 && correct !== undefined ? [{ gpt4, correct }] : [];
      });
      const right = judged.filter((j) => j.gpt4.score === 1);
      expect(right.length).toBeGreaterThan(900);
      const r = rate(right, (j) => j.gpt4.key === j.correct);
      expect(r.rate, r.of).toBeGreaterThanOrEqual(0.95);
      // And where gpt-4 scored 0 its key is another letter, or none.
      const wrong = rate(
        judged.filter((j) => j.gpt4.score === 0),
        (j) => j.gpt4.key !== j.correct,
      );
      expect(wrong.rate, wrong.of).toBeGreaterThanOrEqual(0.9);
    });

    it("two agents that both scored 1 agree in ≥ 95% of pairs; two with different scores disagree in ≥ 90% (ARC, winogrande)", () => {
      for (const file of ["arc_challenge", "winograde"]) {
        const rows = tasks[file]!.rows;
        const bothRight = rate(
          pairs(rows, (a, b) => a.score === 1 && b.score === 1),
          ([a, b]) => keysAgree(a.key, b.key),
        );
        expect(bothRight.rate, `${file}: ${bothRight.of}`).toBeGreaterThanOrEqual(0.95);
        const split = pairs(rows, (a, b) => a.score !== b.score);
        const differ = rate(split, ([a, b]) => !keysAgree(a.key, b.key));
        expect(differ.rate, `${file}: ${differ.of}`).toBeGreaterThanOrEqual(0.9);
        // Also when both keys were read (a refusal's null is no disagreement by itself).
        const read = rate(
          split.filter(([a, b]) => a.key !== null && b.key !== null),
          ([a, b]) => a.key !== b.key,
        );
        expect(read.rate, `${file}: ${read.of}`).toBeGreaterThanOrEqual(0.9);
      }
    });

    it("on MBPP, agents with different scores rarely share a key (identical programs can score differently upstream)", () => {
      const differ = rate(
        pairs(tasks.mbpp!.rows, (a, b) => a.score !== b.score),
        ([a, b]) => !keysAgree(a.key, b.key),
      );
      expect(differ.rate, differ.of).toBeGreaterThanOrEqual(0.9);
    });
  },
);
