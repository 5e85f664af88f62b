// `skillorchestra eval` as its own process: the output on stdout, one-line errors on stderr with exit code 2.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { writeEvalFiles } from "./helpers.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const entry = join(root, "src/cli/main.ts");
const { dir, train, test, pool } = writeEvalFiles("so-eval-cli-int-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", entry, "eval", ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("eval command process", () => {
  it("prints the comparison and progress lines", async () => {
    const r = await cli(["--train", train, "--test", test, "--pool", pool, "--seeds", "1", "--lambdas", "0"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^eval: 12 train and 12 test records; learning at every train query, seeds 7\n(eval seed 7 \w+: .*\n)+learned seed 7: /,
    );
    expect(r.stdout).toMatch(/best single agent \(chosen on train\) B 0\.300, per-query oracle 0\.850/);
    expect(r.stdout).toMatch(/ours \(posterior mean\) +0\.300/);
  }, 30_000);

  it("bad input: one line on stderr, exit code 2", async () => {
    const [flag, file] = await Promise.all([
      cli(["--train", train, "--test", test, "--pool", pool, "--lambdas", "0,,1"]),
      cli(["--train", train, "--test", join(dir, "nope.jsonl"), "--pool", pool]),
    ]);
    expect(flag).toMatchObject({ code: 2, stderr: 'skillorchestra: --lambdas: must be a number, got ""\n' });
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/^skillorchestra: \S*nope\.jsonl: cannot read records file \(ENOENT\)[^\n]*\n$/);
  }, 30_000);
});
