import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dedupeTrain, formatEvalOverlap } from "../../src/records/dedupe.js";
import { loadRecords } from "../../src/records/io.js";
import { ExecutionRecordSchema } from "../../src/records/schema.js";
import { rec } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "so-dedupe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const r = (queryId: string, query: string, agent = "a") => ExecutionRecordSchema.parse(rec({ queryId, query, agent }));
const train = [
  r("q1", "Shared question"),
  r("q1", "Shared question", "b"),
  r("q2", "Only in train"),
  r("q3", "shared   QUESTION"),
];
const test = [r("t1", "shared question"), r("t2", "Only in test")];

describe("dedupeTrain", () => {
  it("without dedupe: counts the overlap, keeps every record and the original file", () => {
    const d = dedupeTrain(train, test, { dedupe: false, trainPath: "train.jsonl" });
    expect(d.records).toEqual(train);
    expect(d.path).toBe("train.jsonl");
    expect(d.report).toEqual({ queries: 1, dedupe: false, droppedTrainQueries: 0, droppedTrainRecords: 0 });
    expect(formatEvalOverlap(d.report)).toBe(
      "overlap: 1 test queries have their text (normalised) in train too (kept; --dedupe drops them from train).",
    );
  });

  it("with dedupe: drops every train query of a shared text and writes the rest for learning to read", async () => {
    const d = dedupeTrain(train, test, { dedupe: true, trainPath: "train.jsonl" });
    expect(d.records.map((x) => x.queryId)).toEqual(["q2"]);
    expect(d.report).toEqual({ queries: 1, dedupe: true, droppedTrainQueries: 2, droppedTrainRecords: 3 });
    expect(await loadRecords(d.path)).toEqual(d.records);
    expect(formatEvalOverlap(d.report)).toBe(
      "overlap: 1 test queries have their text (normalised) in train too; --dedupe dropped 2 train queries (3 records) before learning and the baselines.",
    );
    d.dispose();
    expect(existsSync(dirname(d.path))).toBe(false);

    const kept = dedupeTrain(train, test, { dedupe: true, trainPath: "train.jsonl", dir: join(dir, "work") });
    expect(kept.path).toBe(join(dir, "work", "train.deduped.jsonl"));
    kept.dispose(); // a given directory is the caller's: kept
    expect(readdirSync(join(dir, "work"))).toEqual(["train.deduped.jsonl"]);
  });
});
