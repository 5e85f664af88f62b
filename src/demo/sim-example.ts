/**
 * The example a fresh clone serves (langgraph.json's `env` names it): a handbook learned on the simulated world and
 * its pool of sim agents, in examples/sim/. Everything in it is SIMULATED. Deterministic for its settings: the same
 * handbook up to timestamps, run ids and wall times on every regeneration (test/deploy/sim-example.int.test.ts).
 *
 *   npx tsx src/demo/sim-example.ts [OUT_DIR]        (default examples/sim)
 *
 * The learning runs in a temporary directory; only `handbook.json` and `pool.json` are kept. The learned selection
 * (every candidate handbook, a few MB) is not: the example serves the one handbook chosen for its λ, whatever a
 * run's λ or budget.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadHandbook, saveHandbook, type Handbook } from "../../handbook/index.js";
import { buildLearningGraph } from "../../graphs/learning/graph.js";
import { resolveKnobs } from "../../graphs/learning/configuration.js";
import { DEFAULT_SEED } from "../core/random.js";
import { explore, simExploreTasks, simRunner } from "../explore/index.js";
import { silentProgress } from "../learning/progress.js";
import { savePool } from "../pool/load.js";
import { createAgents } from "../sim/create-agents.js";
import { createWorld } from "../sim/index.js";

/** The example's settings: the world's seed, the explored training tasks, the λ select chooses for, minCount. */
export const SIM_EXAMPLE = { seed: DEFAULT_SEED, trainTasks: 48, lambda: 0.2, minCount: 4 } as const;

/** Where the committed example lives, from the project root. */
export const SIM_EXAMPLE_DIR = "examples/sim";

export interface SimExampleFiles {
  handbook: string;
  pool: string;
}

/** What the example's handbook says of itself (metadata.learning.example). */
export const EXAMPLE_NOTE =
  "SIMULATED: learned on the simulated world (sim agents, seed 7) by src/demo/sim-example.ts; a zero-setup default, not a handbook of real models";

/**
 * Explore the simulated world, learn a handbook from the records with the learning graph (replay select, no task
 * labels), and write `handbook.json` and `pool.json` into `outDir`.
 */
export async function writeSimExample(outDir: string): Promise<SimExampleFiles> {
  const { seed, trainTasks, lambda, minCount } = SIM_EXAMPLE;
  const work = mkdtempSync(join(tmpdir(), "skillorchestra-sim-example-"));
  try {
    const world = createWorld({ seed });
    const pool = world.pool();
    const poolPath = join(work, "pool.json");
    const recordsPath = join(work, "records.jsonl");
    const handbookPath = join(work, "handbook.json");
    savePool(poolPath, pool);
    const agents = await createAgents(pool, { world });
    await explore({
      agents: [...agents.values()],
      tasks: simExploreTasks(world, trainTasks, "train"),
      run: simRunner(world),
      out: recordsPath,
      progress: false,
    });
    // The phases in this thread: a script has no event loop to keep free for others.
    const deps = { progress: silentProgress, runIn: "thread" as const };
    await buildLearningGraph(deps)
      .compile()
      .invoke(
        { records: recordsPath, pool: poolPath, out: handbookPath, lambda, seed },
        { context: resolveKnobs({ minCount }) },
      );

    mkdirSync(outDir, { recursive: true });
    const files = { handbook: join(outDir, "handbook.json"), pool: join(outDir, "pool.json") };
    savePool(files.pool, pool);
    saveHandbook(files.handbook, asExample(loadHandbook(handbookPath)));
    return files;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The learned handbook labelled as the simulated example; the selection file it names is not shipped. */
function asExample(h: Handbook): Handbook {
  const { file: _file, ...selection } = (h.metadata.learning.selection ?? {}) as Record<string, unknown>;
  return {
    ...h,
    metadata: {
      ...h.metadata,
      learning: { ...h.metadata.learning, selection, example: { simulated: true, note: EXAMPLE_NOTE, ...SIM_EXAMPLE } },
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  const out = resolve(process.argv[2] ?? join(root, SIM_EXAMPLE_DIR));
  const files = await writeSimExample(out);
  process.stdout.write(`simulated example: ${files.handbook}, ${files.pool}\n`);
}
