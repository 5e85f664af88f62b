import { Command } from "commander";
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic.js";
import { DEFAULT_SEED } from "../core/random.js";
import { importLlmRouter } from "../records/import-llmrouter.js";
import { formatImportReport, writeImport } from "../records/import-result.js";
import { importRouterBench } from "../records/import-routerbench.js";
import { formatRecordLine, loadRecords } from "../records/io.js";
import { findOverlap } from "../records/overlap.js";
import { splitByQuery } from "../records/split.js";
import { formatSummary, summarize } from "../records/summary.js";

export interface RecordsCommandIO {
  /** Where summaries are printed (default: stdout). */
  out?: (text: string) => void;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function parseShare(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n >= 1)
    throw new InputError(`--test-share: must be a number strictly between 0 and 1, got "${value}"`);
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n))
    throw new InputError(`--seed: must be a whole number, got "${value}"`);
  return n;
}

/**
 * `skillorchestra records …`: import recorded outcomes into execution records plus a replay pool, summarise a
 * records file (and its overlap with another), and split one by query into train and test. Bad input surfaces as an InputError (one line naming file and field) for main to report.
 */
export function recordsCommand(io: RecordsCommandIO = {}): Command {
  const out = io.out ?? ((text: string) => void process.stdout.write(text));
  const records = new Command("records").description("Execution records: import recorded outcomes, summarise");

  const imp = new Command("import").description("Import recorded outcomes as execution records and a replay pool");
  imp
    .command("llmrouter")
    .description("LLMRouter files: scores JSON + query JSONL + candidates JSON (costs are estimated)")
    .requiredOption("--scores <file>", "scores JSON array of {question, scores: {model: score}}")
    .requiredOption("--queries <file>", "query JSONL of {task_name, query, ground_truth, metric, choices, task_id}")
    .requiredOption("--candidates <file>", "candidates JSON of {model: {input_price, output_price}} (USD per 1M)")
    .requiredOption("--out <records.jsonl>", "records file to write")
    .requiredOption("--pool <pool.json|yaml>", "replay pool file to write")
    .option("--split <name>", "split name stored in each record's meta")
    .action((o: { scores: string; queries: string; candidates: string; out: string; pool: string; split?: string }) => {
      const result = importLlmRouter({
        scores: o.scores,
        queries: o.queries,
        candidates: o.candidates,
        ...(o.split !== undefined ? { split: o.split } : {}),
      });
      writeImport(result, o.out, o.pool);
      out(formatImportReport(result));
      out(`wrote ${o.out} and ${o.pool}\n`);
    });
  imp
    .command("routerbench")
    .description(
      "RouterBench wide CSV: sample_id, prompt, eval_name, <model>, <model>|model_response, <model>|total_cost",
    )
    .requiredOption("--csv <file>", "RouterBench CSV file")
    .requiredOption("--out <records.jsonl>", "records file to write")
    .requiredOption("--pool <pool.json|yaml>", "replay pool file to write")
    .option("--split <name>", "split name stored in each record's meta")
    .action(async (o: { csv: string; out: string; pool: string; split?: string }) => {
      const result = await importRouterBench({ csv: o.csv, ...(o.split !== undefined ? { split: o.split } : {}) });
      writeImport(result, o.out, o.pool);
      out(formatImportReport(result));
      out(`wrote ${o.out} and ${o.pool}\n`);
    });
  records.addCommand(imp);

  records
    .command("summary")
    .description("Per-agent accuracy and mean cost, and each task's best agent")
    .argument("<records.jsonl>", "records file")
    .option(
      "--against <records.jsonl>",
      "also count the queries whose text appears in this file too (e.g. train against test)",
    )
    .action(async (path: string, o: { against?: string }) => {
      const recs = await loadRecords(path);
      if (recs.length === 0) throw new InputError(`${path}: no records to summarise (the file has no record lines)`);
      const other = o.against === undefined ? undefined : await loadRecords(o.against);
      if (other?.length === 0)
        throw new InputError(`--against ${o.against}: no records to compare with (the file has no record lines)`);
      out(formatSummary(summarize(recs)));
      if (o.against !== undefined && other !== undefined) {
        const ov = findOverlap(other, recs);
        out(
          `\noverlap with ${o.against}: ${ov.queries} queries of ${path} have their text (normalised) in it too ` +
            `(${ov.trainIds.length} queries there)\n`,
        );
      }
    });

  records
    .command("split")
    .description("Seeded split by query (all records of a query on one side), stratified by task")
    .argument("<records.jsonl>", "records file to split")
    .requiredOption("--test-share <share>", "share of each task's queries that go to test, in (0, 1)")
    .requiredOption("--train-out <records.jsonl>", "train records file to write")
    .requiredOption("--test-out <records.jsonl>", "test records file to write")
    .option("--seed <s>", "seed of the draw", String(DEFAULT_SEED))
    .action(async (path: string, o: { testShare: string; seed: string; trainOut: string; testOut: string }) => {
      const testShare = parseShare(o.testShare);
      const seed = parseSeed(o.seed);
      const [input, trainOut, testOut] = [path, o.trainOut, o.testOut].map((p) => resolve(p));
      if (trainOut === testOut) throw new InputError(`--test-out: ${o.testOut} is also the --train-out file`);
      if (trainOut === input) throw new InputError(`--train-out: ${o.trainOut} is the input file`);
      if (testOut === input) throw new InputError(`--test-out: ${o.testOut} is the input file`);
      for (const [flag, file] of [
        ["--train-out", o.trainOut],
        ["--test-out", o.testOut],
      ] as const)
        if (isDirectory(file)) throw new InputError(`${file}: is a directory; ${flag} must be a records file to write`);
      const recs = await loadRecords(path);
      if (recs.length === 0) throw new InputError(`${path}: no records to split`);
      const split = splitByQuery(recs, { testShare, seed });
      for (const [file, side] of [
        [o.trainOut, split.train],
        [o.testOut, split.test],
      ] as const) {
        mkdirSync(dirname(resolve(file)), { recursive: true });
        writeFileAtomic(file, side.map(formatRecordLine).join(""));
      }
      const lines = [
        `split ${path} by query (test share ${testShare}, seed ${seed}, stratified by task): ` +
          `${split.trainQueries} train queries (${split.train.length} records), ${split.testQueries} test queries (${split.test.length} records)`,
        ...split.tasks.map((t) => `  ${t.task}: ${t.trainQueries} train, ${t.testQueries} test`),
        `overlap: ${findOverlap(split.train, split.test).queries} test queries have their text (normalised) in train too`,
        `wrote ${o.trainOut} and ${o.testOut}`,
      ];
      out(`${lines.join("\n")}\n`);
    });
  return records;
}
