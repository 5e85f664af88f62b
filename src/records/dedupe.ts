import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../core/atomic.js";
import { formatRecordLine } from "./io.js";
import { dropOverlap, type Overlap } from "./overlap.js";
import type { ExecutionRecord } from "./schema.js";

/** What `eval` reports about train/test queries sharing a text (and, with --dedupe, what it dropped from train). */
export interface EvalOverlap {
  /** Test queries whose normalised text is also a train query's. */
  queries: number;
  /** True when those texts were dropped from train before learning and before the baselines. */
  dedupe: boolean;
  /** Train queries and records dropped (0 without --dedupe). */
  droppedTrainQueries: number;
  droppedTrainRecords: number;
}

export interface DedupedTrain {
  /** The train records to learn from (all of them without dedupe). */
  records: ExecutionRecord[];
  /** The records file the learning pipeline reads: the original one, or a written copy without the overlap. */
  path: string;
  overlap: Overlap;
  report: EvalOverlap;
  /** Remove the written copy (when it is in a temporary directory). */
  dispose(): void;
}

/**
 * Train records with, when `dedupe`, every query whose text is also a test query's dropped. The learning pipeline
 * reads records from a file, so the kept records are written (atomically) to `dir/train.deduped.jsonl` when a
 * directory is given, else to a temporary directory that dispose() removes.
 */
export function dedupeTrain(
  train: ReadonlyArray<ExecutionRecord>,
  test: ReadonlyArray<ExecutionRecord>,
  opts: { dedupe: boolean; trainPath: string; dir?: string },
): DedupedTrain {
  const { kept, overlap } = dropOverlap(train, test);
  if (!opts.dedupe)
    return {
      records: [...train],
      path: opts.trainPath,
      overlap,
      report: { queries: overlap.queries, dedupe: false, droppedTrainQueries: 0, droppedTrainRecords: 0 },
      dispose: () => {},
    };
  const temp = opts.dir === undefined;
  const dir = opts.dir !== undefined ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), "so-eval-dedupe-"));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "train.deduped.jsonl");
  writeFileAtomic(path, kept.map(formatRecordLine).join(""));
  return {
    records: kept,
    path,
    overlap,
    report: {
      queries: overlap.queries,
      dedupe: true,
      droppedTrainQueries: overlap.trainIds.length,
      droppedTrainRecords: train.length - kept.length,
    },
    dispose: () => {
      if (temp) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One line for the printed evaluation. */
export function formatEvalOverlap(o: EvalOverlap): string {
  const head = `overlap: ${o.queries} test queries have their text (normalised) in train too`;
  if (o.dedupe)
    return `${head}; --dedupe dropped ${o.droppedTrainQueries} train queries (${o.droppedTrainRecords} records) before learning and the baselines.`;
  return o.queries > 0 ? `${head} (kept; --dedupe drops them from train).` : `${head}.`;
}
