/**
 * The committed simulated example is what its script makes: `npx tsx src/demo/sim-example.ts DIR` (a real
 * subprocess, the whole exploration and learning) writes the same pool byte for byte and the same handbook up to
 * timestamps, run ids and wall times.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_EXAMPLE_DIR } from "../../src/demo/sim-example.js";
import { ROOT } from "../support/cli.js";

const run = promisify(execFile);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** A handbook's JSON with what differs between two equal runs blanked: timestamps, run ids, wall times. */
function comparable(text: string): unknown {
  return JSON.parse(text, (key, value) => {
    if (typeof value === "string" && ISO_TIME.test(value)) return "<time>";
    if (key === "run" || key === "wallMs" || key === "totalWallMs") return "<varies>";
    return value;
  });
}

let dir = "";
let stdout = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillorchestra-sim-example-"));
  ({ stdout } = await run("npx", ["tsx", "src/demo/sim-example.ts", dir], { cwd: ROOT }));
}, 600_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("src/demo/sim-example.ts", () => {
  const committed = (f: string) => readFileSync(join(ROOT, SIM_EXAMPLE_DIR, f), "utf8");
  const fresh = (f: string) => readFileSync(join(dir, f), "utf8");

  it("says what it wrote, labelled simulated", () => {
    expect(stdout.trim()).toBe(`simulated example: ${join(dir, "handbook.json")}, ${join(dir, "pool.json")}`);
  });

  it("regenerates the committed pool byte for byte", () => {
    expect(fresh("pool.json")).toBe(committed("pool.json"));
  });

  it("regenerates the committed handbook up to timestamps, run ids and wall times", () => {
    const a = comparable(fresh("handbook.json"));
    expect(a).toEqual(comparable(committed("handbook.json")));
    // The blanking left the substance: skills, agents' evidence, the consult rule.
    expect(JSON.stringify(a)).toContain('"competence"');
  });
});
