import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadHandbook, saveHandbook, type Handbook } from "../../handbook/index.js";
import { buildLearningGraph } from "../../graphs/learning/graph.js";
import { resolveKnobs } from "../../graphs/learning/configuration.js";
import { DEFAULT_SEED } from "../core/random.js";
import { savePool } from "../pool/load.js";
import { createAgents } from "../sim/create-agents.js";
import type { Agent } from "../providers/types.js";
import { loadRecords } from "../records/io.js";
import { explore, simExploreTasks, simRunner } from "../explore/index.js";
import {
  cheapestByPrice,
  orchestrateTasks,
  orchestratorEvaluator,
  pinnedAgents,
  simMetrics,
  strongestByRecords,
  type SimRouterMetrics,
} from "../eval/sim.js";
import { calibrationReport, createWorld, formatCalibration } from "../sim/index.js";
import { silentProgress } from "../learning/progress.js";
import { formatLearningCost } from "../learning/log.js";
import { profileByTask } from "./profile.js";

export interface DemoOptions {
  outDir: string;
  seed?: number;
  /** Explored (training) tasks, validation tasks (select's), and held-out test tasks. */
  trainTasks?: number;
  validationTasks?: number;
  testTasks?: number;
  lambda?: number;
  maxSteps?: number;
  /** Minimum observations behind the learner's statistical tests (default 4: the demo's data set is small). */
  minCount?: number;
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

export interface DemoReport {
  seed: number;
  lambda: number;
  trainTasks: number;
  testTasks: number;
  exploreRecords: number;
  exploreCostUsd: number;
  routers: SimRouterMetrics[];
  /** The world's calibration as text (latent, simulated). */
  calibration: string;
  handbookPath: string;
  poolPath: string;
  recordsPath: string;
}

/**
 * The main job, offline and deterministic: explore the simulated world, learn a handbook from the records with the
 * learning graph (no task labels; select runs the orchestrator on validation tasks), then orchestrate held-out tasks
 * through the real graph (real search index, real sandbox) and compare against a by-task profile (which uses task
 * labels), always-strongest and always-cheapest. Every figure is SIMULATED.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const seed = opts.seed ?? DEFAULT_SEED;
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
  await explore({
    agents: [...agents.values()],
    tasks: train,
    run: simRunner(world),
    out: recordsPath,
    progress: "auto",
  });
  const records = await loadRecords(recordsPath);
  // Select chooses the handbook's granularity with the target orchestrator on validation tasks of the world.
  const evaluateCandidate = orchestratorEvaluator({
    world,
    tasks: world.tasks(opts.validationTasks ?? 24, "validation"),
    agents,
    lambda,
    maxSteps,
  });
  const learned = await buildLearningGraph({ progress: silentProgress, evaluateCandidate })
    .compile()
    .invoke(
      { records: recordsPath, pool: poolPath, out: handbookPath, lambda, seed },
      { context: resolveKnobs({ minCount: opts.minCount ?? 4 }) },
    );
  const handbook = loadHandbook(handbookPath);
  if (learned.cost) log(formatLearningCost(learned.cost));
  log(
    `handbook (learned, no task labels): ${Object.keys(handbook.skills).length} skills chosen of ${Object.keys(loadHandbook(handbookPath.replace(/\.json$/, ".full.json")).skills).length} discovered → ${handbookPath}`,
  );
  const byTask = saveHandbook(join(opts.outDir, "handbook.by-task.json"), profileByTask(records, pool));

  const test = world.tasks(opts.testTasks ?? 36, "test");
  const ids = pool.agents.map((a) => a.id);
  const run = async (router: string, h: Handbook, pinned: Map<string, Agent>) =>
    simMetrics(
      router,
      world,
      await orchestrateTasks({ world, tasks: test, handbook: h, agents: pinned, lambda, maxSteps }),
      lambda,
      ids,
    );
  log(`orchestrate: ${test.length} held-out tasks, λ = ${lambda}`);
  const routers: SimRouterMetrics[] = [];
  routers.push(await run("skillorchestra", handbook, agents));
  routers.push(await run("by-task profile", byTask, agents));
  log("baselines: always-strongest, always-cheapest");
  routers.push(await run("always-strongest", handbook, pinnedAgents(agents, strongestByRecords(records))));
  routers.push(await run("always-cheapest", handbook, pinnedAgents(agents, cheapestByPrice)));
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
