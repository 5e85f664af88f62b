// The learning phases in a worker thread, on its error paths: a phase's InputError comes back as the same class with
// the same one line as in this thread, a worker that dies (heap limit) or a run aborted mid-phase ends the phase with
// one line, and no worker is left behind in any case.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { Handoff, learningSettings } from "../../src/learning/pipeline.js";
import { inlineRunner, prestartWorker, spareWorker, workerRunner } from "../../src/learning/phase-runner.js";
import type { PhaseJob } from "../../src/learning/phases.js";
import { silentProgress, type ProgressFactory } from "../../src/learning/progress.js";
import { synthRecords } from "./helpers.js";
import { writeFixture } from "./fixtures.js";

const fx = writeFixture(synthRecords({ perType: 40 }), "learn-worker-");
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

function job(records: string, out: string, phase: PhaseJob["phase"] = "split"): PhaseJob {
  return { phase, settings: learningSettings({ records }), out, run: `test-${phase}-${out.length}`, artefacts: {} };
}

/** What the job fails with in this thread. */
async function inlineError(j: PhaseJob): Promise<Error> {
  const err = await inlineRunner({ handoff: new Handoff(), ownHandoff: true })
    .run(j, silentProgress)
    .then(
      () => undefined,
      (e: Error) => e,
    );
  if (!err) throw new Error("the job did not fail in this thread");
  return err;
}

describe("learning phases in a worker thread: errors", () => {
  it("a missing records file: the same InputError line as in this thread, and the worker ended", async () => {
    const j = job(join(fx.dir, "missing.jsonl"), join(fx.dir, "a", "H.json"));
    const expected = await inlineError(j);
    expect(expected).toBeInstanceOf(InputError);
    const runner = workerRunner();
    const err = await runner.run(j, silentProgress).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(expected.message);
    expect((err as Error).message).toMatch(/missing\.jsonl: cannot read records file: ENOENT$/);
    expect(runner.live()).toBe(0);
  }, 60_000);

  it("a bad record line: the same one line naming the file and field", async () => {
    const bad = join(fx.dir, "bad.jsonl");
    writeFileSync(bad, '{"queryId": "q1", "query": "x", "agent": "a", "mode": "answer", "score": "high"}\n');
    const j = job(bad, join(fx.dir, "b", "H.json"));
    const expected = await inlineError(j);
    const runner = workerRunner();
    const err = (await runner.run(j, silentProgress).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe(expected.name);
    expect(err.message).toBe(expected.message);
    expect(err.message).toContain("bad.jsonl");
    expect(err.message.split("\n")).toHaveLength(1);
    expect(runner.live()).toBe(0);
  }, 60_000);

  it("a worker that dies (its heap limit reached) fails the phase with one line, not a hang", async () => {
    const runner = workerRunner({ resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } });
    const err = (await runner
      .run(job(fx.records, join(fx.dir, "c", "H.json")), silentProgress)
      .catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^learning worker: /);
    expect(err.message.split("\n")).toHaveLength(1);
    expect(runner.live()).toBe(0);
  }, 60_000);

  it("a run aborted during a phase ends with the abort's reason, and its worker with it", async () => {
    const runner = workerRunner();
    const controller = new AbortController();
    // Abort at the phase's first progress report: the worker is up and the phase under way.
    const progress: ProgressFactory = () => ({
      update: () => controller.abort(new Error("cancelled by the test")),
      end() {},
    });
    const err = (await runner
      .run(job(fx.records, join(fx.dir, "d", "H.json")), progress, controller.signal)
      .catch((e) => e)) as Error;
    expect(err.message).toBe("cancelled by the test");
    expect(runner.live()).toBe(0);
    // A later run on the same runner starts a worker of its own and succeeds.
    const ok = await runner.run(job(fx.records, join(fx.dir, "e", "H.json")), silentProgress);
    expect(ok.summary).toMatchObject({ train: expect.any(Number), validation: expect.any(Number) });
    expect(runner.live()).toBe(1);
    await runner.close();
    expect(runner.live()).toBe(0);
  }, 60_000);
});

describe("a learning worker started ahead of its run", () => {
  it("is taken by the next run a runner with the same limits opens, and runs its phases", async () => {
    prestartWorker();
    const spare = spareWorker();
    expect(spare).toBeDefined();
    prestartWorker(); // one spare at most
    expect(spareWorker()).toBe(spare);
    // Another runner's limits do not take it.
    const small = workerRunner({ resourceLimits: { maxOldGenerationSizeMb: 512 } });
    await small.run(job(fx.records, join(fx.dir, "f", "H.json")), silentProgress);
    await small.close();
    expect(spareWorker()).toBe(spare);
    const runner = workerRunner();
    const ok = await runner.run(job(fx.records, join(fx.dir, "g", "H.json")), silentProgress);
    expect(ok.summary).toMatchObject({ train: expect.any(Number), validation: expect.any(Number) });
    expect(spareWorker()).toBeUndefined();
    // The taken worker is the run's: closing the runner ends it.
    const exited = new Promise((resolve) => spare!.once("exit", resolve));
    expect(runner.live()).toBe(1);
    await runner.close();
    await exited;
  }, 60_000);

  it("one that dies unused is forgotten, and the next run starts its own", async () => {
    prestartWorker();
    const spare = spareWorker()!;
    await spare.terminate();
    await new Promise((r) => setImmediate(r));
    expect(spareWorker()).toBeUndefined();
    const runner = workerRunner();
    const ok = await runner.run(job(fx.records, join(fx.dir, "h", "H.json")), silentProgress);
    expect(ok.summary).toMatchObject({ train: expect.any(Number) });
    await runner.close();
  }, 60_000);
});
