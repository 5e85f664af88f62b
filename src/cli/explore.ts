import { setMaxListeners } from "node:events";
import { statSync } from "node:fs";
import { Command, Option } from "commander";
import { InputError } from "../core/errors.js";
import { simSeedOf } from "../explore/seed.js";
import { explore } from "../explore/explore.js";
import { formatCost } from "../explore/progress.js";
import { defaultRunner } from "../explore/runners.js";
import { loadTasks, simExploreTasks } from "../explore/tasks.js";
import { MODES, type Mode } from "../core/modes.js";
import { DEFAULT_SEED } from "../core/random.js";
import { loadPool } from "../pool/load.js";
import type { Pool } from "../pool/schema.js";
import { createAgents } from "../sim/create-agents.js";
import { createWorld } from "../sim/world.js";

interface ExploreFlags {
  pool: string;
  out: string;
  simTasks?: string;
  seed?: string;
  split: string;
  tasks?: string;
  modes?: string;
  concurrency: string;
  progress: boolean;
  simSleep?: string;
  corpus?: string;
  maxUsd?: string;
  maxSteps?: string;
  dryRun?: boolean;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new InputError(`${flag}: must be a whole number >= ${min}, got "${value}"`);
  return n;
}

function parseModes(value: string | undefined): Mode[] {
  if (value === undefined) return [...MODES];
  const modes = value
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  for (const m of modes)
    if (!(MODES as readonly string[]).includes(m))
      throw new InputError(`--modes: unknown mode "${m}" (use ${MODES.join(", ")})`);
  if (modes.length === 0) throw new InputError("--modes: name at least one mode");
  return modes as Mode[];
}

/** Run the explore command; returns the process exit code (0, or 1 when some pairs failed). */
export async function runExplore(flags: ExploreFlags): Promise<number> {
  if ((flags.simTasks === undefined) === (flags.tasks === undefined))
    throw new InputError("explore: give exactly one of --sim-tasks N (tasks of the simulated world) or --tasks FILE");
  const concurrency = wholeNumber("--concurrency", flags.concurrency, 1);
  const modes = parseModes(flags.modes);
  const sleepScale = flags.simSleep === undefined ? undefined : Number(flags.simSleep);
  if (sleepScale !== undefined && !(sleepScale >= 0 && Number.isFinite(sleepScale)))
    throw new InputError(`--sim-sleep: must be a number >= 0, got "${flags.simSleep}"`);
  if (isDirectory(flags.out))
    throw new InputError(`${flags.out}: is a directory; --out must be a records file (JSONL)`);
  const pool = loadPool(flags.pool);
  // A tasks file with a pool of model agents: whole trajectories through the orchestrator graph.
  if (flags.tasks !== undefined && pool.agents.every((a) => a.provider === "openai"))
    return runLive(flags, pool, modes, concurrency);
  for (const flag of ["corpus", "maxUsd", "maxSteps", "dryRun"] as const)
    if (flags[flag] !== undefined && flags[flag] !== false)
      throw new InputError(
        `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: only for a tasks file explored with model (openai) agents`,
      );
  const seedFlag = flags.seed === undefined ? undefined : wholeNumber("--seed", flags.seed, Number.MIN_SAFE_INTEGER);
  const needsWorld = flags.simTasks !== undefined || pool.agents.some((a) => a.provider === "sim");
  const world = needsWorld ? createWorld({ seed: simSeedOf(pool, seedFlag, flags.pool) }) : undefined;
  const tasks =
    flags.simTasks !== undefined
      ? simExploreTasks(world!, wholeNumber("--sim-tasks", flags.simTasks, 1), flags.split)
      : loadTasks(flags.tasks!);
  const agents = [
    ...(
      await createAgents(pool, {
        ...(world ? { world } : {}),
        ...(sleepScale !== undefined ? { sim: { sleepScale } } : {}),
      })
    ).values(),
  ];

  return interruptible("pairs", async (signal) => {
    const s = await explore({
      agents,
      tasks,
      modes,
      run: defaultRunner(world ? { world } : {}),
      out: flags.out,
      concurrency,
      progress: flags.progress ? "auto" : false,
      signal,
    });
    process.stdout.write(
      `explore: ${s.written} records written to ${flags.out} (${s.resumed} already there, ${s.pairs} pairs in all` +
        `${s.notApplicable ? `, ${s.notApplicable} not applicable` : ""}), cost ${formatCost(s)}` +
        `${s.interrupted ? "; interrupted: run again to resume" : ""}\n`,
    );
    for (const f of s.failures.slice(0, 5))
      process.stderr.write(`explore: failed: query ${f.queryId}, agent ${f.agent}, mode ${f.mode}: ${f.error}\n`);
    if (s.failures.length > 5) process.stderr.write(`explore: ... and ${s.failures.length - 5} more failures\n`);
    return s.failures.length > 0 || s.interrupted ? 1 : 0;
  });
}

