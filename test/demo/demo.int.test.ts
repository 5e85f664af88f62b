import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadHandbook } from "../../handbook/index.js";
import { loadPool } from "../../src/pool/load.js";

const root = resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function demo(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), "so-demo-"));
  dirs.push(out);
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", "--out", out, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: 170_000,
  });
  return { ...r, out };
}

describe("the demo (npm start), small", () => {
  it("explores, learns, orchestrates and reports, labelled simulated, deterministically", () => {
    const a = demo(["--train", "24", "--test", "8", "--json"]);
    expect(a.status, a.stderr).toBe(0);
    const report = JSON.parse(a.stdout);
    expect(report.routers.map((r: { router: string }) => r.router)).toEqual([
      "skillorchestra",
      "by-task profile",
      "always-strongest",
      "always-cheapest",
    ]);
    for (const r of report.routers) {
      expect(r.tasks).toBe(8);
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
    const b = demo(["--train", "24", "--test", "8", "--json"]);
    expect(b.status, b.stderr).toBe(0);
    const strip = (r: { routers: unknown[] }) => JSON.stringify(r.routers);
    expect(strip(JSON.parse(b.stdout))).toBe(strip(report));
  }, 180_000);

  it("prints a readable report where every figure is labelled simulated", () => {
    const a = demo(["--train", "12", "--test", "4"]);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toContain("SIMULATED world (seed 7)");
    expect(a.stdout).toMatch(/skillorchestra\s+\d+\.\d%\s+\$\d\.\d+ \(sim\)/);
    expect(a.stdout).toContain("world calibration (simulated");
  }, 180_000);
});
