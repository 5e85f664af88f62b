// `skillorchestra eval` as its own process with stderr a pipe: progress as plain lines, one per seed and phase.
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { writeEvalFiles } from "../eval/helpers.js";
import { startCli } from "../support/cli.js";

const { dir, train, test, pool } = writeEvalFiles("so-progress-cli-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = ["eval", "--train", train, "--test", test, "--pool", pool, "--seeds", "2", "--lambdas", "0,0.5"];

describe("eval progress on a pipe", () => {
  it("writes plain lines: each seed's learning phases in order, then routing, each ended with its time", async () => {
    const r = await startCli(args).done;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("\u001b["); // no terminal control sequences
    const done = r.stderr
      .split("\n")
      .filter((l) => / done in \d/.test(l))
      .map((l) => l.replace(/: done in .*/, ""));
    const phases = ["split", "discover", "profile", "refine", "select"];
    expect(done).toEqual([
      ...phases.map((p) => `eval seed 7 ${p}`),
      ...phases.map((p) => `eval seed 8 ${p}`),
      "eval routing",
    ]);
    // Every line of stderr is a progress line or one of eval's own log lines.
    for (const line of r.stderr.trimEnd().split("\n"))
      expect(line).toMatch(
        /^(eval (seed \d+ \w+|routing): (\d+\/\d+ \(\d+%\), [\d.hms]+ elapsed, ETA \S+|done in [\d.hms]+)|eval: |learned seed \d+: )/,
      );
    // A routing line counts the learned routers' calls: (3 estimators + ours multi-step) × 2 λ + the cascade, × 2
    // seeds × 4 queries.
    const routing = r.stderr.split("\n").find((l) => l.startsWith("eval routing: ") && !l.includes("done in"));
    expect(routing).toMatch(/^eval routing: \d+\/72 /);
  }, 60_000);

  it("--no-progress: none of them", async () => {
    const r = await startCli([...args, "--no-progress"]).done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  }, 60_000);
});
