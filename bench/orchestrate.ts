/**
 * Orchestration benchmark on the SIMULATED world (every figure is simulated): explore training tasks with every
 * agent, learn a handbook from the records (statistical learning pipeline, no LLM, learning λ = routing λ), then
 * run held-out multi-step tasks through the real orchestrator graph (real search index over the world's corpus,
 * real code sandbox) for ours at λ ∈ {0, 0.1, 0.2, 0.5}, the by-task profile handbook (one skill per (mode, task),
 * needs task labels) at the same λ, and the always-strongest / always-cheapest baselines.
 *
 * Reports multi-step accuracy and cost, calls per mode and per agent, per-step regret against the world's ground
 * truth (utility p − λ·normalised cost of the best agent for the step's latent skill − that of the chosen one), and
 * collapse per step index (most-used share and normalised entropy at step 0, 1, 2, …).
 *
 * Run: npx tsx bench/orchestrate.ts [--seed 7] [--train 72] [--test 60]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { explore, simExploreTasks, simRunner } from "../src/explore/index.js";
import { formatUsd, renderTable } from "../src/eval/format.js";
import { learnHandbook } from "../src/eval/learned.js";
import {
  cheapestByPrice,
  orchestrateTasks,
  orchestratorEvaluator,
  pinnedAgents,
  simMetrics,
  strongestByRecords,
  type SimRouterMetrics,
  type SimTrajectory,
} from "../src/eval/sim.js";
import { LEARNING_DEFAULTS } from "../src/learning/pipeline.js";
import { MODES } from "../src/core/modes.js";
import { DEFAULT_SEED } from "../src/core/random.js";
import { savePool } from "../src/pool/load.js";
import { createAgents } from "../src/sim/create-agents.js";
import { loadRecords } from "../src/records/io.js";
import { createWorld } from "../src/sim/index.js";
import { profileByTask } from "../src/demo/profile.js";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const seed = arg("--seed", DEFAULT_SEED);
const trainTasks = arg("--train", 72);
const testTasks = arg("--test", 60);
const lambdas = [0, 0.1, 0.2, 0.5];
const maxSteps = 8;
const tmp = mkdtempSync(join(tmpdir(), "bench-orchestrate-"));
const t0 = performance.now();
const secs = (from: number) => ((performance.now() - from) / 1000).toFixed(1);

const world = createWorld({ seed });
const pool = world.pool();
const poolPath = join(tmp, "pool.json");
const recordsPath = join(tmp, "records.jsonl");
savePool(poolPath, pool);
const agents = await createAgents(pool, { world });
const agentIds = [...agents.keys()].sort();

let t = performance.now();
await explore({
  agents: [...agents.values()],
  tasks: simExploreTasks(world, trainTasks, "train"),
  run: simRunner(world),
  out: recordsPath,
  progress: false,
});
const records = await loadRecords(recordsPath);
console.error(`explored ${trainTasks} training tasks: ${records.length} records in ${secs(t)} s`);
const test = world.tasks(testTasks, "test");
const validation = world.tasks(24, "validation");

const rows: SimRouterMetrics[] = [];
const byTaskRows: SimRouterMetrics[] = [];
// Reference: one skill per (mode, task) profiled directly from the records (needs task labels; no discovery).
const byTask = profileByTask(records, pool);
const learnedNotes: string[] = [];
for (const lambda of lambdas) {
  t = performance.now();
  // As the demo: select evaluates candidates with the orchestrator on validation tasks; a minimum count for small data.
  const evaluateCandidate = orchestratorEvaluator({ world, tasks: validation, agents, lambda, maxSteps });
  const l = await learnHandbook(
    { ...LEARNING_DEFAULTS, minCount: 4, records: recordsPath, pool: poolPath, seed, lambda },
    join(tmp, `learn-${lambda}`),
    evaluateCandidate,
  );
  const learnS = secs(t);
  t = performance.now();
  const traj = await orchestrateTasks({ world, tasks: test, handbook: l.handbook, agents, lambda, maxSteps });
  rows.push(simMetrics("ours", world, traj, lambda, agentIds));
  learnedNotes.push(
    `λ=${lambda}: ${l.skills} skills (${l.chosen}), learned in ${learnS} s, ${testTasks} tasks orchestrated in ${secs(t)} s`,
  );
  console.error(`ours ${learnedNotes.at(-1)}`);
  t = performance.now();
  byTaskRows.push(
    simMetrics(
      "by-task profile",
      world,
      await orchestrateTasks({ world, tasks: test, handbook: byTask, agents, lambda, maxSteps }),
      lambda,
      agentIds,
    ),
  );
  console.error(`by-task profile λ=${lambda}: ${testTasks} tasks orchestrated in ${secs(t)} s`);
}
rows.push(...byTaskRows);

// The baselines pin one agent per mode, so their trajectories do not depend on λ: run once, regret at every λ.
const baselines = new Map<string, SimTrajectory[]>();
const handbook0 = (
  await learnHandbook(
    { ...LEARNING_DEFAULTS, minCount: 4, records: recordsPath, pool: poolPath, seed, lambda: 0 },
    join(tmp, "learn-base"),
    orchestratorEvaluator({ world, tasks: validation, agents, lambda: 0, maxSteps }),
  )
).handbook;
for (const [name, pick] of [
  ["always-strongest", strongestByRecords(records)],
  ["always-cheapest", cheapestByPrice],
] as const) {
  t = performance.now();
  baselines.set(
    name,
    await orchestrateTasks({
      world,
      tasks: test,
      handbook: handbook0,
      agents: pinnedAgents(agents, pick),
      lambda: 0,
      maxSteps,
    }),
  );
  console.error(`${name}: ${testTasks} tasks orchestrated in ${secs(t)} s`);
}
for (const [name, traj] of baselines)
  for (const lambda of lambdas) rows.push(simMetrics(name, world, traj, lambda, agentIds));

const num = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`# Orchestration on the SIMULATED world (every figure is SIMULATED)\n`);
console.log(
  `date ${new Date().toISOString()}; node ${process.version}; command: npx tsx bench/orchestrate.ts${args.length ? ` ${args.join(" ")}` : ""}`,
);
console.log(
  `world seed ${seed}; ${trainTasks} explored training tasks (${records.length} records); ${testTasks} held-out test tasks; max ${maxSteps} steps; pool of ${agentIds.length} sim agents`,
);
console.log(
  `ours: handbook learned by the statistical pipeline at each λ (no LLM; the training records' task names may form one candidate, whose skills are then identified from the text of test tasks), orchestrated at that λ:`,
);
for (const n of learnedNotes) console.log(`  ${n}`);
console.log(
  `by-task profile: one skill per (mode, task) profiled from the same records (uses task labels), orchestrated at each λ.`,
);
console.log("");

const main: string[][] = [
  [
    "router",
    "λ",
    "accuracy",
    "mean USD/task (SIMULATED)",
    "steps/task",
    "regret/step",
    "top agent (share)",
    "entropy",
    ...MODES.map((m) => `${m} calls`),
    "failed steps",
    "stops",
  ],
];
for (const r of rows)
  main.push([
    r.router,
    String(r.lambda),
    num(r.accuracy),
    formatUsd(r.meanCostUsd),
    r.meanSteps.toFixed(2),
    num(r.meanRegret),
    `${r.topAgent ?? "-"} (${pct(r.topShare)})`,
    num(r.entropy),
    ...MODES.map((m) => String(r.callsByMode[m] ?? 0)),
    String(r.failedSteps),
    Object.entries(r.stopReasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
  ]);
console.log(`## Multi-step accuracy, cost, regret, calls per mode (SIMULATED)\n`);
console.log(
  `Baseline trajectories do not depend on λ (one agent per mode); their rows differ only in the λ regret is taken at.\n`,
);
console.log(
  renderTable(main, "markdown", [false, true, true, true, true, true, false, true, true, true, true, true, false]),
);

const once = rows.filter((r) => !baselines.has(r.router) || r.lambda === 0);
const calls: string[][] = [["router", "λ", ...agentIds]];
for (const r of once) calls.push([r.router, String(r.lambda), ...agentIds.map((a) => String(r.callsByAgent[a] ?? 0))]);
console.log(`## Calls per agent (SIMULATED)\n`);
console.log(renderTable(calls, "markdown", [false, true, ...agentIds.map(() => true)]));

const maxIndex = Math.max(...once.map((r) => r.byStep.length));
const steps: string[][] = [
  ["router", "λ", ...Array.from({ length: maxIndex }, (_, i) => `step ${i}: top share / entropy (calls; modes)`)],
];
for (const r of once)
  steps.push([
    r.router,
    String(r.lambda),
    ...Array.from({ length: maxIndex }, (_, i) => {
      const s = r.byStep[i];
      if (!s) return "-";
      const modes = Object.entries(s.modes)
        .map(([m, n]) => `${m} ${n}`)
        .join(", ");
      return `${num(s.topShare)} ${s.topAgent} / ${num(s.entropy)} (${s.calls}; ${modes})`;
    }),
  ]);
const judged = rows.filter((r) => r.consults.judged > 0);
if (judged.length > 0) {
  const consult: string[][] = [
    [
      "router",
      "λ",
      "answers judged",
      "agents consulted after the first (0 / 1 / 2)",
      "accepted when (state: runs)",
      "example",
    ],
  ];
  for (const r of judged)
    consult.push([
      r.router,
      String(r.lambda),
      String(r.consults.judged),
      [0, 1, 2].map((k) => String(r.consults.byConsults[k] ?? 0)).join(" / "),
      Object.entries(r.consults.acceptedIn)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", "),
      r.consults.example ?? "-",
    ]);
  console.log(`## Consult and accept decisions (SIMULATED): the handbook's consult rule after each answer\n`);
  console.log(renderTable(consult, "markdown", [false, true, true, false, false, false]));
}

console.log(
  `## Collapse per step index (SIMULATED): most-used agent share and normalised entropy over the ${agentIds.length} agents\n`,
);
console.log(renderTable(steps, "markdown"));
console.log(
  `regret: utility p − λ·normalised cost (the world's latent truth) of the best agent for the step's latent skill minus that of the chosen agent; ` +
    `the n-th step taken in a mode stands for the n-th step of that mode in the task's plan; off-plan steps (a mode the plan lacks) have no regret.`,
);
console.log(`\ntotal wall ${secs(t0)} s`);
rmSync(tmp, { recursive: true, force: true });
