/**
 * Multi-step orchestration on recorded real behaviour: ours consulting (ask the plan's first agent, read its
 * answer, accept or consult another, escalate; every call paid at its recorded cost) against ours single-step, kNN,
 * the per-cluster router, a FrugalGPT-style cascade and the best single agent, on RouterBench.
 *
 * Data: ../shared/data/routerbench (real responses and real costs), read in place; per task 30% of the queries
 * carved as the test split by a fixed hash seed (bench/datasets.ts); learning and every baseline see only the rest.
 * Labels: 40 per task and all, over five seeds (the labelled queries of a seed are the handbook's; every baseline
 * is trained on the same ones).
 *
 * Run: npx tsx bench/consult.ts [--seeds 5] [--budgets 40,all] [--json out.json]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { evaluate, mostAccurateWithin, type RouterComparison } from "../src/eval/evaluate.js";
import { formatStat, formatUsd, renderTable } from "../src/eval/format.js";
import { learnedRouters, modesOfQueries } from "../src/eval/learned.js";
import type { ExecutionRecord } from "../src/records/schema.js";
import { answerKey, answerKind } from "../tools/answer/key.js";
import { routerBench } from "./datasets.js";

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const nSeeds = Number(arg("--seeds") ?? 5);
const budgets = (arg("--budgets") ?? "40,all").split(",").map((b) => (b === "all" ? undefined : Number(b)));
const jsonOut = resolve(arg("--json") ?? join(tmpdir(), "skillorchestra-bench-consult.json"));
const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
const lambdas = [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 1];
const T0 = performance.now();
const log = (msg: string) => console.error(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${msg}`);
const num = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const STRONG = "gpt-4-1106-preview";

const data = await routerBench(0.3);
const modes = modesOfQueries(data.test);
const work = mkdtempSync(join(tmpdir(), "bench-consult-"));
const runs: { budget: string; evaluation: RouterComparison; wallS: number }[] = [];
try {
  for (const labelled of budgets) {
    const t0 = performance.now();
    const name = labelled === undefined ? "all" : String(labelled);
    const learned = learnedRouters({
      records: data.recordsFile,
      pool: data.poolFile,
      ...(labelled !== undefined ? { labelled } : {}),
      modeOf: (id) => modes.get(id),
      workDir: join(work, name),
      estimators: ["mean"],
      cascade: false,
      consult: true,
      onLearned: (l) =>
        log(`${name}: seed ${l.seed} learned in ${(l.wallMs / 1000).toFixed(1)} s (${l.skills} skills, ${l.chosen})`),
    });
    const evaluation = await evaluate({
      train: data.train,
      test: data.test,
      lambdas,
      seeds,
      ks: [20],
      baselines: ["best-single", "knn", "per-cluster-task", "cascade-frugal"],
      routers: learned.specs,
      labelledIds: async (seed) => (await learned.handbook(seed)).labelledIds,
      trainSource: "routerbench train",
      testSource: "routerbench test",
    });
    learned.dispose();
    runs.push({ budget: name, evaluation, wallS: (performance.now() - t0) / 1000 });
    log(`${name}: evaluated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const out: string[] = [];
const print = (s = "") => {
  out.push(s);
  console.log(s);
};
const ev0 = runs[0]!.evaluation;
const strongAcc = ev0.agentAccuracy[STRONG]!;
const strongCost = ev0.agentCosts[STRONG]!;
print(`# Multi-step orchestration on RouterBench (replay of recorded responses, every call paid)\n`);
print(
  `date ${new Date().toISOString()}; command: npx tsx bench/consult.ts${args.length ? ` ${args.join(" ")}` : ""}; seeds ${seeds.join(", ")}; λ ${lambdas.join(", ")}`,
);
print(`data: ${data.describe}; ${ev0.queries} test queries, ${ev0.trainQueries} train queries`);
print(`${STRONG} on test: accuracy ${num(strongAcc)} at ${formatUsd(strongCost)}/query\n`);

for (const share of [0.4, 0.45]) {
  const rows: string[][] = [
    ["router", ...runs.map((r) => `${r.budget} per task: best accuracy ≤ ${pct(share)} of ${STRONG}'s cost`)],
  ];
  const within = runs.map((r) => mostAccurateWithin(r.evaluation, share * strongCost, (f) => f.label));
  const labels = [...new Set(runs.flatMap((r) => r.evaluation.frontiers.map((f) => f.label)))];
  for (const label of labels)
    rows.push([
      label,
      ...within.map((w) => {
        const r = w.get(label);
        return r
          ? `${formatStat(r.accuracy, num)} (λ=${r.lambda}, ${pct(r.meanCostUsd.mean / strongCost)}, ${r.callsPerQuery ? r.callsPerQuery.mean.toFixed(2) : "1.00"} calls/q)`
          : "-";
      }),
    ]);
  print(`## Most accurate point within ${pct(share)} of ${STRONG}'s cost (${formatUsd(share * strongCost)}/query)\n`);
  print(renderTable(rows, "markdown", [false, ...runs.map(() => false)]));
  print();
}
for (const r of runs) {
  const ours = r.evaluation.rows.filter((x) => x.family === "skillorchestra-consult");
  const rows: string[][] = [
    ["λ", "accuracy", "USD/query", `% of ${STRONG}`, "calls/query", "accepted after 1/2/3 calls"],
  ];
  for (const x of ours)
    rows.push([
      String(x.lambda),
      formatStat(x.accuracy, num),
      formatStat(x.meanCostUsd, formatUsd),
      pct(x.meanCostUsd.mean / strongCost),
      x.callsPerQuery ? formatStat(x.callsPerQuery, (v) => v.toFixed(2)) : "1",
      (x.acceptedAtStep ?? []).map((s) => pct(s.mean)).join(" / "),
    ]);
  print(
    `## Ours multi-step at ${r.budget} labelled per task, per λ (mean ± std over ${seeds.length} seeds; wall ${r.wallS.toFixed(0)} s)\n`,
  );
  print(renderTable(rows, "markdown", [true, true, true, true, true, false]));
  print();
}
/**
 * The ceiling of the fixed shape on the test split, in hindsight (not a router): per task, every single agent and
 * every (first, second, escalation) triple with the rule "accept when the first two agree, else the escalation's
 * answer", scored on the test queries themselves; then the most accurate per-task combination within each cap
 * (a Lagrangian sweep over per-task frontiers).
 */
