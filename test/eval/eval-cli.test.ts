// `skillorchestra eval` in process, on hand-made and synthetic records written to real files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { loadHandbook } from "../../handbook/store.js";
import { evalCommand, type EvalReport } from "../../src/cli/eval.js";
import type { RouterRow } from "../../src/eval/evaluate.js";
import { InputError } from "../../src/core/errors.js";
import { formatRecordLine } from "../../src/records/io.js";
import type { ExecutionRecord } from "../../src/records/schema.js";
import { synthRecords } from "../learning/helpers.js";
import { BASELINE_FAMILIES, testRecords, trainRecords } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "so-eval-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function writeRecords(name: string, records: ExecutionRecord[]): string {
  const path = join(dir, name);
  writeFileSync(path, records.map(formatRecordLine).join(""));
  return path;
}

/** A replay pool whose ids differ from the records' agent names (`A` is pool agent `agent-a`). */
function writePool(name: string, agents: string[], rename: (a: string) => string): string {
  const path = join(dir, name);
  const pool = {
    version: 1,
    agents: agents.map((a) => ({
      id: rename(a),
      modes: ["answer"],
      provider: "replay",
      model: a,
      price: { inputPer1M: 1, outputPer1M: 1 },
      replay: { records: "train.jsonl", ...(rename(a) !== a ? { recordedAs: a } : {}) },
    })),
  };
  writeFileSync(path, JSON.stringify(pool));
  return path;
}

async function run(args: string[]): Promise<string> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await (evalCommand().exitOverride() as Command).parseAsync([...args, "--no-progress"], { from: "user" });
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

