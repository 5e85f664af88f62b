import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import { formatRecordLine, loadRecords } from "../../src/records/io.js";
import { dropOverlap, findOverlap, normaliseQueryText } from "../../src/records/overlap.js";
import { ExecutionRecordSchema, type ExecutionRecord } from "../../src/records/schema.js";
import { splitByQuery } from "../../src/records/split.js";
import { ROOT, startCli } from "../support/cli.js";
import { rec } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "so-split-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n queries per task, two agents each. */
function records(perTask: Record<string, number>): ExecutionRecord[] {
  const out: ExecutionRecord[] = [];
  for (const [task, n] of Object.entries(perTask))
    for (let i = 0; i < n; i++)
      for (const agent of ["a", "b"])
        out.push(
          ExecutionRecordSchema.parse(rec({ queryId: `${task}-${i}`, query: `${task} question ${i}`, task, agent })),
        );
  return out;
}

describe("splitByQuery", () => {
  it("keeps every record of a query on one side, stratified by task, with nothing lost or repeated", () => {
    const all = records({ t1: 10, t2: 20, t3: 3 });
    const s = splitByQuery(all, { testShare: 0.3, seed: 7 });
    expect(s.tasks).toEqual([
      { task: "t1", trainQueries: 7, testQueries: 3 },
      { task: "t2", trainQueries: 14, testQueries: 6 },
      { task: "t3", trainQueries: 2, testQueries: 1 },
    ]);
    expect(s.train.length + s.test.length).toBe(all.length);
    const trainIds = new Set(s.train.map((r) => r.queryId));
    const testIds = new Set(s.test.map((r) => r.queryId));
    expect([...testIds].filter((id) => trainIds.has(id))).toEqual([]);
    expect(trainIds.size + testIds.size).toBe(33);
    expect(s.trainQueries).toBe(23);
    expect(s.testQueries).toBe(10);
    // File order is kept on each side.
    expect(s.train).toEqual(all.filter((r) => trainIds.has(r.queryId)));
  });

  it("is a function of the seed: the same seed gives the same split, another seed another", () => {
    const all = records({ t1: 30, t2: 30 });
    const ids = (seed: number) => splitByQuery(all, { testShare: 0.3, seed }).test.map((r) => r.queryId);
    expect(ids(7)).toEqual(ids(7));
    expect(ids(8)).not.toEqual(ids(7));
    // A task's draw does not depend on the other tasks.
    const t1Alone = splitByQuery(records({ t1: 30 }), { testShare: 0.3, seed: 7 }).test.map((r) => r.queryId);
    expect(ids(7).filter((id) => id.startsWith("t1-"))).toEqual(t1Alone);
  });

  it("rejects a share outside (0, 1)", () => {
    expect(() => splitByQuery(records({ t: 2 }), { testShare: 1, seed: 0 })).toThrow(RangeError);
  });
});

describe("findOverlap / dropOverlap", () => {
  it("matches texts up to case, spacing and Unicode compatibility forms", () => {
    expect(normaliseQueryText("  What  IS\n2+2? ")).toBe("what is 2+2?");
    expect(normaliseQueryText("ﬁne")).toBe("fine");
    const train = [
      { queryId: "a", query: "What is 2+2?" },
      { queryId: "a", query: "ignored: the first text of a query id is used" },
      { queryId: "b", query: "Name a colour" },
      { queryId: "c", query: "what   is 2+2?" },
    ];
    const test = [
      { queryId: "x", query: "WHAT IS 2+2?" },
      { queryId: "y", query: "Something new" },
      { queryId: "z", query: "name a colour" },
    ];
    expect(findOverlap(train, test)).toEqual({ queries: 2, testIds: ["x", "z"], trainIds: ["a", "b", "c"] });
    expect(findOverlap(train, [{ queryId: "q", query: "ignored: the first text of a query id is used" }]).queries).toBe(
      0,
    );
    const { kept, overlap } = dropOverlap(train, test);
    expect(overlap.queries).toBe(2);
    expect(kept).toEqual([]);
    expect(dropOverlap(train, [test[1]!]).kept).toEqual(train);
  });
});

