/**
 * Learning benchmark on the shared LLMRouter data (../shared/data/llmrouter; costs there are ESTIMATED).
 *
 * 1. Offline statistical learning (the learning graph, no LLM) on all train records: the phases' wall times (the
 *    learning log's), the graph's wall and CPU time, the records load before it (as `learn` does), peak memory and
 *    the load average.
 * 2. Routing accuracy on the test split by replay (identify skills with the matcher, select in mode answer, take
 *    the recorded score) at labelled budgets of 10, 20, 40 and all queries per task (several seeds for the small
 *    budgets), with mean estimated cost, against: best single agent, per-task best from train, per-query oracle.
 * 3. Learning-model calls per mode with a scripted learning LLM on the loopback OpenAI-compatible server.
 *
 * Routing uses selectAgent's default competence estimate (posterior mean with hierarchical shrinkage, "auto").
 * Besides the hindsight baselines, "best single from labels" is the agent with the best mean score on the same
 * labelled queries the learner saw (the honest few-label baseline).
 *
 * Run: npx tsx bench/learn.ts [--seeds N] [--skip-llm]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { importLlmRouterSplit } from "./llmrouter.js";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { buildLearningGraph } from "../graphs/learning/graph.js";
import { loadHandbook } from "../handbook/store.js";
import { DEFAULT_SEED } from "../src/core/random.js";
import { evaluateHandbook, replayBaselines, replayIndex } from "../src/learning/evaluate.js";
import { splitLabelled } from "../src/learning/labelled.js";
import { loadData } from "../src/learning/pipeline.js";
import { groupRecords, type QueryItem } from "../src/learning/queries.js";
import type { Handbook } from "../handbook/schema.js";
import { silentProgress } from "../src/learning/progress.js";
import { writeImport } from "../src/records/import-result.js";
import { savePool } from "../src/pool/load.js";
import { importPool } from "../src/records/import-result.js";
import { startOpenAIServer } from "./support/openai-server.js";

const args = process.argv.slice(2);
const seeds = Number(args[args.indexOf("--seeds") + 1] ?? 3) || 3;
const skipLlm = args.includes("--skip-llm");
const tmp = mkdtempSync(join(tmpdir(), "bench-learn-"));

async function learn(records: string, pool: string, out: string, input: Record<string, unknown>) {
  const g = buildLearningGraph({ progress: silentProgress }).compile();
  return g.invoke({ records, pool, out, ...input });
}

function pct(x: number) {
  return x.toFixed(4);
}

const train = importLlmRouterSplit(tmp, "train");
const test = importLlmRouterSplit(tmp, "test");
const testIndex = replayIndex(groupRecords(test.result.records));
const trainItems: QueryItem[] = groupRecords(train.result.records);

// Baselines on the test split.
const base = replayBaselines(testIndex);
const best = Object.entries(base.agents).sort((a, b) => b[1].accuracy - a[1].accuracy)[0]!;
const taskAgent = new Map<string, Map<string, number>>();
for (const it of trainItems) {
  const m = taskAgent.get(it.task) ?? new Map<string, number>();
  for (const o of it.outcomes) m.set(o.agent, (m.get(o.agent) ?? 0) + o.score);
  taskAgent.set(it.task, m);
}
let perTask = 0;
let perTaskCost = 0;
for (const p of testIndex.points) {
  const m = taskAgent.get(p.task);
  const agent = m ? [...m].sort((a, b) => b[1] - a[1])[0]![0] : best[0];
  const o = testIndex.outcomes.get(p.key)!.get(agent)!;
  perTask += o.score;
  perTaskCost += o.costUsd;
}
const nTest = testIndex.points.length;
console.log(`test split: ${nTest} queries × ${Object.keys(base.agents).length} agents (costs estimated)`);
console.log(
  `  best single agent   ${best[0]}: accuracy ${pct(best[1].accuracy)}, mean cost $${best[1].meanCostUsd.toExponential(3)}`,
);
console.log(
  `  per-task best (train) accuracy ${pct(perTask / nTest)}, mean cost $${(perTaskCost / nTest).toExponential(3)}`,
);
console.log(
  `  per-query oracle    accuracy ${pct(base.oracle.accuracy)}, mean cost $${base.oracle.meanCostUsd.toExponential(3)}`,
);

// 1. Offline learning on all train records: time and peak memory.
const fullOut = join(tmp, "full", "H.json");
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
// A copy of the records under another name, so the timed run reads and parses them itself.
const records2 = join(tmp, "train-timed.jsonl");
const pool2 = join(tmp, "train-timed.pool.json");
writeImport(train.result, records2, pool2);
const load0 = loadavg()[0]!;
const t0 = performance.now();
// The records are read, validated and grouped before the phases, as `learn` does (src/records, then loadData).
await loadData(records2, pool2);
const t1 = performance.now();
const cpu0 = process.cpuUsage();
const final = await learn(records2, pool2, fullOut, { seed: DEFAULT_SEED });
const cpu = process.cpuUsage(cpu0);
const t2 = performance.now();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const phases = Object.values(final.cost!.wallMs as Record<string, number>).reduce((a, b) => a + b, 0) / 1000;
console.log(
  `\noffline statistical learning on all ${train.result.records.length} train records (${trainItems.length} queries):`,
);
console.log(
  `  learning ${phases.toFixed(2)} s (phases: ${Object.entries(final.cost!.wallMs)
    .map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}s`)
    .join(", ")}); graph wall ${((t2 - t1) / 1000).toFixed(2)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`,
);
console.log(
  `  records read, validated and grouped before it ${((t1 - t0) / 1000).toFixed(2)} s; wall in all ${((t2 - t0) / 1000).toFixed(2)} s; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
);
console.log(
  `  peak RSS ${(peak / 1e6).toFixed(0)} MB (process maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, includes the benchmark's own copies of the data)`,
);

// 2. Accuracy on test by replay at labelled budgets.
console.log(
  `\nrouting accuracy on test by replay (λ=0, tradeoff, posterior mean with shrinkage auto); mean cost estimated:`,
);
const budgets: (number | undefined)[] = [10, 20, 40, undefined];
const lambdas = [0, 0.05, 0.1, 0.2, 0.4];
const results = new Map<
  string,
  { acc: number[]; cost: number[]; top: number[]; single: number[]; sweep: { acc: number; cost: number }[][] }
>();
/** The agent with the best mean score on the labelled queries (training + validation) of a split. */
function bestFromLabels(ids: ReadonlySet<string>): string {
  const sums = new Map<string, number>();
  for (const it of trainItems)
    if (ids.has(it.queryId))
      for (const o of it.outcomes) if (o.acted) sums.set(o.agent, (sums.get(o.agent) ?? 0) + o.score);
  return [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}
function singleAccuracy(agent: string): number {
  let s = 0;
  for (const p of testIndex.points) s += testIndex.outcomes.get(p.key)!.get(agent)?.score ?? 0;
  return s / nTest;
}
for (const labelled of budgets) {
  const label = labelled === undefined ? "all" : String(labelled);
  const runs = labelled === undefined ? 1 : seeds;
  const r = {
    acc: [] as number[],
    cost: [] as number[],
    top: [] as number[],
    single: [] as number[],
    sweep: [] as { acc: number; cost: number }[][],
  };
  for (let seed = 1; seed <= runs; seed++) {
    const out = join(tmp, `b${label}-s${seed}`, "H.json");
    if (labelled !== undefined) await learn(train.records, train.pool, out, { seed, labelled });
    const h: Handbook = loadHandbook(labelled === undefined ? fullOut : out);
    const e = evaluateHandbook(h, testIndex, undefined, { lambda: 0 });
    r.acc.push(e.accuracy);
    r.cost.push(e.meanCostUsd);
    r.top.push(Math.max(...Object.values(e.calls)) / e.points);
    const sp = splitLabelled(trainItems, {
      seed: labelled === undefined ? DEFAULT_SEED : seed,
      ...(labelled !== undefined ? { labelled } : {}),
    });
    r.single.push(singleAccuracy(bestFromLabels(new Set([...sp.train, ...sp.validationIds]))));
    r.sweep.push(
      lambdas.map((lambda) => {
        const x = lambda === 0 ? e : evaluateHandbook(h, testIndex, undefined, { lambda });
        return { acc: x.accuracy, cost: x.meanCostUsd };
      }),
    );
    const sel = h.metadata.learning.selection as { chosen?: string } | undefined;
    console.log(
      `  labelled ${label.padStart(3)} per task, seed ${seed}: accuracy ${pct(e.accuracy)}, mean cost $${e.meanCostUsd.toExponential(3)}, ${Object.keys(h.skills).length} skills (${sel?.chosen}), top-agent share ${(100 * r.top.at(-1)!).toFixed(0)}%; best single from labels ${pct(r.single.at(-1)!)}`,
    );
  }
  results.set(label, r);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const all = mean(results.get("all")!.acc);
console.log(
  `\nsummary (mean ± sample std over seeds; best single on test ${pct(best[1].accuracy)}, per-task best ${pct(perTask / nTest)}):`,
);
for (const [label, r] of results)
  console.log(
    `  ${label.padStart(3)} per task: accuracy ${pct(mean(r.acc))} ± ${pct(std(r.acc))} (${((100 * mean(r.acc)) / all).toFixed(1)}% of all), ` +
      `mean cost $${mean(r.cost).toExponential(3)} (estimated); best single from the same labels ${pct(mean(r.single))} ± ${pct(std(r.single))}`,
  );

// λ sweep: the accuracy–cost curve of each budget's handbooks (mean over seeds).
console.log(`\nλ sweep (routing λ on the learned handbooks; mean over seeds; costs estimated):`);
for (const [label, r] of results)
  console.log(
    `  ${label.padStart(3)} per task: ` +
      lambdas
        .map(
          (l, k) =>
            `λ=${l}: ${pct(mean(r.sweep.map((x) => x[k]!.acc)))} / $${mean(r.sweep.map((x) => x[k]!.cost)).toExponential(2)}`,
        )
        .join("; "),
  );

// 3. Learning-model calls per mode with a scripted learning LLM.
if (!skipLlm) {
  let k = 0;
  const server = await startOpenAIServer(async (req) => {
    const tool = req.body?.tools?.[0]?.function?.name;
    k++;
    if (tool === "name_skill")
      return {
        kind: "reply",
        toolCalls: [
          {
            name: "name_skill",
            arguments: JSON.stringify({
              name: `named skill ${k}`,
              description: "a skill named by the scripted learning model",
            }),
          },
        ],
      };
    const cats = Array.from({ length: 4 }, (_, c) => ({
      id: `c${k}_${c}`,
      name: `category ${k}.${c}`,
      description: "scripted",
      skills: Array.from({ length: 3 }, (_, j) => ({
        id: `s${j}`,
        name: `skill ${k}.${c}.${j}`,
        description: "scripted",
        indicators: [`term${c}${j}`],
        examples: [],
      })),
    }));
    return { kind: "reply", toolCalls: [{ name: "skills", arguments: JSON.stringify({ categories: cats }) }] };
  });
  const pool = importPool(train.result, train.records);
  pool.agents.push({
    id: "learner",
    modes: ["answer"],
    provider: "openai",
    model: "test-model",
    price: { inputPer1M: 0.25, outputPer1M: 2 },
    openai: { baseURL: server.url, apiKeyEnv: "BENCH_LEARN_KEY" },
  });
  const poolPath = join(tmp, "llm.pool.json");
  savePool(poolPath, pool);
  process.env.BENCH_LEARN_KEY = "sk-loopback";
  const out = join(tmp, "llm", "H.json");
  const f = await learn(train.records, poolPath, out, { seed: 1, labelled: 40, llm: "learner" });
  await server.close();
  console.log(
    `\nscripted learning LLM (labelled 40 per task): ${f.cost!.llmCalls} calls (${JSON.stringify(f.cost!.llmCallsByMode)}), ${f.cost!.promptTokens} prompt + ${f.cost!.completionTokens} completion tokens, $${f.cost!.costUsd.toFixed(4)}; server saw ${server.chatRequests().length} requests`,
  );
}

rmSync(tmp, { recursive: true, force: true });
