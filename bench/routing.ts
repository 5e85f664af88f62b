import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { evaluate, mostAccurateWithin, type RouterComparison, type RouterRow } from "../src/eval/evaluate.js";
import { formatStat, formatUsd, renderTable } from "../src/eval/format.js";
import { frontierAuc } from "../src/core/frontier.js";
import { learnedRouters, modesOfQueries, type LearnedHandbook } from "../src/eval/learned.js";
import { LearningLog } from "../src/learning/log.js";
import { LEARNING_DEFAULTS, runSplit, type LearningSettings } from "../src/learning/pipeline.js";
import { silentProgress } from "../src/learning/progress.js";
import type { ExecutionRecord } from "../src/records/schema.js";
import { llmRouter, routerBench, type Dataset } from "./datasets.js";

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const nSeeds = Number(arg("--seeds") ?? 5);
const budgets = (arg("--budgets") ?? "10,20,40,all").split(",").map((b) => (b === "all" ? undefined : Number(b)));
const datasets = (arg("--data") ?? "llmrouter,routerbench").split(",") as ("llmrouter" | "routerbench")[];
const lambdas = (arg("--lambdas") ?? "0,0.01,0.02,0.03,0.05,0.07,0.1,0.15,0.2,0.3,0.5,1").split(",").map(Number);
const testShare = Number(arg("--test-share") ?? 0.3);
const completeTest = args.includes("--complete-test");
const baselinesOnly = args.includes("--baselines-only");
const jsonOut = resolve(arg("--json") ?? join(tmpdir(), "skillorchestra-bench-routing.json"));
const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
const budgetName = (b: number | undefined) => (b === undefined ? "all" : String(b));
const log = (msg: string) => console.error(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${msg}`);
const T0 = performance.now();

// ---- One data set at one labelled budget ---------------------------------------------------------------------

interface BudgetRun {
  budget: string;
  evaluation: RouterComparison;
  handbooks: Omit<LearnedHandbook, "handbook">[];
  wallS: number;
}

async function runBudget(data: Dataset, labelled: number | undefined, work: string): Promise<BudgetRun> {
  const t0 = performance.now();
  const modes = modesOfQueries(data.test);
  const workDir = join(work, data.name, budgetName(labelled));
  const learned = learnedRouters({
    records: data.recordsFile,
    pool: data.poolFile,
    budgets: servedBudgets(data.train),
    ...(labelled !== undefined ? { labelled } : {}),
    modeOf: (id) => modes.get(id),
    workDir,
    onLearned: (l) =>
      log(
        `${data.name} ${budgetName(labelled)}: seed ${l.seed} learned in ${(l.wallMs / 1000).toFixed(1)} s (${l.skills} skills, ${l.chosen})`,
      ),
  });
  // The labelled queries of a seed: those the handbook of that seed was learned from (train + validation).
  const labelledIds = async (seed: number): Promise<ReadonlySet<string>> => {
    if (baselinesOnly) {
      const settings: LearningSettings = {
        ...LEARNING_DEFAULTS,
        records: data.recordsFile,
        pool: data.poolFile,
        ...(labelled !== undefined ? { labelled } : {}),
        seed,
      };
      const dir = join(workDir, `seed-${seed}`);
      mkdirSync(dir, { recursive: true });
      await runSplit(
        settings,
        { log: new LearningLog(join(dir, "learning.log.jsonl"), `bench-seed-${seed}`), progress: silentProgress },
        join(dir, "split.json"),
      );
      const split = JSON.parse(readFileSync(join(dir, "split.json"), "utf8")) as {
        train: string[];
        validationIds: string[];
      };
      return new Set([...split.train, ...split.validationIds]);
    }
    return (await learned.handbook(seed)).labelledIds;
  };
  const evaluation = await evaluate({
    train: data.train,
    test: data.test,
    lambdas,
    seeds,
    ks: [20, 50],
    routers: baselinesOnly ? [] : learned.specs,
    labelledIds,
    trainSource: `${data.name} train`,
    testSource: `${data.name} test`,
  });
  const handbooks = learned.learned().map(({ handbook: _h, ...rest }) => rest);
  learned.dispose();
  return { budget: budgetName(labelled), evaluation, handbooks, wallS: (performance.now() - t0) / 1000 };
}

// ---- Report --------------------------------------------------------------------------------------------------

const num = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Shares of the most expensive agent's mean train cost that ours is also served at, as `learn --budget` would. */
const BUDGET_SHARES = [0.1, 0.2, 0.35, 0.5, 0.65, 0.8] as const;

function servedBudgets(train: readonly ExecutionRecord[]): number[] {
  const sums = new Map<string, { c: number; n: number }>();
  for (const r of train) {
    const t = sums.get(r.agent) ?? { c: 0, n: 0 };
    t.c += r.costUsd;
    t.n++;
    sums.set(r.agent, t);
  }
  const top = Math.max(...[...sums.values()].map((t) => t.c / t.n));
  return BUDGET_SHARES.map((f) => Number((f * top).toPrecision(3)));
}

/** Ours served by budget: one row per budget family (not swept). */
function budgetRows(ev: RouterComparison): RouterRow[] {
  return ev.rows.filter((r) => r.family.startsWith("skillorchestra-budget-"));
}

function mostExpensive(ev: RouterComparison): [string, number] {
  return Object.entries(ev.agentCosts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
}

/** Rows shown: every router at each λ; bounds once. */
function routerTable(ev: RouterComparison, budget: string): string {
  const [topAgent, topCost] = mostExpensive(ev);
  const bestCost = ev.agentCosts[ev.bestSingle.agent]!;
  const header = [
    "labelled per task",
    "router",
    "accuracy",
    "USD/query",
    `% of ${topAgent}'s cost`,
    `% of best single's cost`,
    "gap recovered",
    "top-agent share",
  ];
  const rows: string[][] = [header];
  for (const r of ev.rows)
    rows.push([
      r.kind === "bound" || r.kind === "hindsight" ? "test" : budget,
      r.label,
      formatStat(r.accuracy, num),
      formatStat(r.meanCostUsd, formatUsd),
      pct(r.meanCostUsd.mean / topCost),
      pct(r.meanCostUsd.mean / bestCost),
      r.gapRecovered ? formatStat(r.gapRecovered, num) : "-",
      formatStat(r.topShare, num),
    ]);
  return renderTable(rows, "markdown", [false, false, true, true, true, true, true, true]);
}

