/**
 * The production loop as a user drives it, in real subprocesses on real files: `run --records` appends a run's step
 * records; `feedback` scores the run (once: the same feedback again is a no-op that says so, also when two processes
 * send it at the same moment); bad feedback is one line naming the flag, exit 2, nothing written; `update` then folds
 * the score into a new handbook version, moving exactly the evidence of the step the score credits.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStore } from "../../src/registry/file-store.js";
import { resolveVersion } from "../../src/registry/handbooks.js";
import { OutcomeRecordSchema, StepRecordSchema } from "../../src/records/run-records.js";
import { ROOT, startCli } from "../support/cli.js";

const EXAMPLE = join(ROOT, "examples/sim/handbook.json");
const POOL = join(ROOT, "examples/sim/pool.json");
const THREAD = "fb-1";
let dir = "";
let store = "";
let records = "";

const lines = () =>
  readFileSync(records, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const outcomes = () => lines().filter((r) => r.kind === "outcome");
const feedback = (args: string[]) => startCli(["feedback", "--records", records, ...args]).done;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "feedback-cli-"));
  store = join(dir, "handbooks.json");
  records = join(dir, "runs.jsonl");
  const p = await startCli(["handbook", "publish", EXAMPLE, "--name", "sim", "--store", store]).done;
  expect(p.stderr).toBe("");
  expect(p.code).toBe(0);
  const r = await startCli([
    "run",
    "What is the capital of France?",
    "--handbook",
    "store:sim",
    "--store",
    store,
    "--pool",
    POOL,
    "--records",
    records,
    "--thread",
    THREAD,
    "--db",
    join(dir, "threads.sqlite"),
  ]).done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`thread ${THREAD}`);
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("skillorchestra run --records, then feedback", () => {
  it("the run appends one step record per step, with the decision's skills, cost and whether the agent acted", () => {
    const steps = lines().map((l) => StepRecordSchema.parse(l));
    expect(steps.length).toBeGreaterThan(0);
    expect(new Set(steps.map((s) => s.thread))).toEqual(new Set([THREAD]));
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i));
    expect(steps.filter((s) => s.final)).toHaveLength(1);
    for (const s of steps) {
      expect(s.simulated).toBe(true);
      expect(s.costUsd).toBeGreaterThan(0);
      expect(s.handbookVersion).toBe("sim@v1");
    }
  });

  it("bad feedback is one line naming the flag, exit 2, and writes nothing", async () => {
    const before = readFileSync(records, "utf8");
    const cases: [string[], RegExp][] = [
      [["--thread", "no-such-thread", "--score", "1"], /^skillorchestra: --thread: no recorded run of thread no-such/],
      [["--thread", THREAD, "--score", "1.5"], /^skillorchestra: --score: must be a number in \[0, 1\], got "1.5"/],
      [["--thread", THREAD, "--score", "high"], /^skillorchestra: --score: must be a number in \[0, 1\]/],
      [["--thread", THREAD], /^skillorchestra: --score: give a score in \[0, 1\]/],
      [["--thread", THREAD, "--score", "1", "--step", "99"], /^skillorchestra: --step: thread fb-1 has no step 99 /],
      [["--thread", THREAD, "--score", "1", "--step", "-1"], /^skillorchestra: --step: must be a whole number >= 0/],
      [["--score", "1"], /^skillorchestra: --thread: give the thread id/],
    ];
    const exits = await Promise.all(cases.map(([args]) => feedback(args)));
    exits.forEach((e, i) => {
      expect(e.code, e.stderr).toBe(2);
      expect(e.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(e.stderr).toMatch(cases[i]![1]);
      expect(e.stdout).toBe("");
    });
    const noRecords = await startCli(["feedback", "--thread", THREAD, "--score", "1"]).done;
    expect(noRecords.code).toBe(2);
    expect(noRecords.stderr).toMatch(/^skillorchestra: --records: /);
    expect(readFileSync(records, "utf8")).toBe(before);
  }, 120_000);

  it("two processes sending the same feedback at once record it once; a third send is a no-op that says so", async () => {
    const [a, b] = await Promise.all([
      feedback(["--thread", THREAD, "--score", "0.75", "--json"]),
      feedback(["--thread", THREAD, "--score", "0.75", "--json"]),
    ]);
    for (const e of [a, b]) expect(e.code, e.stderr).toBe(0);
    const results = [a, b].map((e) => JSON.parse(e.stdout) as { recorded: boolean });
    expect(results.map((r) => r.recorded).sort()).toEqual([false, true]);
    const o = outcomes();
    expect(o).toHaveLength(1);
    expect(OutcomeRecordSchema.parse(o[0])).toMatchObject({ thread: THREAD, score: 0.75, source: "feedback" });
    expect(o[0]!.step).toBeUndefined();

    const again = await feedback(["--thread", THREAD, "--score", "0.75"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^already recorded: score 0\.75 \(feedback, at .*\) for thread fb-1, the whole run/);
    expect(again.stdout).toContain("nothing written");
    expect(outcomes()).toHaveLength(1);
  }, 120_000);

  it("a step's own score is recorded beside the run's", async () => {
    const e = await feedback(["--thread", THREAD, "--score", "0", "--step", "0"]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^recorded score 0 \(feedback, weight 1\) for thread fb-1, step 0 in /);
    expect(outcomes().map((o) => o.step)).toEqual([undefined, 0]);
  }, 120_000);

  it("update folds the feedback into a new version: the credited final answer's evidence moves by the score", async () => {
    const steps = lines()
      .filter((r) => r.kind === "step")
      .map((l) => StepRecordSchema.parse(l));
    const final = steps.find((s) => s.final)!;
    const skill = final.skills[0]!;
    const before = await resolveVersion(new FileStore(store), "sim", "current");
    const u = await startCli(["update", "--name", "sim", "--store", store, "--records", records]).done;
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain("published sim@v2 (was sim@v1)");
    const after = await resolveVersion(new FileStore(store), "sim", "current");
    expect(after.version).toBe(2);
    const ev = (h: typeof before.handbook) =>
      h.agents[final.agent]!.competence[skill.id] ?? { successes: 0, failures: 0 };
    // Each step of that agent with that skill: step 0 carries its own score (0), the final step the run's 0.75, and
    // the others no outcome (competence unchanged by them).
    let successes = 0;
    let failures = 0;
    for (const s of steps) {
      const w = s.agent === final.agent ? s.skills.find((k) => k.id === skill.id)?.weight : undefined;
      const score = s.step === 0 ? 0 : s.final ? 0.75 : undefined;
      if (w === undefined || score === undefined) continue;
      successes += w * score;
      failures += w * (1 - score);
    }
    expect(successes + failures).toBeGreaterThan(0);
    expect(ev(after.handbook).successes - ev(before.handbook).successes).toBeCloseTo(successes, 9);
    expect(ev(after.handbook).failures - ev(before.handbook).failures).toBeCloseTo(failures, 9);
  }, 120_000);
});
