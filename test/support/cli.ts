import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root, and the CLI entry every subprocess test runs. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_ENTRY = join(ROOT, "src/cli/main.ts");

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Start `skillorchestra ARGS…` as a real subprocess (node --import tsx, CI=true, cwd the project root). Returns the
 * child (to kill it) and a promise of its exit with everything it printed.
 */
export function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", CLI_ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += String(c)));
  child.stderr.on("data", (c) => (stderr += String(c)));
  const done = new Promise<CliExit>((res) =>
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/**
 * Resolves once `ready()` holds (asked every 20 ms) while the subprocess `run` is still running; rejects if it ends
 * first, saying that it ended before `what`.
 */
export function untilOrExit(run: { done: Promise<CliExit> }, ready: () => boolean, what: string): Promise<void> {
  return new Promise<void>((res, rej) => {
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll);
        res();
      }
    }, 20);
    void run.done.then((r) => {
      clearInterval(poll);
      rej(new Error(`run ended before ${what}: ${JSON.stringify(r)}`));
    });
  });
}