function duplicateTexts(train: readonly ExecutionRecord[], test: readonly ExecutionRecord[]): number {
  const seen = new Set(train.map((r) => r.query));
  return new Set(test.filter((r) => seen.has(r.query)).map((r) => r.queryId)).size;
}

const work = mkdtempSync(join(tmpdir(), "bench-routing-"));
const report: Record<string, unknown> = {
  command: `npx tsx bench/routing.ts${args.length ? ` ${args.join(" ")}` : ""}`,
  date: new Date().toISOString(),
  node: process.version,
  seeds,
  lambdas,
  datasets: {},
};
const out: string[] = [];
const print = (s = "") => {
  out.push(s);
  console.log(s);
};

print(`# Routing on recorded outcomes (replay)\n`);
print(`date ${report.date as string}; node ${process.version}; command: ${report.command as string}`);
print(
  `seeds ${seeds.join(", ")}; λ ${lambdas.join(", ")}; kNN k = 20 and 50; every deployable baseline trained at each seed on the labelled queries the learned handbook of that seed saw\n`,
);

try {
  for (const name of datasets) {
    const data = name === "llmrouter" ? await llmRouter() : await routerBench(testShare);
    const trainQ = new Set(data.train.map((r) => r.queryId)).size;
    const testQ = new Set(data.test.map((r) => r.queryId)).size;
    log(
      `${name}: ${trainQ} train queries (${data.train.length} records), ${testQ} test queries (${data.test.length} records)`,
    );
    print(`## ${data.title}\n`);
    if (completeTest) {
      const agents = new Set(data.train.map((r) => r.agent)).size;
      const per = new Map<string, number>();
      for (const r of data.test) per.set(r.queryId, (per.get(r.queryId) ?? 0) + 1);
      const before = per.size;
      data.test = data.test.filter((r) => per.get(r.queryId) === agents);
      print(
        `--complete-test: kept ${new Set(data.test.map((r) => r.queryId)).size} of ${before} test queries (those with a record of all ${agents} agents)\n`,
      );
    }
    print(`data: ${data.describe}`);
    print(
      `train ${trainQ} queries (${data.train.length} records); test ${testQ} queries (${data.test.length} records); test queries whose text is also in train: ${duplicateTexts(data.train, data.test)}\n`,
    );
    const runs: BudgetRun[] = [];
    for (const labelled of budgets) {
      const run = await runBudget(data, labelled, work);
      runs.push(run);
      log(`${name} ${run.budget}: evaluated in ${run.wallS.toFixed(1)} s`);
    }
    const ev0 = runs[0]!.evaluation;
    const [topAgent, topCost] = mostExpensive(ev0);
    const bestCost = ev0.agentCosts[ev0.bestSingle.agent]!;
    print(
      `best single on all train: ${ev0.bestSingle.agent} ${num(ev0.bestSingle.accuracy)} at ${formatUsd(bestCost)}/query; most expensive: ${topAgent} at ${formatUsd(topCost)}/query; per-query oracle ${num(ev0.oracle)}. ` +
        `Gap recovered = (accuracy − best single) / (oracle − best single).\n`,
    );

    // Frontier AUC per family and budget, over one range for every budget: [0, the most expensive agent's mean
    // test cost] (each evaluation's own aucRange, the largest mean cost of its rows, can differ between budgets).
    const families = [...new Set(runs.flatMap((r) => r.evaluation.frontiers.map((f) => f.family)))];
    const range = { lo: 0, hi: topCost };
    const aucRows: string[][] = [["router", ...runs.map((r) => `AUC at ${r.budget}`)]];
    for (const fam of families) {
      const label = runs.flatMap((r) => r.evaluation.frontiers).find((f) => f.family === fam)!.label;
      aucRows.push([
        label,
        ...runs.map((r) => {
          const f = r.evaluation.frontiers.find((x) => x.family === fam);
          return f ? num(frontierAuc(f.points, range)) : "-";
        }),
      ]);
    }
    aucRows.push([
      "ours served by budget (learn --budget; frontier of the budget points)",
      ...runs.map((r) => {
        const pts = budgetRows(r.evaluation).map((x) => ({ cost: x.meanCostUsd.mean, accuracy: x.accuracy.mean }));
        return pts.length ? num(frontierAuc(pts, range)) : "-";
      }),
    ]);
    print(
      `### Accuracy–cost frontier AUC over λ (mean best accuracy attainable within a budget, budgets uniform on [0, ${formatUsd(topCost)}] USD/query, ${topAgent}'s mean cost)\n`,
    );
    print(renderTable(aucRows, "markdown", [false, ...runs.map(() => true)]));
    print();

    // Best point within the issue's budgets.
    const caps: [string, number][] =
      name === "routerbench"
        ? [[`35% of ${topAgent}'s cost`, 0.35 * topCost]]
        : [[`65% of the best single's cost`, 0.65 * bestCost]];
    for (const [capName, cap] of caps) {
      const rows: string[][] = [["router", ...runs.map((r) => `${r.budget}: best accuracy ≤ ${capName} (λ)`)]];
      const within = runs.map((r) => mostAccurateWithin(r.evaluation, cap));
      for (const fam of families) {
        const label = runs.flatMap((r) => r.evaluation.frontiers).find((f) => f.family === fam)!.label;
        rows.push([
          label,
          ...within.map((w) => {
            const r = w.get(fam);
            return r
              ? `${formatStat(r.accuracy, num)} (λ=${r.lambda}, ${pct(r.meanCostUsd.mean / topCost)} of ${topAgent})`
              : "-";
          }),
        ]);
      }
      rows.push([
        "ours served by budget (most accurate budget point within the cap)",
        ...runs.map((r) => {
          const ok = budgetRows(r.evaluation).filter((x) => x.meanCostUsd.mean <= cap);
          const b = ok.sort((x, y) => y.accuracy.mean - x.accuracy.mean)[0];
          return b
            ? `${formatStat(b.accuracy, num)} (${b.label.replace(/^ours \(|\)$/g, "")}, ${pct(b.meanCostUsd.mean / topCost)} of ${topAgent})`
            : "-";
        }),
      ]);
      print(`### Most accurate λ point within ${capName} (${formatUsd(cap)}/query)\n`);
      print(renderTable(rows, "markdown", [false, ...runs.map(() => false)]));
      print();
    }

    // Ours served by budget: what a user who gives learn/run a budget gets on test.
    const byBudget: string[][] = [
      [
        "budget (share of the most expensive agent's train cost)",
        ...runs.map((r) => `${r.budget}: accuracy @ % of ${topAgent}'s cost`),
      ],
    ];
    BUDGET_SHARES.forEach((share, i) => {
      byBudget.push([
        `${pct(share)}`,
        ...runs.map((r) => {
          const x = budgetRows(r.evaluation)[i];
          return x ? `${formatStat(x.accuracy, num)} @ ${pct(x.meanCostUsd.mean / topCost)}` : "-";
        }),
      ]);
    });
    print(`### Ours served by budget (candidate and λ solved on validation for the budget, then routed on test)\n`);
    print(renderTable(byBudget, "markdown", [false, ...runs.map(() => false)]));
    print();

    for (const r of runs) {
      print(`### ${r.budget} labelled per task (mean ± std over ${seeds.length} seeds where seeded)\n`);
      print(routerTable(r.evaluation, r.budget));
      print();
      print(
        `learned handbooks: ${r.handbooks.map((h) => `seed ${h.seed}: ${h.skills} skills (${h.chosen}), ${h.trainQueries}+${h.validationQueries} queries, ${(h.wallMs / 1000).toFixed(1)} s`).join("; ")}; ` +
          `baselines' labelled queries per seed: ${Object.values(r.evaluation.labelledQueries ?? {}).join(", ")}; wall ${r.wallS.toFixed(1)} s\n`,
      );
    }
    (report.datasets as Record<string, unknown>)[name] = {
      title: data.title,
      data: data.describe,
      trainQueries: trainQ,
      testQueries: testQ,
      duplicateTestTexts: duplicateTexts(data.train, data.test),
      costEstimated: data.costEstimated,
      mostExpensive: { agent: topAgent, meanCostUsd: topCost },
      budgets: runs.map((r) => ({
        labelled: r.budget,
        wallS: r.wallS,
        handbooks: r.handbooks,
        evaluation: r.evaluation,
      })),
    };
  }
  writeFileSync(jsonOut, JSON.stringify(report, null, 1));
  log(`wrote ${jsonOut}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