async function error(args: string[]): Promise<string> {
  try {
    await run(args);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error("expected an InputError");
}

const small = {
  train: writeRecords("train.jsonl", trainRecords()),
  test: writeRecords("test.jsonl", testRecords()),
  pool: writePool("pool.json", ["A", "B", "C"], (a) => `agent-${a.toLowerCase()}`),
};
const smallArgs = ["--train", small.train, "--test", small.test, "--pool", small.pool];

function row(ev: EvalReport, id: string): RouterRow {
  const r = ev.rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id} among ${ev.rows.map((x) => x.id).join(", ")}`);
  return r;
}

describe("eval on hand-made records", () => {
  const json = join(dir, "out", "small.json");
  const html = join(dir, "out", "small.html");
  const work = join(dir, "work");
  let text = "";
  let ev: EvalReport;

  it("prints every router side by side and writes the JSON evaluation and the HTML report", async () => {
    text = await run([
      ...smallArgs,
      "--lambdas",
      "0,1",
      "--seeds",
      "2",
      "--seed",
      "3",
      "--k",
      "2",
      "--json",
      json,
      "--html",
      html,
      "--work",
      work,
    ]);
    ev = JSON.parse(readFileSync(json, "utf8")) as EvalReport;
    expect(ev.kind).toBe("skillorchestra.eval");
    expect(ev.queries).toBe(4);
    expect(ev.pool).toEqual(["agent-a", "agent-b", "agent-c"]);
    expect(ev.lambdas).toEqual([0, 1]);
    expect(ev.seeds).toEqual([3, 4]);
    expect(ev.k).toBe(2);
    expect(text).toContain(`wrote ${json}`);
    expect(text).toContain(`wrote ${html}`);
    for (const label of [
      "ours (posterior mean) λ=0",
      "ours (posterior quantile q=0.25) λ=1",
      "ours (Thompson) λ=0",
      "reference cascade (same handbook)",
      "best single (agent-b)",
      "cheapest (agent-c)",
      "random",
      "kNN TF-IDF (k=2) λ=1",
      "per-task best (hindsight)",
      "per-query oracle",
      "oracle cheapest correct",
    ])
      expect(text).toContain(label);
  });

  it("gives the baselines' exact figures on the same queries and cost model", () => {
    // Test split (helpers.ts): best single B 0.3 @ 0.02; oracle 0.85 @ 0.02; oracle-cheapest-correct 0.75 @ 0.015.
    expect(ev.bestSingle).toEqual({ agent: "agent-b", accuracy: 0.3 });
    expect(ev.oracle).toBeCloseTo(0.85, 12);
    expect(row(ev, "best-single").meanCostUsd.mean).toBeCloseTo(0.02, 12);
    expect(row(ev, "oracle-cheapest-correct").accuracy.mean).toBeCloseTo(0.75, 12);
    expect(row(ev, "oracle-cheapest-correct").meanCostUsd.mean).toBeCloseTo(0.015, 12);
    // Cheapest (C): scores 1, 0, 1, 0 → 0.5 @ 0.01; gap (0.5 − 0.3) / (0.85 − 0.3).
    expect(row(ev, "cheapest").accuracy.mean).toBe(0.5);
    expect(row(ev, "cheapest").gapRecovered!.mean).toBeCloseTo(0.2 / 0.55, 12);
    // Per task on train: fruit → A, cars → B: t1 1, t2 0.4, t3 1, t4 0 → 0.6 @ (0.03·2 + 0.02·2) / 4.
    expect(row(ev, "per-task").accuracy.mean).toBeCloseTo(0.6, 12);
    expect(row(ev, "per-task").meanCostUsd.mean).toBeCloseTo(0.025, 12);
    // Hindsight: fruit → A (0.7 on test), cars → C (all tie at 0.5; cheapest) → 0.6 @ 0.02.
    expect(row(ev, "per-task-hindsight").meanCostUsd.mean).toBeCloseTo(0.02, 12);
    expect(row(ev, "random").seeds).toEqual([3, 4]);
    expect(row(ev, "random").accuracy.n).toBe(2);
    expect(ev.costEstimated).toBe(false);
  });

  it("reports ours per λ, estimator and seed, from a handbook learned per seed", () => {
    // Four train queries, two tasks: each λ is served by the candidate chosen for it on (cross-)validation, and
    // every seed reports which candidate that is; a higher λ never costs more on test here.
    for (const est of ["mean", "quantile"]) {
      const r0 = row(ev, `skillorchestra-${est}@λ=0`);
      expect(r0.kind).toBe("ours");
      expect(r0.seeds).toEqual([3, 4]);
      expect(r0.accuracy.n).toBe(2);
      expect(Object.values(r0.calls).reduce((a, b) => a + b, 0)).toBe(4);
      const r1 = row(ev, `skillorchestra-${est}@λ=1`);
      expect(r1.meanCostUsd.mean).toBeLessThanOrEqual(r0.meanCostUsd.mean + 1e-12);
    }
    for (const h of ev.learning.handbooks) {
      expect(h.byLambda.map((b) => b.lambda)).toEqual([0, 1]);
      for (const b of h.byLambda) expect(h.candidates.map((c) => c.id)).toContain(b.candidate);
      expect(h.candidates.map((c) => c.id)).toEqual(expect.arrayContaining(["answer=0", "tasks"]));
    }
    expect(row(ev, "skillorchestra-thompson@λ=0").runs).toHaveLength(2);
    expect(row(ev, "reference-cascade").lambda).toBeUndefined();
    expect(ev.learning.learner).toBe("statistical");
    expect(ev.learning.handbooks.map((h) => [h.seed, h.trainQueries, h.validationQueries])).toEqual([
      [3, 2, 2],
      [4, 2, 2],
    ]);
    expect(ev.frontiers.map((f) => f.family)).toEqual([
      "skillorchestra-mean",
      "skillorchestra-quantile",
      "skillorchestra-thompson",
      "skillorchestra-consult",
      ...BASELINE_FAMILIES,
    ]);
    // --work keeps each seed's learned handbook.
    expect(Object.keys(loadHandbook(join(work, "seed-3", "H.json")).agents).sort()).toEqual([
      "agent-a",
      "agent-b",
      "agent-c",
    ]);
  });

  it("writes one self-contained HTML file with the handbook and evaluation panels", () => {
    const page = readFileSync(html, "utf8");
    expect(page.startsWith("<!doctype html>") || page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page.match(/<circle data-point /g)).toHaveLength(ev.rows.length);
    for (const r of ev.rows) expect(page).toContain(`data-router="${r.id}"`);
    expect(page).toContain("data-cell");
    expect(page).not.toMatch(/(src|href)="https?:/);
  });
});

describe("eval learns well where skills differ", () => {
  // Three query types with their own words; a different agent is best on each (learning/helpers.ts).
  const train = writeRecords("synth-train.jsonl", synthRecords({ perType: 40, seed: "eval-train", prefix: "tr" }));
  const test = writeRecords("synth-test.jsonl", synthRecords({ perType: 30, seed: "eval-test", prefix: "te" }));
  const pool = writePool("synth-pool.json", ["alpha", "beta", "gamma"], (a) => a);

  it("routes by skill: well above the best single agent, near each type's best; λ buys cheaper routes", async () => {
    const json = join(dir, "synth.json");
    await run(["--train", train, "--test", test, "--pool", pool, "--lambdas", "0,1", "--seeds", "1", "--json", json]);
    const ev = JSON.parse(readFileSync(json, "utf8")) as EvalReport;
    const ours = row(ev, "skillorchestra-mean@λ=0");
    expect(ours.accuracy.mean).toBeGreaterThan(ev.bestSingle.accuracy + 0.2);
    expect(ours.accuracy.mean).toBeGreaterThan(row(ev, "per-task").accuracy.mean - 0.02);
    expect(ours.gapRecovered!.mean).toBeGreaterThan(0.5);
    expect(ours.collapse.entropy).toBeGreaterThan(0.8);
    expect(row(ev, "skillorchestra-mean@λ=1").meanCostUsd.mean).toBeLessThan(ours.meanCostUsd.mean);
    expect(ev.simulated).toBe(true);
    expect(ev.costEstimated).toBe(true);
  });

  it("learns at the labelled budget per task", async () => {
    const json = join(dir, "synth-10.json");
    await run([
      "--train",
      train,
      "--test",
      test,
      "--pool",
      pool,
      "--labelled",
      "10",
      "--lambdas",
      "0",
      "--seeds",
      "2",
      "--json",
      json,
    ]);
    const ev = JSON.parse(readFileSync(json, "utf8")) as EvalReport;
    expect(ev.learning.labelled).toBe(10);
    for (const h of ev.learning.handbooks) expect(h.trainQueries + h.validationQueries).toBe(30);
    expect(row(ev, "skillorchestra-mean@λ=0").runs).toHaveLength(2);
  });
});

describe("eval rejects bad input with one line naming the file or flag", () => {
  it("flags", async () => {
    expect(await error([...smallArgs, "--lambdas", "0,x"])).toBe('--lambdas: must be a number, got "x"');
    expect(await error([...smallArgs, "--lambdas", "0,-1"])).toBe('--lambdas: must be >= 0, got "-1"');
    expect(await error([...smallArgs, "--labelled", "0"])).toBe('--labelled: must be >= 1, got "0"');
    expect(await error([...smallArgs, "--seeds", "1.5"])).toBe('--seeds: must be a whole number, got "1.5"');
    expect(await error([...smallArgs, "--k", "0"])).toBe('--k: must be >= 1, got "0"');
  });

  it("files", async () => {
    expect(await error(["--train", join(dir, "missing.jsonl"), "--test", small.test, "--pool", small.pool])).toMatch(
      /missing\.jsonl: cannot read records file \(ENOENT\)/,
    );
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${formatRecordLine(testRecords()[0]!)}{not json\n`);
    expect(await error(["--train", small.train, "--test", bad, "--pool", small.pool])).toMatch(
      /bad\.jsonl:2: invalid JSON/,
    );
    const stranger = writeRecords("stranger.jsonl", [
      ...testRecords(),
      ...testRecords()
        .slice(0, 1)
        .map((r) => ({ ...r, agent: "Z" })),
    ]);
    expect(await error(["--train", small.train, "--test", stranger, "--pool", small.pool])).toBe(
      `${stranger}: record 13: $.agent: agent "Z" is not in the pool ${small.pool}`,
    );
    const badPool = join(dir, "bad-pool.json");
    writeFileSync(badPool, JSON.stringify({ version: 1, agents: [] }));
    expect(await error([...smallArgs.slice(0, 4), "--pool", badPool])).toMatch(/bad-pool\.json: \$\.agents/);
  });
});
