import { InputError } from "../../src/core/errors.js";
import { extractChoice, scoreChoice, type ChoiceOptions } from "./choice.js";
import { extractProgram, type CodeLanguage } from "./code.js";
import { extractFinalAnswer } from "./extract.js";
import { mathEquivalent, type MathOptions } from "./math.js";
import type { NormalizeOptions } from "./normalize.js";
import { containment, exactMatch, tokenF1 } from "./qa.js";

import { isMetric, METRICS, type Metric, type TextMetric } from "./metrics.js";

export { isMetric, METRICS, type Metric, type TextMetric };

export interface ScoreResult {
  /** In [0, 1]: 0 or 1 for every metric but f1 (and code_tests, the share of tests passed). */
  score: number;
  metric: Metric;
  /** What was scored: the extracted final answer, letter, or program; null when nothing could be extracted. */
  extracted: string | null;
  /** code_tests only: how many tests passed, of how many, and the program's output (capped by the sandbox). */
  tests?: { passed: number; total: number; output: string };
}

export interface ScoreOptions extends NormalizeOptions, ChoiceOptions, MathOptions {}

/** For code_tests: the program's language, and optional sandbox limits (see tools/code RunOptions). */
export interface CodeScoreOptions {
  language: CodeLanguage;
  limits?: { timeoutMs?: number; memoryMb?: number; cpuSeconds?: number };
}

/** The final answer if the response marks one (`\boxed{}`, `<answer>`, "the answer is"), else the whole response. */
export function answerOf(response: string): string {
  return extractFinalAnswer(response) ?? response.trim();
}

/**
 * Score a prediction against one or more references:
 * - `em`, `f1`, `containment`: on the final answer extracted from the prediction (or all of it), max over references;
 * - `mc`: the option letter the prediction chose against gold letters;
 * - `math`: the final answer against each reference's final answer, by math equivalence;
 * - `code_tests` (asynchronous): the program extracted from the prediction, run in the sandbox (tools/code) with the
 *   references as unit tests (each an assert-based block); 1 when every test passes, else 0.
 */
export function score(
  prediction: string,
  references: string | readonly string[],
  metric: TextMetric,
  opts?: ScoreOptions,
): ScoreResult;
export function score(
  prediction: string,
  references: string | readonly string[],
  metric: "code_tests",
  opts: CodeScoreOptions,
): Promise<ScoreResult>;
export function score(
  prediction: string,
  references: string | readonly string[],
  metric: Metric,
  opts: ScoreOptions | CodeScoreOptions = {},
): ScoreResult | Promise<ScoreResult> {
  const refs = typeof references === "string" ? [references] : references;
  if (refs.length === 0) throw new InputError(`references: at least one reference is needed for metric ${metric}`);
  const o = opts as ScoreOptions;
  switch (metric) {
    case "em":
    case "f1":
    case "containment": {
      const extracted = answerOf(prediction);
      const fn = metric === "em" ? exactMatch : metric === "f1" ? tokenF1 : containment;
      return { score: fn(extracted, refs, o), metric, extracted };
    }
    case "mc": {
      const extracted = extractChoice(prediction, o);
      const s = Math.max(...refs.map((r) => scoreChoice(prediction, r, o)));
      return { score: s, metric, extracted };
    }
    case "math": {
      const extracted = answerOf(prediction);
      const s = refs.some((r) => mathEquivalent(extracted, answerOf(r), o)) ? 1 : 0;
      return { score: s, metric, extracted };
    }
    case "code_tests":
      return scoreCode(prediction, refs, opts as CodeScoreOptions);
    default:
      throw new InputError(`metric: unknown metric ${JSON.stringify(metric)} (expected one of ${METRICS.join(", ")})`);
  }
}

async function scoreCode(prediction: string, tests: readonly string[], opts: CodeScoreOptions): Promise<ScoreResult> {
  if (opts?.language !== "python" && opts?.language !== "javascript") {
    throw new InputError(
      `code_tests: language: must be "python" or "javascript", got ${JSON.stringify(opts?.language)}`,
    );
  }
  const extracted = extractProgram(prediction, opts.language);
  if (extracted === null)
    return { score: 0, metric: "code_tests", extracted, tests: { passed: 0, total: tests.length, output: "" } };
  // Loaded on demand, so the text metrics stay free of the sandbox and of LangChain.
  const { runWithTests } = await import("../code/index.js");
  const run = await runWithTests({
    language: opts.language,
    source: extracted,
    tests: [...tests],
    limits: opts.limits,
  });
  return {
    score: run.passed ? 1 : 0,
    metric: "code_tests",
    extracted,
    tests: { passed: run.passedCount, total: run.total, output: run.output },
  };
}
