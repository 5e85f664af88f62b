import { Command } from "commander";
import { importLlmRouter } from "../records/import-llmrouter.js";
import { formatImportReport, writeImport } from "../records/import-result.js";
import { importRouterBench } from "../records/import-routerbench.js";
import { loadRecords } from "../records/io.js";
import { formatSummary, summarize } from "../records/summary.js";

export interface RecordsCommandIO {
  /** Where summaries are printed (default: stdout). */
  out?: (text: string) => void;
}

/**
 * `skillorchestra records …`: import recorded outcomes into execution records plus a replay pool, and summarise a
 * records file. Bad input surfaces as an InputError (one line naming file and field) for main to report.
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
    .description("RouterBench wide CSV: sample_id, prompt, eval_name, <model>, <model>|model_response, <model>|total_cost")
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
    .action(async (path: string) => {
      out(formatSummary(summarize(await loadRecords(path))));
    });
  return records;
}
