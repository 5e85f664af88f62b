import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explore } from "../../src/explore/explore.js";
import { simRunner } from "../../src/explore/sim-runner.js";
import { simExploreTasks } from "../../src/explore/tasks.js";
import { createSimAgent } from "../../src/sim/provider.js";
import { loadRecords } from "../../src/records/io.js";
import { recordKey } from "../../src/records/schema.js";
import { createWorld } from "../../src/sim/world.js";
import { startCli } from "../support/cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "explore-kill-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(path: string): number {
  try {
    return readFileSync(path, "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** Sim tasks explored, each by every agent in search and answer mode; the first run is killed after 12 records. */
const TASKS = 6;

/** Start the explore CLI as a subprocess. */
const start = (args: string[]) => startCli(["explore", ...args]);

describe("explore CLI killed mid-run", () => {
  it("resumes after SIGKILL and ends with each (query, agent, mode) exactly once", async () => {
    const world = createWorld({ seed: 3 });
    const pool = join(dir, "pool.json");
    writeFileSync(pool, JSON.stringify(world.pool()));
    const out = join(dir, "records.jsonl");
    const args = [
      "--pool",
      pool,
      "--out",
      out,
      "--sim-tasks",
      String(TASKS),
      "--seed",
      "3",
      "--modes",
      "search,answer",
      "--concurrency",
      "2",
    ];

    // First run: sim agents really wait for a share of their simulated latency, so the run is still going when killed.
    const first = start([...args, "--sim-sleep", "0.05"]);
    const killedAt = await new Promise<number>((res, rej) => {
      const poll = setInterval(() => {
        const n = lines(out);
        if (n >= 12) {
          clearInterval(poll);
          first.child.kill("SIGKILL");
          res(n);
        }
      }, 10);
      void first.done.then((r) => {
        clearInterval(poll);
        if (r.signal !== "SIGKILL") rej(new Error(`explore ended before it was killed: ${JSON.stringify(r)}`));
      });
    });
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(killedAt).toBeGreaterThanOrEqual(12);
    const partial = lines(out);
    expect(statSync(out).size).toBeGreaterThan(0);

    // Second run: resumes and finishes.
    const second = await start([...args, "--no-progress"]).done;
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    const m = /explore: (\d+) records written to .* \((\d+) already there, (\d+) pairs in all/.exec(second.stdout);
    expect(m).not.toBeNull();
    const [written, already, pairs] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(already).toBeGreaterThanOrEqual(partial - 1);
    expect(written + already).toBe(pairs);

    const records = await loadRecords(out);
    const keys = records.map(recordKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(pairs);

    // The same file, byte for byte, as a run that was never interrupted.
    const clean = join(dir, "clean.jsonl");
    const s = await explore({
      agents: world.pool().agents.map((spec) => createSimAgent(spec, world)),
      tasks: simExploreTasks(world, TASKS, "train"),
      modes: ["search", "answer"],
      run: simRunner(world),
      out: clean,
      progress: false,
    });
    expect(s.written).toBe(pairs);
    expect(readFileSync(out)).toEqual(readFileSync(clean));
  });

  it("exits 2 with a one-line error on bad input", async () => {
    const r = await start(["--pool", join(dir, "nope.json"), "--out", join(dir, "x.jsonl"), "--sim-tasks", "2"]).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`skillorchestra: ${join(dir, "nope.json")}: cannot read pool file (ENOENT)\n`);
  });
});
