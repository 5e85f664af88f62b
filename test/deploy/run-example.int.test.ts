/**
 * `skillorchestra run "free text" --handbook examples/sim/handbook.json --pool examples/sim/pool.json` (a real
 * subprocess on the committed example) answers, every step and the cost labelled simulated, and says why.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "skillorchestra-run-example-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("run on the simulated example", () => {
  it("answers free text with simulated steps instead of refusing", async () => {
    const args = ["run", "What is the capital of France?", "--handbook", "examples/sim/handbook.json"];
    const r = await startCli([...args, "--pool", "examples/sim/pool.json", "--db", join(dir, "t.sqlite")]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^note: the pool's agents are simulated: free text gets simulated steps/m);
    expect(r.stdout).toMatch(/^answer: .+$/m);
    expect(r.stdout).toMatch(/^stop: answered after \d+ step\(s\); cost \$[0-9.]+ \(simulated\);/m);
    const steps = r.stdout.split("\n").filter((l) => l.startsWith("step "));
    expect(steps.length).toBeGreaterThan(0);
    for (const l of steps) expect(l).toContain("(simulated)");
  }, 60_000);
});