describe("skillorchestra records split (CLI)", () => {
  const cli = async (...args: string[]) => startCli(args).done;

  it("splits the real winogrande train file 70/30 by query and writes both sides", async () => {
    const imported = await importRouterBench({
      csv: resolve(ROOT, "..", "shared", "data", "routerbench", "winograde_train.csv"),
    });
    const input = join(dir, "wino.jsonl");
    writeFileSync(input, imported.records.map(formatRecordLine).join(""));
    /** `records split` of `input`, test share 0.3, seed 7. */
    const split = (trainOut: string, testOut: string) =>
      cli(
        "records",
        "split",
        input,
        "--test-share",
        "0.3",
        "--seed",
        "7",
        "--train-out",
        trainOut,
        "--test-out",
        testOut,
      );
    const trainOut = join(dir, "out", "train.jsonl");
    const testOut = join(dir, "out", "test.jsonl");
    const run = await split(trainOut, testOut);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // 887 queries: round(887 × 0.3) = 266 to test.
    expect(run.stdout).toContain(
      `split ${input} by query (test share 0.3, seed 7, stratified by task): 621 train queries (6831 records), 266 test queries (2926 records)`,
    );
    expect(run.stdout).toContain("  winogrande: 621 train, 266 test");
    expect(run.stdout).toContain("overlap: 0 test queries have their text (normalised) in train too");
    const train = await loadRecords(trainOut);
    const test = await loadRecords(testOut);
    expect(train.length + test.length).toBe(imported.records.length);
    const testIds = new Set(test.map((r) => r.queryId));
    expect(train.some((r) => testIds.has(r.queryId))).toBe(false);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["test.jsonl", "train.jsonl"]); // no temp files left

    // Same seed, same split.
    const again = join(dir, "again-test.jsonl");
    await split(join(dir, "again-train.jsonl"), again);
    expect(readFileSync(again, "utf8")).toBe(readFileSync(testOut, "utf8"));
  }, 180_000);

  it("bad input: one line naming the file or flag, exit 2, nothing written", async () => {
    const input = join(dir, "small.jsonl");
    writeFileSync(input, records({ t: 4 }).map(formatRecordLine).join(""));
    const a = join(dir, "bad-a.jsonl");
    const b = join(dir, "bad-b.jsonl");
    const cases: [string[], string][] = [
      [["--test-share", "1.5"], `skillorchestra: --test-share: must be a number strictly between 0 and 1, got "1.5"\n`],
      [["--test-share", "0"], `skillorchestra: --test-share: must be a number strictly between 0 and 1, got "0"\n`],
      [["--test-share", "abc"], `skillorchestra: --test-share: must be a number strictly between 0 and 1, got "abc"\n`],
      [["--test-share", "0.3", "--seed", "x"], `skillorchestra: --seed: must be a whole number, got "x"\n`],
    ];
    const broken = join(dir, "broken.jsonl");
    writeFileSync(broken, `${formatRecordLine(ExecutionRecordSchema.parse(rec()))}{"queryId": 3}\n`);
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    const runs: [string[], string][] = [
      ...cases.map(([flags, err]): [string[], string] => [[input, ...flags, "--train-out", a, "--test-out", b], err]),
      [
        [input, "--test-share", "0.3", "--train-out", a, "--test-out", a],
        `skillorchestra: --test-out: ${a} is also the --train-out file\n`,
      ],
      [
        [input, "--test-share", "0.3", "--train-out", input, "--test-out", b],
        `skillorchestra: --train-out: ${input} is the input file\n`,
      ],
      [
        [broken, "--test-share", "0.3", "--train-out", a, "--test-out", b],
        `skillorchestra: ${broken}:2: $.queryId: Invalid input: expected string, received number\n`,
      ],
      [
        [empty, "--test-share", "0.3", "--train-out", a, "--test-out", b],
        `skillorchestra: ${empty}: no records to split\n`,
      ],
    ];
    const exits = await Promise.all(runs.map(([args]) => cli("records", "split", ...args)));
    expect(exits.map((e) => [e.stderr, e.code])).toEqual(runs.map(([, err]) => [err, 2]));
    expect(existsSync(a) || existsSync(b)).toBe(false);
  }, 180_000);
});