/** Run with a signal that the first Ctrl-C aborts (the work under way finishes and is written); a second quits. */
async function interruptible<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // Every pair or trajectory under way listens to the one signal.
  setMaxListeners(0, controller.signal);
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`explore: stopping after the ${what} under way (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
  }
}

function usdFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new InputError(`${flag}: must be a USD amount > 0, got "${value}"`);
  return n;
}

async function runLive(flags: ExploreFlags, pool: Pool, modes: Mode[], concurrency: number): Promise<number> {
  const capUsd = usdFlag("--max-usd", flags.maxUsd);
  const maxSteps = flags.maxSteps === undefined ? undefined : wholeNumber("--max-steps", flags.maxSteps, 1);
  const tasks = loadTasks(flags.tasks!, { scored: true });
  const { runLiveExplore } = await import("./explore-live.js");
  return interruptible("trajectories", (signal) =>
    runLiveExplore({
      pool,
      poolPath: flags.pool,
      tasks,
      modes,
      out: flags.out,
      ...(flags.corpus ? { corpus: flags.corpus } : {}),
      ...(capUsd !== undefined ? { capUsd } : {}),
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      concurrency,
      dryRun: flags.dryRun === true,
      progress: flags.progress,
      signal,
    }),
  );
}

/** `skillorchestra explore`: run every agent of a pool on every task, per mode, into a resumable records file. */
export function exploreCommand(): Command {
  return new Command("explore")
    .description(
      "Run every agent of a pool on every task in each mode it serves, one record per (query, agent, mode), " +
        "appended to a records file; an interrupted run resumes where it stopped.",
    )
    .requiredOption("--pool <file>", "pool file (JSON or YAML)")
    .requiredOption("--out <file>", "records file to write (JSONL; resumed when it exists)")
    .option("--sim-tasks <n>", "explore N tasks of the simulated world")
    .option("--seed <s>", `seed of the simulated world (default: the pool's sim seed, else ${DEFAULT_SEED})`)
    .option("--split <name>", "split of the simulated world's tasks", "train")
    .option("--tasks <file>", "tasks file (JSONL of {id, text, references, metric?, family?, modes?})")
    .option("--modes <list>", `modes to explore, comma-separated (default ${MODES.join(",")})`)
    .option(
      "--concurrency <n>",
      "pairs (or trajectories) run at once; each agent's own limit is the pool's concurrency",
      "2",
    )
    .option("--corpus <file>", "search corpus (JSONL of {id, title, text}) for exploring search with model agents")
    .option("--max-usd <usd>", "USD cap for the whole exploration, across resumed runs (model agents)")
    .option(
      "--max-steps <n>",
      "steps of a trajectory before its one forced answer (model agents; default: its tool modes + 1)",
    )
    .option("--dry-run", "print the estimated calls and cost of the exploration, and call no model")
    .option("--no-progress", "no progress bar or progress lines")
    .addOption(
      new Option("--sim-sleep <scale>", "really wait for sim agents' simulated latency, scaled (e.g. 0.01)").hideHelp(),
    )
    .action(async (flags: ExploreFlags) => {
      const code = await runExplore(flags);
      if (code !== 0) process.exitCode = code;
    });
}
