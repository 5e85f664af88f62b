import { randomBytes } from "node:crypto";
import { HARNESS } from "./harness.js";
import { runProgram, type Language, type RunOptions, type RunResult } from "./run.js";

export interface TestRun {
  /** Every test passed and the program exited 0. */
  passed: boolean;
  total: number;
  passedCount: number;
  /** The program's stdout and stderr (capped), without the harness's verdict line. */
  output: string;
  run: RunResult;
}

/**
 * Run a code answer against unit tests inside the sandbox. `tests` is one assert-based block or a list of
 * blocks, each counted as one test; they run after the answer, in its namespace. Not proof against an answer
 * built to fool the harness by introspecting the interpreter; it is proof against one that exits early or
 * prints a fake verdict.
 */
export async function runWithTests(options: {
  language: Language;
  source: string;
  tests: string | string[];
  limits?: Omit<RunOptions, "language" | "source" | "stdin" | "files">;
}): Promise<TestRun> {
  const tests = typeof options.tests === "string" ? [options.tests] : options.tests;
  const harness = HARNESS[options.language];
  const nonce = `verdict-${randomBytes(16).toString("hex")}`;
  const run = await runProgram({
    ...options.limits,
    language: options.language,
    source: harness.source,
    stdin: `${nonce}\n`,
    files: { [harness.solution]: options.source, "tests.json": JSON.stringify(tests) },
  });
  const verdict = new RegExp(`^${nonce} (\\d+) (\\d+)$`, "m").exec(run.stdout);
  const passedCount = verdict ? Number(verdict[1]) : 0;
  const stdout = verdict ? run.stdout.replace(verdict[0], "").trimEnd() : run.stdout;
  const output = [stdout, run.stderr].filter((s) => s.length > 0).join("\n");
  return {
    passed:
      verdict !== null && run.exitCode === 0 && passedCount === tests.length && Number(verdict[2]) === tests.length,
    total: tests.length,
    passedCount,
    output,
    run,
  };
}
