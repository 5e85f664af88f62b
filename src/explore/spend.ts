import { appendFile, open, readFile } from "node:fs/promises";
import type { Mode } from "../core/modes.js";

/** One model call made by an exploration, as its provider reported it. */
export interface SpendLine {
  /** The trajectory it belonged to (task and assignment). */
  trajectory: string;
  agent: string;
  mode: Mode;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  costEstimated: boolean;
}

/** The USD and calls of a ledger's complete lines, and where they end (past it: a line torn by a crash). */
function sumLines(text: string): { spent: number; calls: number; end: number } {
  let spent = 0;
  let calls = 0;
  const end = text.lastIndexOf("\n") + 1;
  for (const line of text.slice(0, end).split("\n")) {
    if (line.trim() === "") continue;
    try {
      spent += Number((JSON.parse(line) as SpendLine).costUsd) || 0;
      calls++;
    } catch {
      // A line torn by a crash is not a call that finished.
    }
  }
  return { spent, calls, end };
}

const readText = (path: string) =>
  readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return "";
    throw err;
  });

/** USD a ledger records, read only (a dry run leaves the file as it is). */
export async function spentIn(path: string): Promise<number> {
  return sumLines(await readText(path)).spent;
}

/**
 * The spend of an exploration across its runs: an append-only JSONL file beside the records, one line per call
 * made, written when the call returns. A call whose trajectory was lost to a kill still counts, so a resumed run's
 * cap covers what was really spent, and a call is counted once however often the run resumes. A torn last line
 * (a kill mid-write) is dropped when the file is opened.
 */
export class SpendLedger {
  private chain: Promise<void> = Promise.resolve();
  private constructor(
    readonly path: string,
    private spent: number,
    private callCount: number,
  ) {}

  static async open(path: string): Promise<SpendLedger> {
    const text = await readText(path);
    const { spent, calls, end } = sumLines(text);
    if (end < text.length) {
      const fh = await open(path, "r+");
      try {
        await fh.truncate(Buffer.byteLength(text.slice(0, end), "utf8"));
      } finally {
        await fh.close();
      }
    }
    return new SpendLedger(path, spent, calls);
  }

  /** USD of every call recorded, in this run and earlier ones. */
  get costUsd(): number {
    return this.spent;
  }

  get calls(): number {
    return this.callCount;
  }

  /** Record a call (counted at once; written in order). */
  add(line: SpendLine): Promise<void> {
    this.spent += line.costUsd;
    this.callCount++;
    const text = `${JSON.stringify(line)}\n`;
    const run = this.chain.then(() => appendFile(this.path, text, "utf8"));
    this.chain = run.catch(() => {});
    return run;
  }

  /** Wait for the lines written so far. */
  flush(): Promise<void> {
    return this.chain;
  }
}
