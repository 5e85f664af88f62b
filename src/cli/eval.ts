import { Command, Option } from "commander";
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import type { RouterComparison } from "../eval/evaluate.js";
import type { LearnedHandbook, LearningSummary } from "../eval/learned.js";
import { writeFileAtomic } from "../core/atomic.js";
import { autoProgress, silentProgress, type ProgressFactory } from "../learning/progress.js";
import { MODES, type Mode } from "../core/modes.js";
import { DEFAULT_SEED } from "../core/random.js";
import { loadPool } from "../pool/load.js";
import { loadRecords } from "../records/io.js";
import type { ExecutionRecord } from "../records/schema.js";
import { dedupeTrain, formatEvalOverlap, type EvalOverlap } from "../records/dedupe.js";

/**
 * `skillorchestra eval`: learn a handbook from the train records at a labelled budget (statistical learner, once
 * per seed), route the test queries by replay, and report every router side by side on the same queries and cost
 * model: ours at each λ with each competence estimator, the reference cascade on the same handbook, and the
 * baselines and bounds. Prints the text tables; optionally writes the evaluation as JSON and the HTML report.
 */

export interface EvalFlags {
  train: string;
  test: string;
  pool: string;
  labelled?: string;
  lambdas: string;
  budgets?: string;
  seeds: string;
  seed: string;
  k: string;
  mode?: Mode;
  work?: string;
  json?: string;
  html?: string;
  dedupe?: boolean;
  progress: boolean;
}

export interface EvalRequest {
  train: string;
  test: string;
  pool: string;
  labelled?: number;
  lambdas: number[];
  /** Mean USD per query budgets ours is also served at (candidate and λ solved on validation). */
  budgets?: number[];
  seeds: number[];
  k: number;
  mode?: Mode;
  work?: string;
  json?: string;
  html?: string;
  /** Drop from train the queries whose text is also a test query's, before learning and the baselines. */
  dedupe?: boolean;
}

export const DEFAULT_LAMBDAS = "0,0.05,0.1,0.2,0.5";

function parseNumber(flag: string, value: string, opts: { integer?: boolean; min?: number } = {}): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InputError(`${flag}: must be a number, got "${value}"`);
  if (opts.integer && !Number.isInteger(n)) throw new InputError(`${flag}: must be a whole number, got "${value}"`);
  if (opts.min !== undefined && n < opts.min) throw new InputError(`${flag}: must be >= ${opts.min}, got "${value}"`);
  return n;
}

/** Flags → a checked request (one-line InputError naming the flag on bad input). */
export function evalRequest(f: EvalFlags): EvalRequest {
  const labelled =
    f.labelled === undefined || f.labelled === "all"
      ? undefined
      : parseNumber("--labelled", f.labelled, { integer: true, min: 1 });
  const lambdas = f.lambdas.split(",").map((x) => parseNumber("--lambdas", x.trim(), { min: 0 }));
  const budgets =
    f.budgets === undefined
      ? undefined
      : f.budgets.split(",").map((x) => parseNumber("--budgets", x.trim(), { min: 0 }));
  const count = parseNumber("--seeds", f.seeds, { integer: true, min: 1 });
  const first = parseNumber("--seed", f.seed, { integer: true });
  const k = parseNumber("--k", f.k, { integer: true, min: 1 });
  return {
    train: f.train,
    test: f.test,
    pool: f.pool,
    ...(labelled !== undefined ? { labelled } : {}),
    lambdas,
    ...(budgets !== undefined ? { budgets } : {}),
    seeds: Array.from({ length: count }, (_, i) => first + i),
    k,
    ...(f.mode !== undefined ? { mode: f.mode } : {}),
    ...(f.work !== undefined ? { work: f.work } : {}),
    ...(f.json !== undefined ? { json: f.json } : {}),
    ...(f.html !== undefined ? { html: f.html } : {}),
    ...(f.dedupe ? { dedupe: true } : {}),
  };
}

/** What `--json` writes: the RouterComparison, plus what learning produced. */
export type EvalReport = RouterComparison & {
  kind: "skillorchestra.eval";
  learning: LearningSummary;
  overlap: EvalOverlap;
};

export interface EvalOutcome {
  report: EvalReport;
  handbooks: LearnedHandbook[];
  /** The printed text. */
  text: string;
}

