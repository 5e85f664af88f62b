import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadHandbook } from "../../handbook/index.js";
import { loadPool } from "../../src/pool/load.js";
import { startCli, type CliExit } from "../support/cli.js";

const dirs: string[] = [];
const children: ReturnType<typeof startCli>["child"][] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function demo(args: string[]): Promise<CliExit> {
  const out = mkdtempSync(join(tmpdir(), "so-demo-"));
  dirs.push(out);
  const { child, done } = startCli(["demo", "--out", out, ...args]);
  children.push(child);
  return done;
}

// Small: 12 explored tasks, 4 validation tasks for select to orchestrate per candidate handbook, 4 held out (the
// validation tasks cost the most). The three demos are independent, so they run at once: on a busy machine three
// processes get more of it than one.
const SMALL = ["--train", "12", "--validation", "4", "--test", "4"];
let json: Promise<CliExit>;
let again: Promise<CliExit>;
let text: Promise<CliExit>;
beforeAll(() => {
  json = demo([...SMALL, "--json"]);
  again = demo([...SMALL, "--json"]); // the same seed, in a fresh directory
  text = demo(SMALL);
});

describe("the demo (npm start), small", () => {
  it("explores, learns, orchestrates and reports, labelled simulated, deterministically", async () => {
    const a = await json;
    expect(a.code, a.stderr).toBe(0);
    const report = JSON.parse(a.stdout);
    expect(report.routers.map((r: { router: string }) => r.router)).toEqual([
      "skillorchestra",
      "by-task profile",
      "always-strongest",
      "always-cheapest",
    ]);
    for (const r of report.routers) {
      expect(r.tasks).toBe(4);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.meanCostUsd).toBeGreaterThan(0);
    }
    // always-cheapest sends every call to one agent: the cheapest.
    expect(report.routers[3].topShare).toBe(1);
    expect(report.calibration).toContain("dominant agent: none");
    // The artefacts are real files that load.
    expect(Object.keys(loadPool(report.poolPath).agents).length).toBeGreaterThan(0);
    // The learning graph chose the handbook's granularity by running the orchestrator on validation tasks.
    expect((loadHandbook(report.handbookPath).metadata.learning.selection as { evaluatedBy: string }).evaluatedBy).toBe(
      "target orchestrator",
    );
    expect(existsSync(report.recordsPath)).toBe(true);
    expect(
      readFileSync(report.recordsPath, "utf8")
        .split("\n")
        .filter(Boolean)
        .every((l) => JSON.parse(l).simulated === true),
    ).toBe(true);

    // Same seed, fresh directory: the same figures.
    const b = await again;
    expect(b.code, b.stderr).toBe(0);
    const strip = (r: { routers: unknown[] }) => JSON.stringify(r.routers);
    expect(strip(JSON.parse(b.stdout))).toBe(strip(report));
  }, 180_000);

  it("prints a readable report where every figure is labelled simulated", async () => {
    const a = await text;
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain("SIMULATED world (seed 7)");
    expect(a.stdout).toMatch(/skillorchestra\s+\d+\.\d%\s+\$\d\.\d+ \(sim\)/);
    expect(a.stdout).toContain("world calibration (simulated");
  }, 180_000);
});
