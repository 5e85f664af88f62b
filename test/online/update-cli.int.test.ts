/**
 * `skillorchestra update` as real subprocesses on the file store: the example handbook is published, run records
 * (step + outcome, built with their schemas) are folded into a new version whose evidence moved by exactly the folded
 * scores; a second update folds nothing; a failing gate keeps the served version and logs the reason; an update
 * killed (SIGKILL) after writing its keys and before publishing leaves the old version serving, and its rerun
 * publishes with nothing counted twice.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Handbook } from "../../handbook/schema.js";
import { PAUSE_ENV, UPDATES_NAMESPACE } from "../../src/cli/update.js";
import { FileStore } from "../../src/registry/file-store.js";
import { resolveVersion } from "../../src/registry/handbooks.js";
import {
  OutcomeRecordSchema,
  StepRecordSchema,
  type OutcomeRecord,
  type StepRecord,
} from "../../src/records/run-records.js";
import { StoreRunRecords } from "../../src/records/run-sink.js";
import { ExecutionRecordSchema } from "../../src/records/schema.js";
import { ROOT, startCli } from "../support/cli.js";

const EXAMPLE = join(ROOT, "examples/sim/handbook.json");
const POOL = join(ROOT, "examples/sim/pool.json");
const AGENT = "sim-general-sm";
const SKILL = "answer.k4_0";
let dir = "";
let store = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "update-cli-"));
  store = join(dir, "store", "handbooks.json");
  const p = await startCli(["handbook", "publish", EXAMPLE, "--name", "sim", "--store", store]).done;
  expect(p.stderr).toBe("");
  expect(p.code).toBe(0);
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const step = (thread: string, skills = [{ id: SKILL, weight: 1 }], agent = AGENT): StepRecord =>
  StepRecordSchema.parse({
    kind: "step",
    thread,
    run: `run-${thread}`,
    step: 0,
    taskId: `task-${thread}`,
    agent,
    mode: "answer",
    skills,
    costUsd: 0.0001,
    costEstimated: false,
    promptTokens: 100,
    completionTokens: 10,
    latencyMs: 50,
    acted: true,
    final: true,
    simulated: true,
    at: "2026-12-01T10:00:00.000Z",
  });
const outcome = (thread: string, score: number, weight = 1): OutcomeRecord =>
  OutcomeRecordSchema.parse({
    kind: "outcome",
    thread,
    score,
    source: "feedback",
    weight,
    at: "2026-12-01T11:00:00.000Z",
  });
const writeJsonl = (path: string, rows: unknown[]) =>
  writeFileSync(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));

const update = (args: string[], env: Record<string, string> = {}) =>
  startCli(["update", "--name", "sim", "--store", store, ...args], env);

async function served(): Promise<{ version: number; handbook: Handbook }> {
  const r = await resolveVersion(new FileStore(store), "sim", "current");
  return { version: r.version, handbook: r.handbook };
}
const evidence = (h: Handbook, agent = AGENT, skill = SKILL) =>
  h.agents[agent]!.competence[skill] ?? { successes: 0, failures: 0 };
const logLines = () =>
  readFileSync(join(dir, "store", "update-log.jsonl"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("skillorchestra update", () => {
  it("folds new outcomes once into a new version; a second update folds nothing", async () => {
    const records = join(dir, "runs.jsonl");
    // t1 succeeded, t2 failed, t3 has no outcome (cost only).
    writeJsonl(records, [step("t1"), step("t2"), step("t3"), outcome("t1", 1), outcome("t2", 0.25)]);
    const before = await served();
    expect(before.version).toBe(1);
    const u = await update(["--records", records]).done;
    expect(u.stderr).toBe("");
    expect(u.code).toBe(0);
    const first = u.stdout.split("\n")[0]!;
    expect(first).toContain("2 scored + 3 cost-only observation(s) folded, 0 skipped, 0 already folded");
    expect(first).toContain("gate: not run");
    expect(first).toContain("published sim@v2 (was sim@v1)");
    expect(u.stdout).toContain(`drift ${AGENT} ${SKILL}:`);
    const after = await served();
    expect(after.version).toBe(2);
    const b = evidence(before.handbook);
    const a = evidence(after.handbook);
    expect(a.successes - b.successes).toBeCloseTo(1 + 0.25, 12);
    expect(a.failures - b.failures).toBeCloseTo(0 + 0.75, 12);
    // No other competence entry moved.
    for (const [id, p] of Object.entries(after.handbook.agents))
      for (const [k, e] of Object.entries(p.competence))
        if (!(id === AGENT && k === SKILL)) expect(e).toEqual(before.handbook.agents[id]!.competence[k]);
    expect(after.handbook.agents[AGENT]!.costs.answer!.count).toBe(
      before.handbook.agents[AGENT]!.costs.answer!.count + 3,
    );

    const again = await update(["--records", records]).done;
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 scored + 0 cost-only observation(s) folded, 0 skipped, 5 already folded");
    expect(again.stdout).toContain("nothing new to fold: sim@v2 keeps serving");
    const still = await served();
    expect(still.version).toBe(2);
    expect(evidence(still.handbook)).toEqual(a);
  }, 120_000);

  it("a failing gate keeps the served version, saves the handbook unpublished and logs the reason", async () => {
    const records = join(dir, "heavy.jsonl");
    // Heavy praise of the small agent on every answer skill; the held-back records say it always fails.
    const skills = ["answer.k4_0", "answer.k4_1", "answer.k4_2", "answer.k4_3"];
    writeJsonl(records, [
      ...skills.map((s, i) => ({ ...step(`h${i}`, [{ id: s, weight: 1 }]) })),
      ...skills.map((_, i) => outcome(`h${i}`, 1, 1000)),
    ]);
    const pool = JSON.parse(readFileSync(POOL, "utf8")) as { agents: { id: string; modes: string[] }[] };
    const held = join(dir, "held.jsonl");
    const queries = [
      "What is the capital of Orrin?",
      "Which river runs through Quillton?",
      "Compute 7 * 6.",
      "Who wrote it?",
    ];
    writeJsonl(
      held,
      queries.flatMap((q, i) =>
        pool.agents
          .filter((a) => a.modes.includes("answer"))
          .map((a) =>
            ExecutionRecordSchema.parse({
              queryId: `q${i}`,
              query: q,
              mode: "answer",
              task: "t",
              agent: a.id,
              score: a.id === AGENT ? 0 : 1,
              success: a.id !== AGENT,
              promptTokens: 10,
              completionTokens: 2,
              costUsd: 0.001,
              provider: "sim",
              simulated: true,
            }),
          ),
      ),
    );
    const before = await served();
    const u = await update([
      "--records",
      records,
      "--gate-records",
      held,
      "--pool",
      POOL,
      "--lambda",
      "0",
      "--tolerance",
      "0",
    ]).done;
    expect(u.stderr).toBe("");
    expect(u.code).toBe(3);
    expect(u.stdout).toContain("4 scored + 4 cost-only observation(s) folded");
    expect(u.stdout).toMatch(
      /gate failed: utility 0\.0000 against 1\.0000 \(drop 1\.0000, tolerance 0\) on 4 held-back points/,
    );
    expect(u.stdout).toContain("kept unpublished");
    expect((await served()).version).toBe(before.version);
    const last = logLines().at(-1)!;
    expect(last.result).toBe("kept unpublished");
    expect(String(last.reason)).toContain("kept unpublished: utility");
    expect(existsSync(String(last.handbook))).toBe(true);
    const saved = JSON.parse(readFileSync(String(last.handbook), "utf8")) as Handbook;
    expect(evidence(saved).successes - evidence(before.handbook).successes).toBeCloseTo(1000, 9);
  }, 120_000);

  it("killed after writing its keys and before publishing: the old version serves; the rerun counts nothing twice", async () => {
    const records = join(dir, "later.jsonl");
    writeJsonl(records, [step("k1"), outcome("k1", 1)]);
    const before = await served();
    const pause = join(dir, "paused");
    const run = update(["--records", records], { [PAUSE_ENV]: pause });
    for (let i = 0; i < 600 && !existsSync(pause); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(pause)).toBe(true);
    run.child.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    const mid = await served();
    expect(mid.version).toBe(before.version);
    expect(evidence(mid.handbook)).toEqual(evidence(before.handbook));
    // The keys of the version it was about to publish were written before it was killed.
    const keys = await new FileStore(store).get([...UPDATES_NAMESPACE, "sim"], `v${before.version + 1}`);
    expect(keys).not.toBeNull();
    const item = keys!.value as { keys: string[]; base: number };
    expect(item.base).toBe(before.version);
    expect(item.keys).toContain("score/k1/0/feedback");

    const rerun = await update(["--records", records]).done;
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain("1 scored + 1 cost-only observation(s) folded, 0 skipped, 0 already folded");
    const after = await served();
    expect(after.version).toBe(before.version + 1);
    expect(evidence(after.handbook).successes - evidence(before.handbook).successes).toBeCloseTo(1, 12);
    expect(evidence(after.handbook).failures).toBeCloseTo(evidence(before.handbook).failures, 12);

    const again = await update(["--records", records]).done;
    expect(again.stdout).toContain("2 already folded");
    expect((await served()).version).toBe(after.version);
  }, 120_000);

  it("reads records from the store (store:NAME); --dry-run folds and publishes nothing", async () => {
    const fs = new FileStore(store);
    await new StoreRunRecords(fs, "runs").appendRun("s1", [step("s1"), outcome("s1", 0)]);
    const before = await served();
    const dry = await update(["--records", "store:runs", "--dry-run"]).done;
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("1 scored + 1 cost-only observation(s) folded");
    expect(dry.stdout).toContain("in store:runs");
    expect(dry.stdout).toContain(`dry run: nothing published, sim@v${before.version} keeps serving`);
    expect((await served()).version).toBe(before.version);
    const u = await update(["--records", "store:runs"]).done;
    expect(u.code).toBe(0);
    const after = await served();
    expect(after.version).toBe(before.version + 1);
    expect(evidence(after.handbook).failures - evidence(before.handbook).failures).toBeCloseTo(1, 12);
    expect(logLines().at(-1)).toMatchObject({ result: "published", version: `sim@v${after.version}` });
  }, 120_000);

  it("--report writes an HTML report: the moved posteriors, largest first, beside the new handbook", async () => {
    const records = join(dir, "report.jsonl");
    // The small agent fails twice on k4_0 and succeeds once on k4_1: k4_0 moves more.
    writeJsonl(records, [
      step("r1"),
      step("r2"),
      step("r3", [{ id: "answer.k4_1", weight: 1 }]),
      outcome("r1", 0, 5),
      outcome("r2", 0, 5),
      outcome("r3", 1),
    ]);
    const before = await served();
    const html = join(dir, "reports", "update.html");
    const u = await update(["--records", records, "--report", html, "--dry-run"]).done;
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain("report ");
    const page = readFileSync(html, "utf8");
    expect(page).toContain(`Drift: sim@v${before.version} → dry run`);
    const rows = [
      ...page.matchAll(/<tr data-drift-row data-agent="([^"]+)" data-skill="([^"]+)" data-delta="([^"]+)"/g),
    ];
    expect(rows.map((m) => [m[1], m[2]])).toEqual([
      [AGENT, "answer.k4_0"],
      [AGENT, "answer.k4_1"],
    ]);
    expect(Number(rows[0]![3])).toBeLessThan(0);
    expect(Number(rows[1]![3])).toBeGreaterThan(0);
    expect(page).toContain('<section id="handbook"');
    expect((await served()).version).toBe(before.version);
  }, 120_000);

  it("bad input: one line naming the flag, before any work", async () => {
    const cases: [string[], string][] = [
      [["--records", join(dir, "missing.jsonl")], "--records: "],
      [["--records", "store:bad name"], "--records: "],
      [["--records", EXAMPLE, "--half-life-records", "0"], "--half-life-records: must be a number > 0"],
      [["--records", EXAMPLE, "--gate-records", EXAMPLE], "--pool: "],
      [["--records", EXAMPLE, "--lambda", "0.1"], "--lambda: only with --gate-records"],
    ];
    for (const [args, start] of cases) {
      const r = await update(args).done;
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.startsWith(`skillorchestra: ${start}`), r.stderr).toBe(true);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
    expect((await served()).version).toBeGreaterThan(1);
  }, 120_000);
});