function budgetText(labelled: number | undefined): string {
  return labelled === undefined ? "every train query" : `${labelled} labelled queries per task`;
}

function kindOf(path: string): "missing" | "directory" | "file" {
  try {
    return statSync(path).isDirectory() ? "directory" : "file";
  } catch {
    return "missing";
  }
}

/**
 * Refuse records that cannot be evaluated, before anything is learned, with one line naming the file and field: an
 * empty train or test file, records of several modes for one query and agent without --mode (replay needs one
 * outcome per query and agent: evaluate one mode at a time), a --mode with no records, or a repeated record.
 */
export function checkEvalRecords(
  req: Pick<EvalRequest, "train" | "test" | "mode">,
  train: readonly ExecutionRecord[],
  test: readonly ExecutionRecord[],
): void {
  if (test.length === 0)
    throw new InputError(`${req.test}: no records to evaluate on (the --test file has no record lines)`);
  if (train.length === 0)
    throw new InputError(`${req.train}: no records to learn from (the --train file has no record lines)`);
  for (const [flag, path, records] of [
    ["--test", req.test, test],
    ["--train", req.train, train],
  ] as const) {
    const modes = [...new Set(records.filter((r) => r.step === undefined).map((r) => r.mode))].sort();
    if (req.mode !== undefined && !modes.includes(req.mode))
      throw new InputError(
        `${path}: $.mode: no single-call records in mode ${req.mode} (the ${flag} file has ${modes.length ? modes.join(", ") : "none"})`,
      );
    const seen = new Map<string, { mode: Mode; line: number }>();
    records.forEach((r, i) => {
      if (r.step !== undefined || (req.mode !== undefined && r.mode !== req.mode)) return;
      const key = JSON.stringify([r.queryId, r.agent]);
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { mode: r.mode, line: i + 1 });
        return;
      }
      if (first.mode !== r.mode)
        throw new InputError(
          `${path}: record ${i + 1}: $.mode: query ${r.queryId} has records of agent ${r.agent} in several modes (${first.mode} at record ${first.line}, ${r.mode} here); ` +
            `evaluate one mode at a time with --mode ${modes.join("|")}`,
        );
      throw new InputError(
        `${path}: record ${i + 1}: second record of agent ${r.agent} on query ${r.queryId} in mode ${r.mode} (first at record ${first.line})`,
      );
    });
  }
}