function hindsightCeiling(test: readonly ExecutionRecord[], caps: number[]): number[] {
  const byQuery = new Map<
    string,
    {
      task: string;
      kind: ReturnType<typeof answerKind>;
      o: Map<string, { score: number; cost: number; key: string | null }>;
    }
  >();
  for (const r of test) {
    let q = byQuery.get(r.queryId);
    if (!q) byQuery.set(r.queryId, (q = { task: r.task, kind: answerKind(r.query), o: new Map() }));
    q.o.set(r.agent, { score: r.score, cost: r.costUsd, key: answerKey(r.response, q.kind) });
  }
  const agents = [...new Set(test.map((r) => r.agent))].sort();
  const full = [...byQuery.values()].filter((q) => q.o.size === agents.length);
  const tasks = [...new Set(full.map((q) => q.task))];
  const options = tasks.map((t) => {
    const qs = full.filter((q) => q.task === t);
    const opts: [number, number][] = agents.map((a) => [
      qs.reduce((x, q) => x + q.o.get(a)!.score, 0),
      qs.reduce((x, q) => x + q.o.get(a)!.cost, 0),
    ]);
    for (const A of agents)
      for (const B of agents)
        for (const E of agents) {
          if (A === B || E === A || E === B) continue;
          let acc = 0;
          let usd = 0;
          for (const q of qs) {
            const a = q.o.get(A)!;
            const b = q.o.get(B)!;
            usd += a.cost + b.cost;
            if (a.key !== null && a.key === b.key) acc += a.score;
            else {
              const e = q.o.get(E)!;
              acc += e.score;
              usd += e.cost;
            }
          }
          opts.push([acc, usd]);
        }
    return opts;
  });
  return caps.map((cap) => {
    let best = 0;
    for (let i = 0; i <= 4000; i++) {
      const price = (i / 4000) ** 2 * 2000; // accuracy per USD
      let acc = 0;
      let usd = 0;
      for (const opts of options) {
        const o = opts.reduce((x, y) => (y[0] - price * y[1] > x[0] - price * x[1] ? y : x));
        acc += o[0];
        usd += o[1];
      }
      if (usd / full.length <= cap) best = Math.max(best, acc / full.length);
    }
    return best;
  });
}
const ceiling = hindsightCeiling(data.test, [0.4 * strongCost, 0.45 * strongCost]);
print(
  `Hindsight ceiling of the fixed shape on the test split (per task, the best single agent or (first, second, escalation) triple chosen on the test queries themselves; not a router): ${num(ceiling[0]!)} within 40% and ${num(ceiling[1]!)} within 45% of ${STRONG}'s cost\n`,
);
writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), seeds, lambdas, runs }, null, 1));
log(`wrote ${jsonOut}`);
