/**
 * Routing quality on the shared LLMRouter splits (../shared/data/llmrouter; costs there are ESTIMATED): the eval
 * command's comparison at labelled budgets of 10, 20, 40 and all train queries per task, 3 seeds each (the
 * labelled split, Thompson draws and random are seeded), λ sweep 0, 0.05, 0.1, 0.2, 0.5.
 *
 * Ours is learned (statistical, no LLM) from the labelled budget only; the baselines chosen on train see every
 * train record; bounds and hindsight use the test outcomes.
 *
 * Run: npx tsx bench/routing.ts [--seeds N] [--budgets 10,20,40,all]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { importLlmRouterSplit } from "./llmrouter.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Evaluation, RouterRow } from "../src/eval/evaluate.js";
import { formatStat, formatUsd, renderTable } from "../src/eval/format.js";
import { evaluateLearned, recordsInPool, type LearningSummary } from "../src/eval/learned.js";
import { importPool } from "../src/records/import-result.js";

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const nSeeds = Number(arg("--seeds") ?? 3);
const budgets = (arg("--budgets") ?? "10,20,40,all").split(",").map((b) => (b === "all" ? undefined : Number(b)));
const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
const lambdas = [0, 0.05, 0.1, 0.2, 0.5];
const tmp = mkdtempSync(join(tmpdir(), "bench-routing-"));


const train = importLlmRouterSplit(tmp, "train");
const test = importLlmRouterSplit(tmp, "test");
const pool = importPool(train.result, train.records);
const trainRecords = recordsInPool(train.result.records, pool, train.records, train.pool);
const testRecords = recordsInPool(test.result.records, pool, test.records, train.pool);

console.log(`# Routing on the LLMRouter splits (replay; every USD figure ESTIMATED)\n`);
console.log(`date ${new Date().toISOString()}; node ${process.version}; command: npx tsx bench/routing.ts${args.length ? " " + args.join(" ") : ""}`);
console.log(
  `data: ../shared/data/llmrouter dcrouter_preprocessed__{train,test}.json + example_data__query_data__default_query_{train,test}.jsonl + example_data__llm_candidates__default_llm.json`,
);
console.log(`train ${trainRecords.length} records, test ${testRecords.length} records; seeds ${seeds.join(", ")}; λ ${lambdas.join(", ")}; kNN k = 20\n`);

const num = (x: number) => x.toFixed(3);
type Line = { budget: string; row: RouterRow };
const lines: Line[] = [];
const aucs: string[][] = [["budget", "router", "frontier AUC", "AUC range (USD/query)", "learning wall (s, per seed)", "skills (per seed)"]];
let baselines: Evaluation | undefined;

for (const labelled of budgets) {
  const budget = labelled === undefined ? "all" : String(labelled);
  const t0 = performance.now();
  const { evaluation, learning } = await evaluateLearned({
    train: trainRecords,
    test: testRecords,
    records: train.records,
    pool: train.pool,
    ...(labelled !== undefined ? { labelled } : {}),
    lambdas,
    seeds,
    k: 20,
  });
  const wall = (performance.now() - t0) / 1000;
  baselines ??= evaluation;
  for (const row of evaluation.rows) if (row.kind === "ours" || row.family === "reference-cascade") lines.push({ budget, row });
  const learnWall = (l: LearningSummary) => l.handbooks.map((h) => (h.wallMs / 1000).toFixed(1)).join(", ");
  const skills = (l: LearningSummary) => l.handbooks.map((h) => `${h.skills} (${h.chosen})`).join(", ");
  for (const f of evaluation.frontiers) if (f.kind === "ours") aucs.push([budget, f.label, num(f.auc), `[0, ${formatUsd(evaluation.aucRange.hi)}]`, learnWall(learning), skills(learning)]);
  if (labelled === undefined) for (const f of evaluation.frontiers) if (f.kind !== "ours") aucs.push(["all (train)", f.label, num(f.auc), `[0, ${formatUsd(evaluation.aucRange.hi)}]`, "-", "-"]);
  console.error(`budget ${budget}: learned ${seeds.length} handbooks and evaluated in ${wall.toFixed(1)} s`);
}

const header = ["labelled per task", "router", "accuracy", "mean USD/query (estimated)", "gap recovered", "top-agent share", "entropy"];
const cells = (budget: string, r: RouterRow) => [
  budget,
  r.label,
  formatStat(r.accuracy, num),
  formatStat(r.meanCostUsd, formatUsd),
  r.gapRecovered ? formatStat(r.gapRecovered, num) : "-",
  formatStat(r.topShare, num),
  formatStat(r.entropy, num),
];
const table: string[][] = [header];
for (const { budget, row } of lines) table.push(cells(budget, row));
for (const r of baselines!.rows) if (r.kind !== "ours" && r.family !== "reference-cascade") table.push(cells(r.kind === "baseline" ? "all (train)" : "test", r));
const right = [false, false, true, true, true, true, true];
console.log(`## Routers (mean ± std over ${seeds.length} seeds where seeded)\n`);
console.log(renderTable(table, "markdown", right));
console.log(
  `best single (chosen on train) ${baselines!.bestSingle.agent} ${num(baselines!.bestSingle.accuracy)}; per-query oracle ${num(baselines!.oracle)}; ` +
    `gap recovered = (accuracy − best single) / (oracle − best single).\n`,
);
console.log(`## Accuracy–cost frontier AUC over λ (mean best accuracy attainable within a budget, budgets uniform on the range)\n`);
console.log(renderTable(aucs, "markdown", [false, false, true, false, false, false]));

// Share of the accuracy reached with every record, for ours (posterior mean) at λ = 0.
const at = (budget: string) => lines.find((l) => l.budget === budget && l.row.id === "skillorchestra-mean@λ=0")?.row.accuracy.mean;
const all = at("all");
if (all !== undefined) {
  const rows = [["labelled per task", "ours (mean, λ=0) accuracy", "% of all"]];
  for (const b of budgets.map((x) => (x === undefined ? "all" : String(x)))) rows.push([b, num(at(b)!), ((100 * at(b)!) / all).toFixed(1)]);
  console.log(`## Labelled budget against all records\n`);
  console.log(renderTable(rows, "markdown", [false, true, true]));
}

rmSync(tmp, { recursive: true, force: true });
