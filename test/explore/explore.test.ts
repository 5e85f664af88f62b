import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExplore } from "../../src/cli/explore.js";
import { InputError } from "../../src/core/errors.js";
import { explore, explorePairs } from "../../src/explore/explore.js";
import { lineSink, exploreProgressLine } from "../../src/explore/progress.js";
import { simRunner } from "../../src/explore/sim-runner.js";
import { loadTasks, simExploreTasks } from "../../src/explore/tasks.js";
import type { ExploreProgress, Runner } from "../../src/explore/types.js";
import { createSimAgent } from "../../src/sim/provider.js";
import { loadRecords } from "../../src/records/io.js";
import { recordKey } from "../../src/records/schema.js";
import { createWorld } from "../../src/sim/world.js";

const world = createWorld({ seed: 7 });
const agents = world.pool().agents.map((s) => createSimAgent(s, world));
// One task of each family.
const tasks = simExploreTasks(world, 6, "train");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "explore-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("explore over the simulated world", () => {
  let first: string;

  it("writes one record per applicable (query, agent, mode), and the same bytes for the same seed", async () => {
    first = join(dir, "a.jsonl");
    const second = join(dir, "b.jsonl");
    const s1 = await explore({ agents, tasks, run: simRunner(world), out: first, progress: false });
    const again = createWorld({ seed: 7 });
    const s2 = await explore({
      agents: again.pool().agents.map((s) => createSimAgent(s, again)),
      tasks: simExploreTasks(again, 6, "train"),
      run: simRunner(again),
      out: second,
      concurrency: 3,
      progress: false,
    });
    expect(s1.failures).toEqual([]);
    // capital 4 search + 5 answer, founder 4 + 5, arithmetic 5 code + 5 answer, statistics 5 + 5, definition 5, units 5.
    expect(s1).toMatchObject({ pairs: 48, written: 48, resumed: 0, simulated: true, costEstimated: false });
    expect(s2.written).toBe(48);
    expect(readFileSync(second)).toEqual(readFileSync(first));

    const records = await loadRecords(first);
    expect(new Set(records.map(recordKey)).size).toBe(48);
    for (const r of records) {
      expect(r).toMatchObject({ provider: "sim", simulated: true, costEstimated: false, acted: true });
      const task = world.task(r.queryId);
      expect(task.steps.some((s) => s.mode === r.mode)).toBe(true);
      if (r.mode === "answer") expect(r.score).toBe(world.check(task, r.response));
      if (r.mode === "search") {
        // The good queries of the plan always find the gold documents (other queries rarely do).
        if (r.response === task.facts.goodQueries.join("\n")) expect(r.score).toBe(1);
      }
      if (r.mode === "code") expect(r.score).toBe(r.response === task.facts.program!.source ? 1 : 0);
    }
    // Not every agent succeeds at everything: the records carry signal to learn from.
    expect(new Set(records.map((r) => r.score))).toEqual(new Set([0, 1]));
    const other = createWorld({ seed: 8 });
    const third = join(dir, "c.jsonl");
    await explore({
      agents: other.pool().agents.map((s) => createSimAgent(s, other)),
      tasks: simExploreTasks(other, 6, "train"),
      run: simRunner(other),
      out: third,
      progress: false,
      modes: ["answer"],
    });
    expect(readFileSync(third, "utf8")).not.toBe(readFileSync(first, "utf8"));
  });

  it("resumes an interrupted run without repeating a pair, ending with the uninterrupted file", async () => {
    const out = join(dir, "resumed.jsonl");
    const modes = ["search", "answer"] as const;
    const controller = new AbortController();
    const s1 = await explore({
      agents,
      tasks,
      modes,
      run: simRunner(world),
      out,
      signal: controller.signal,
      progress: (p) => {
        if (p.done >= 10) controller.abort();
      },
    });
    expect(s1.interrupted).toBe(true);
    expect(s1.written).toBeGreaterThanOrEqual(10);
    expect(s1.written).toBeLessThan(38);
    const s2 = await explore({ agents, tasks, modes, run: simRunner(world), out, progress: false });
    expect(s2).toMatchObject({ resumed: s1.written, written: 38 - s1.written, interrupted: false });
    expect(readFileSync(out, "utf8")).toBe(withoutCode(readFileSync(first, "utf8")));
    const s3 = await explore({ agents, tasks, modes, run: simRunner(world), out, progress: false });
    expect(s3).toMatchObject({ resumed: 38, written: 0 });
  });

  it("reports a failing pair, writes the others, and retries it on the next run", async () => {
    const out = join(dir, "failing.jsonl");
    const sim = simRunner(world);
    let broken = true;
    const flaky: Runner = {
      name: "flaky",
      applies: sim.applies,
      run: (agent, task, mode) => {
        if (broken && agent.spec.id === "sim-coder-32b" && task.family === "statistics")
          return Promise.reject(new Error("model down"));
        return sim.run(agent, task, mode);
      },
    };
    const s1 = await explore({ agents, tasks, modes: ["answer"], run: flaky, out, progress: false });
    const stats = tasks.find((t) => t.family === "statistics")!;
    expect(s1.failures).toEqual([{ queryId: stats.id, agent: "sim-coder-32b", mode: "answer", error: "model down" }]);
    expect(s1.written).toBe(29);
    broken = false;
    const s2 = await explore({ agents, tasks, modes: ["answer"], run: flaky, out, progress: false });
    expect(s2).toMatchObject({ resumed: 29, written: 1, failures: [] });
    expect((await loadRecords(out)).length).toBe(30);
  });

  it("only pairs an agent with the modes it serves and the task's plan needs", () => {
    const { jobs, notApplicable } = explorePairs({ agents, tasks }, simRunner(world));
    expect(jobs.length).toBe(48);
    expect(jobs.every((j) => j.agent.spec.modes.includes(j.mode))).toBe(true);
    // Each agent-mode pair a task's plan lacks is not applicable (and so never credited).
    const served = tasks.reduce((n) => n + agents.reduce((m, a) => m + a.spec.modes.length, 0), 0);
    expect(jobs.length + notApplicable).toBe(served);
    expect(explorePairs({ agents, tasks, modes: ["search"] }, simRunner(world)).jobs.length).toBe(8);
  });

  it("reports progress as plain lines with cost and ETA when not on a terminal", () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (c) => (text += String(c)));
    const sink = lineSink(stream, 1000);
    const p = (done: number, elapsedMs: number): ExploreProgress => ({
      done,
      total: 40,
      resumed: 8,
      failed: 1,
      costUsd: 0.01234,
      costEstimated: false,
      simulated: true,
      elapsedMs,
    });
    sink.update(p(10, 2000));
    sink.update(p(11, 2500));
    sink.update(p(20, 4000));
    sink.end(p(40, 8000));
    expect(text.split("\n").filter(Boolean)).toEqual([
      "explore: 10/40 (25%), 1 failed, 8 already done, cost $0.0123 (simulated), eta 6s",
      "explore: 20/40 (50%), 1 failed, 8 already done, cost $0.0123 (simulated), eta 4s",
      "explore: 40/40 (100%), 1 failed, 8 already done, cost $0.0123 (simulated)",
    ]);
    expect(exploreProgressLine({ ...p(0, 0), failed: 0, resumed: 0, costEstimated: true, simulated: false })).toBe(
      "explore: 0/40 (0%), cost $0.0123 (estimated)",
    );
  });
});