/** Run an evaluation request: load, learn, evaluate, write the optional outputs. */
export async function runEval(
  req: EvalRequest,
  log: (line: string) => void = () => {},
  progress: ProgressFactory = silentProgress,
): Promise<EvalOutcome> {
  for (const [flag, path] of [
    ["--json", req.json],
    ["--html", req.html],
  ] as const)
    if (path !== undefined && kindOf(path) === "directory")
      throw new InputError(`${path}: is a directory; ${flag} must be a file to write`);
  if (req.work !== undefined && kindOf(req.work) === "file")
    throw new InputError(`${req.work}: is a file; --work must be a directory`);
  const pool = loadPool(req.pool);
  const trainRecords = await loadRecords(req.train);
  const testRecords = await loadRecords(req.test);
  checkEvalRecords(req, trainRecords, testRecords);
  // Learning and evaluation load once the input is checked: bad input fails without them.
  const [{ evaluateLearned, recordsInPool }, { formatEvaluation }, { renderReport }] = await Promise.all([
    import("../eval/learned.js"),
    import("../eval/format.js"),
    import("../eval/report-html.js"),
  ]);
  let train = recordsInPool(trainRecords, pool, req.train, req.pool);
  const test = recordsInPool(testRecords, pool, req.test, req.pool);
  // --dedupe: learning reads the train records from a file, so the kept ones are written to one (see dedupeTrain).
  const deduped = dedupeTrain(trainRecords, testRecords, {
    dedupe: req.dedupe ?? false,
    trainPath: req.train,
    ...(req.work !== undefined ? { dir: req.work } : {}),
  });
  if (req.dedupe) train = recordsInPool(deduped.records, pool, req.train, req.pool);
  log(
    `eval: ${train.length} train and ${test.length} test records; learning at ${budgetText(req.labelled)}, seeds ${req.seeds.join(", ")}`,
  );
  const { evaluation, learning, handbooks } = await evaluateLearned({
    train,
    test,
    records: deduped.path,
    pool: req.pool,
    ...(req.labelled !== undefined ? { labelled: req.labelled } : {}),
    ...(req.mode !== undefined ? { mode: req.mode } : {}),
    ...(req.work !== undefined ? { workDir: req.work } : {}),
    lambdas: req.lambdas,
    ...(req.budgets !== undefined ? { budgets: req.budgets } : {}),
    seeds: req.seeds,
    k: req.k,
    trainSource: req.train,
    testSource: req.test,
    progress,
    onLearned: (l) =>
      log(
        `learned seed ${l.seed}: ${l.skills} skills (${l.chosen}) from ${l.trainQueries} training + ${l.validationQueries} validation queries in ${(l.wallMs / 1000).toFixed(2)} s`,
      ),
  }).finally(() => deduped.dispose());
  const report: EvalReport = { kind: "skillorchestra.eval", ...evaluation, learning, overlap: deduped.report };
  const lines = [
    `Learned (statistical, no LLM) at ${budgetText(req.labelled)}, one selection of candidate handbooks per seed; ` +
      `baselines chosen on train see every train record.`,
    ...learning.handbooks.flatMap((l) => [
      `  seed ${l.seed}: ${l.candidates.length} candidates, ${l.trainQueries} training + ${l.validationQueries} validation queries, ${(l.wallMs / 1000).toFixed(2)} s; ` +
        `the candidate serving each λ (chosen on validation):`,
      `    ${l.byLambda.map((b) => `λ=${b.lambda}: ${b.candidate} (${b.skills} skills)`).join("; ")}`,
    ]),
    "",
  ];
  const text = `${lines.join("\n")}\n${formatEvalOverlap(deduped.report)}\n\n${formatEvaluation(evaluation)}`;
  if (req.json) {
    mkdirSync(dirname(resolve(req.json)), { recursive: true });
    writeFileAtomic(req.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (req.html) {
    mkdirSync(dirname(resolve(req.html)), { recursive: true });
    const first = handbooks[0];
    writeFileAtomic(
      req.html,
      renderReport({
        title: "skillorchestra evaluation",
        subtitle:
          `train ${req.train}, test ${req.test}; learned at ${budgetText(req.labelled)}` +
          (first ? `; handbook panel: the handbook of seed ${first.seed}` : ""),
        ...(first ? { handbook: first.handbook } : {}),
        evaluation,
      }),
    );
  }
  return { report, handbooks, text };
}

export function evalCommand(): Command {
  return new Command("eval")
    .description(
      "Learn from train records and compare every router on the test records by replay (same queries, same cost model)",
    )
    .requiredOption("--train <records.jsonl>", "train execution records (learning and the baselines chosen on train)")
    .requiredOption("--test <records.jsonl>", "test execution records (routed by replay)")
    .requiredOption("--pool <file>", "pool file (JSON or YAML) naming the agents")
    .option("--labelled <n|all>", "labelled queries per task for learning (default all)")
    .option("--lambdas <list>", "λ sweep, comma-separated", DEFAULT_LAMBDAS)
    .option(
      "--budgets <list>",
      "also serve ours at these mean USD per query budgets (comma-separated), as learn/run --budget do",
    )
    .option("--seeds <n>", "number of seeds (labelled split, Thompson and random draws)", "3")
    .option("--seed <s>", "first seed", String(DEFAULT_SEED))
    .option("--k <n>", "neighbours of the kNN baseline", "20")
    .addOption(new Option("--mode <mode>", "only records of this mode").choices([...MODES]))
    .option("--work <dir>", "keep the learned handbooks here (default: a temporary directory, removed)")
    .option("--json <file>", "write the evaluation as JSON")
    .option("--html <file>", "write the self-contained HTML report")
    .option(
      "--dedupe",
      "drop from train the queries whose text (normalised) is also a test query's, before learning and the baselines",
    )
    .option("--no-progress", "no progress bars or lines on stderr")
    .action(async (f: EvalFlags) => {
      const req = evalRequest(f);
      const out = await runEval(
        req,
        f.progress ? (line) => void process.stderr.write(`${line}\n`) : undefined,
        f.progress ? autoProgress(process.stderr, { prefix: "eval" }) : silentProgress,
      );
      process.stdout.write(out.text);
      if (req.json) process.stdout.write(`wrote ${req.json}\n`);
      if (req.html) process.stdout.write(`wrote ${req.html}\n`);
    });
}
