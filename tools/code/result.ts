import type { CodeResult } from "../../src/core/types.js";
import type { Language, RunResult } from "./run.js";

/** The part of a sandbox run a trajectory keeps. */
export function toCodeResult(language: Language, program: string, result: RunResult): CodeResult {
  return {
    language,
    program,
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exitCode,
    ...(result.limit ? { limit: result.limit } : result.signal ? { limit: `signal ${result.signal}` } : {}),
  };
}