describe("explore command and tasks files", () => {
  it("rejects bad flags and files with one-line errors naming them", async () => {
    const pool = join(dir, "pool.json");
    writeFileSync(pool, JSON.stringify(world.pool()));
    const base = { pool, out: join(dir, "cli.jsonl"), split: "train", concurrency: "2", progress: false };
    await expect(runExplore(base)).rejects.toThrow("explore: give exactly one of --sim-tasks N");
    await expect(runExplore({ ...base, simTasks: "3", modes: "search,think" })).rejects.toThrow(
      '--modes: unknown mode "think"',
    );
    await expect(runExplore({ ...base, simTasks: "zero" })).rejects.toThrow(
      '--sim-tasks: must be a whole number >= 1, got "zero"',
    );
    await expect(runExplore({ ...base, simTasks: "3", concurrency: "0" })).rejects.toThrow(InputError);
    await expect(runExplore({ ...base, simTasks: "3", seed: "9" })).rejects.toThrow(
      `${pool}: agent sim-frontier-xl: sim.seed 7 differs from --seed 9`,
    );
    const bad = join(dir, "tasks.jsonl");
    writeFileSync(bad, '{"id": "t1", "text": "What?"}\n\n{"id": "t2"}\n');
    expect(() => loadTasks(bad)).toThrow(`${bad}:3: $.text:`);
    writeFileSync(bad, '{"id": "t1", "text": "What?"}\n{"id": "t1", "text": "Again?"}\n');
    expect(() => loadTasks(bad)).toThrow(`${bad}:2: $.id: duplicate task id "t1" (first at line 1)`);
  });

  it("runs the simulated world end to end from a pool file", async () => {
    const pool = join(dir, "pool2.json");
    writeFileSync(pool, JSON.stringify(world.pool()));
    const out = join(dir, "cli2.jsonl");
    const code = await runExplore({
      pool,
      out,
      simTasks: "6",
      split: "train",
      concurrency: "2",
      progress: false,
      modes: "answer,search",
    });
    expect(code).toBe(0);
    const recs = await loadRecords(out);
    expect(recs.length).toBe(4 + 5 + 4 + 5 + 5 * 4);
    expect(readFileSync(out, "utf8")).toBe(withoutCode(readFileSync(join(dir, "a.jsonl"), "utf8")));
  });
});

/** The lines of a records file that are not code-mode records. */
function withoutCode(text: string): string {
  return `${text
    .split("\n")
    .filter((l) => l && JSON.parse(l).mode !== "code")
    .join("\n")}\n`;
}
