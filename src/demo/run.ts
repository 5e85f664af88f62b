import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadHandbook, saveHandbook, type Handbook } from "../../handbook/index.js";
import { buildLearningGraph } from "../../graphs/learning/graph.js";
import { createOrchestrator } from "../../graphs/orchestrator/graph.js";
import type { OrchestratorStateType } from "../../graphs/orchestrator/state.js";
import type { Mode } from "../modes.js";
import { savePool } from "../pool/load.js";
import { createAgents } from "../providers/index.js";
import type { Agent } from "../providers/types.js";
import { loadRecords } from "../records/io.js";
import { explore, simExploreTasks, simRunner, worldIndex } from "../explore/index.js";
import { calibrationReport, createWorld, formatCalibration, type SimTask, type World } from "../sim/index.js";
import { silentProgress } from "../learning/progress.js";
import { formatLearningCost } from "../learning/log.js";
import { profileByTask } from "./profile.js";

export interface DemoOptions {
  outDir: string;
  seed?: number;
  /** Explored (training) tasks and held-out test tasks. */
  trainTasks?: number;
  testTasks?: number;
  lambda?: number;
  maxSteps?: number;
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

/** The figures of one router on the held-out tasks (all simulated). */
export interface RouterReport {
  router: string;
  accuracy: number;
  meanCostUsd: number;
  meanSteps: number;
  /** Share of agent calls per agent. */
  callShare: Record<string, number>;
  /** Mean per-step regret against the world's ground truth: true utility of the best agent − that of the chosen one. */
  meanRegret: number;
  stopReasons: Record<string, number>;
}

export interface DemoReport {
  seed: number;
  lambda: number;
  trainTasks: number;
  testTasks: number;
  exploreRecords: number;
  exploreCostUsd: number;
  routers: RouterReport[];
  /** The world's calibration as text (latent, simulated). */
  calibration: string;
  handbookPath: string;
  poolPath: string;
  recordsPath: string;
}

function trueSkillOf(task: SimTask, mode: Mode, nth: number): string | undefined {
  const steps = task.steps.filter((s) => s.mode === mode);
  return (steps[Math.min(nth, steps.length - 1)] ?? undefined)?.skill;
}

/** Per-step regret of one trajectory against the world's ground truth at λ. */
function regrets(world: World, task: SimTask, state: OrchestratorStateType, lambda: number): number[] {
  const seen: Record<string, number> = {};
  return state.steps.map((s) => {
    const nth = seen[s.mode] ?? 0;
    seen[s.mode] = nth + 1;
    const skill = trueSkillOf(task, s.mode, nth);
    if (!skill) return 0;
    const standings = world.groundTruth.standings(skill, lambda);
    const best = standings[0]!.utility;
    const chosen = standings.find((a) => a.agent === s.agent)?.utility ?? best;
    return best - chosen;
  });
}

async function evaluate(
  name: string,
  world: World,
  tasks: SimTask[],
  handbook: Handbook,
  agents: Map<string, Agent>,
  lambda: number,
  maxSteps: number,
): Promise<RouterReport> {
  const graph = await createOrchestrator({ handbook, agents, search: worldIndex(world), defaults: { lambda, maxSteps } });
  let correct = 0;
  let cost = 0;
  let steps = 0;
  const calls: Record<string, number> = {};
  const stops: Record<string, number> = {};
  const allRegrets: number[] = [];
  for (const task of tasks) {
    const state = (await graph.invoke({ task: { id: task.id, text: task.text, family: task.family } })) as OrchestratorStateType;
    correct += state.finalAnswer !== null ? world.check(task, state.finalAnswer) : 0;
    cost += state.costUsd;
    steps += state.steps.length;
    for (const s of state.steps) calls[s.agent] = (calls[s.agent] ?? 0) + 1;
    stops[state.stopReason ?? "none"] = (stops[state.stopReason ?? "none"] ?? 0) + 1;
    allRegrets.push(...regrets(world, task, state, lambda));
  }
  const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
  return {
    router: name,
    accuracy: correct / tasks.length,
    meanCostUsd: cost / tasks.length,
    meanSteps: steps / tasks.length,
    callShare: Object.fromEntries(Object.entries(calls).map(([a, n]) => [a, n / totalCalls])),
    meanRegret: allRegrets.length ? allRegrets.reduce((a, b) => a + b, 0) / allRegrets.length : 0,
    stopReasons: stops,
  };
}

/** One agent per mode (the pick for each mode), each serving only the modes it was picked for. */
function pinned(agents: Map<string, Agent>, pick: (mode: Mode, serving: Agent[]) => Agent): Map<string, Agent> {
  const modesOf = new Map<Agent, Mode[]>();
  for (const mode of ["search", "code", "answer"] as const) {
    const serving = [...agents.values()].filter((a) => a.spec.modes.includes(mode));
    if (serving.length === 0) continue;
    const a = pick(mode, serving);
    modesOf.set(a, [...(modesOf.get(a) ?? []), mode]);
  }
  const out = new Map<string, Agent>();
  for (const [a, modes] of modesOf) out.set(a.spec.id, { spec: { ...a.spec, modes }, act: (req, o) => a.act(req, o) });
  return out;
}

/**
 * The main job, offline and deterministic: explore the simulated world, build a handbook from the records, then
 * orchestrate held-out tasks through the real graph (real search index, real sandbox) and compare against
 * always-strongest and always-cheapest. Every figure is SIMULATED.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const seed = opts.seed ?? 7;
  const lambda = opts.lambda ?? 0.2;
  const maxSteps = opts.maxSteps ?? 8;
  const log = opts.log ?? (() => {});
  mkdirSync(opts.outDir, { recursive: true });
  const world = createWorld({ seed });
  const pool = world.pool();
  const poolPath = join(opts.outDir, "pool.json");
  const recordsPath = join(opts.outDir, "records.jsonl");
  const handbookPath = join(opts.outDir, "handbook.json");
  savePool(poolPath, pool);

  const agents = await createAgents(pool, { world });
  const train = simExploreTasks(world, opts.trainTasks ?? 72, "train");
  log(`explore: ${train.length} training tasks × ${agents.size} agents (simulated)`);
  await explore({ agents: [...agents.values()], tasks: train, run: simRunner(world), out: recordsPath, progress: "auto" });
  const records = await loadRecords(recordsPath);
  const learned = await buildLearningGraph({ progress: silentProgress })
    .compile()
    .invoke({ records: recordsPath, pool: poolPath, out: handbookPath, lambda, seed });
  const handbook = loadHandbook(handbookPath);
  if (learned.cost) log(formatLearningCost(learned.cost));
  log(`handbook (learned, no task labels): ${Object.keys(handbook.skills).length} skills chosen of ${Object.keys(loadHandbook(handbookPath.replace(/\.json$/, ".full.json")).skills).length} discovered → ${handbookPath}`);
  const byTask = saveHandbook(join(opts.outDir, "handbook.by-task.json"), profileByTask(records, pool));

  const test = world.tasks(opts.testTasks ?? 36, "test");
  const routers: RouterReport[] = [];
  log(`orchestrate: ${test.length} held-out tasks, λ = ${lambda}`);
  routers.push(await evaluate("skillorchestra", world, test, handbook, agents, lambda, maxSteps));
  routers.push(await evaluate("by-task profile", world, test, byTask, agents, lambda, maxSteps));
  const strongest = (mode: Mode, serving: Agent[]) =>
    serving.reduce((best, a) => (meanScore(records, a.spec.id, mode) > meanScore(records, best.spec.id, mode) ? a : best));
  const cheapest = (_mode: Mode, serving: Agent[]) =>
    serving.reduce((best, a) => (a.spec.price.outputPer1M < best.spec.price.outputPer1M ? a : best));
  log("baselines: always-strongest, always-cheapest");
  routers.push(await evaluate("always-strongest", world, test, handbook, pinned(agents, strongest), lambda, maxSteps));
  routers.push(await evaluate("always-cheapest", world, test, handbook, pinned(agents, cheapest), lambda, maxSteps));
  return {
    seed,
    lambda,
    trainTasks: train.length,
    testTasks: test.length,
    exploreRecords: records.length,
    exploreCostUsd: records.reduce((a, r) => a + r.costUsd, 0),
    routers,
    calibration: formatCalibration(calibrationReport(world)),
    handbookPath,
    poolPath,
    recordsPath,
  };
}

function meanScore(records: readonly { agent: string; mode: Mode; score: number }[], agent: string, mode: Mode): number {
  let n = 0;
  let s = 0;
  for (const r of records) if (r.agent === agent && r.mode === mode) (n++, (s += r.score));
  return n ? s / n : 0;
}
