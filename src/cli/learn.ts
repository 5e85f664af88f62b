import type { Handbook } from "../../handbook/schema.js";
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, Option } from "commander";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { buildLearningGraph, PHASES, type Phase } from "../../graphs/learning/graph.js";
import { learningRun } from "../../graphs/learning/configuration.js";
import { loadHandbook } from "../../handbook/store.js";
import { InputError } from "../core/errors.js";
import { loadPool } from "../pool/load.js";
import { artefactPaths, runOutOf, type Artefacts } from "../learning/artefacts.js";
import { formatLearningCost, learningCost, LearningLog, readLog } from "../learning/log.js";
import {
  LEARNING_DEFAULTS,
  learningSettings,
  loadData,
  newRunId,
  readSkills,
  readSplit,
  runDiscover,
  runProfile,
  runRefine,
  runSelect,
  runSplit,
  type LearningSettings,
  type PhaseIO,
} from "../learning/pipeline.js";
import type { EstimatorName } from "../../handbook/estimators.js";
import { autoProgress, silentProgress } from "../learning/progress.js";
import { prestartWorker } from "../learning/phase-runner.js";
import type { LiveLearnFlags } from "./learn-live.js";

/**
 * `skillorchestra learn`: the whole learning graph (resumable with --checkpoint); and one phase alone with the
 * sibling commands `split | discover | profile | refine | select`, each reading and writing plain JSON artefacts.
 */

interface CommonFlags {
  records: string;
  pool?: string;
  seed?: string;
  labelled?: string;
  validation?: string;
  lambda?: string;
  budget?: string;
  llm?: string;
  strategy?: string;
  estimator?: string;
  alpha?: string;
  minCount?: string;
  maxRounds?: string;
  maxCalls?: string;
  progress: boolean;
}

function number(
  flag: string,
  value: string | undefined,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InputError(`${flag}: must be a number, got "${value}"`);
  if (opts.integer && !Number.isInteger(n)) throw new InputError(`${flag}: must be a whole number, got "${value}"`);
  if (opts.min !== undefined && n < opts.min) throw new InputError(`${flag}: must be >= ${opts.min}, got "${value}"`);
  if (opts.max !== undefined && n > opts.max) throw new InputError(`${flag}: must be <= ${opts.max}, got "${value}"`);
  return n;
}

/** The settings of the flags; a flag not given takes its default (LEARNING_DEFAULTS). */
export function settingsFrom(f: CommonFlags): LearningSettings {
  return learningSettings({
    // In this order a flag's value is checked (the first bad one is reported).
    records: f.records,
    pool: f.pool || undefined,
    labelled: f.labelled === "all" ? undefined : number("--labelled", f.labelled, { min: 1, integer: true }),
    seed: number("--seed", f.seed, { integer: true }),
    lambda: number("--lambda", f.lambda, { min: 0 }),
    llm: f.llm || undefined,
    strategy: f.strategy as LearningSettings["strategy"] | undefined,
    estimator: f.estimator as EstimatorName | undefined,
    alpha: number("--alpha", f.alpha, { min: 0 }),
    minCount: number("--min-count", f.minCount, { min: 1 }),
    maxRounds: number("--max-rounds", f.maxRounds, { min: 0, integer: true }),
    maxCalls: number("--max-calls", f.maxCalls, { min: 1, max: 3, integer: true }),
    validation: number("--validation", f.validation, { min: 0 }),
    budgetUsd: number("--budget", f.budget, { min: 0 }),
  });
}

function common(cmd: Command): Command {
  return cmd
    .requiredOption("--records <file>", "execution records (JSONL)")
    .option("--pool <file>", "pool file (JSON or YAML); names agents and holds the learning model")
    .option("--seed <n>", `seed of every random choice (default ${LEARNING_DEFAULTS.seed})`)
    .option("--no-progress", "no progress bars or lines");
}

function tuning(cmd: Command): Command {
  return cmd
    .option("--lambda <l>", "price of accuracy λ for gating refinements and selecting (default 0)")
    .addOption(new Option("--strategy <s>", "selection rule for validation routing").choices(["tradeoff", "cascade"]))
    .addOption(
      new Option("--estimator <e>", "competence estimator for validation routing").choices([
        "mean",
        "quantile",
        "thompson",
      ]),
    )
    .option("--alpha <p>", "significance level of the split and merge tests (default 0.01)")
    .option("--min-count <n>", "minimum observations behind a test (default 8)")
    .option("--max-rounds <n>", "refinement rounds at most (default 3)")
    .option(
      "--max-calls <n>",
      "answer calls per step at most under the learned consult rule: 1 (none), 2 or 3 (default 3)",
    );
}

function phaseIO(log: string, phase: string, progress: boolean): PhaseIO {
  return { log: new LearningLog(log, newRunId(phase)), progress: progress ? autoProgress() : silentProgress };
}

function printCost(io: PhaseIO): void {
  process.stdout.write(`${formatLearningCost(learningCost(readLog(io.log.path), io.log.run))}\n`);
}

/**
 * The learning log of a phase command writing `out` as `artefact`: the log of the learn run whose artefact has that
 * name (`H.learn/split.json`, `H.full.json`, `H.json`: `H.learn/learning.log.jsonl`, as `learn --out H.json`
 * logs), else one beside `out`.
 */
function defaultLog(artefact: Exclude<keyof Artefacts, "work">, out: string): string {
  const run = runOutOf(artefact, out);
  return run !== undefined ? artefactPaths(run).log : join(dirname(resolve(out)), "learning.log.jsonl");
}

/** The thread of a learning run: one per output file unless named. */
function threadOf(out: string, thread?: string): string {
  return thread ?? `learn-${createHash("sha256").update(resolve(out)).digest("hex").slice(0, 12)}`;
}

interface LearnFlags extends CommonFlags, LiveLearnFlags {
  out: string;
  checkpoint?: string;
  thread?: string;
  stopAfter?: string;
}

function kindOf(path: string): "missing" | "directory" | "file" {
  try {
    return statSync(path).isDirectory() ? "directory" : "file";
  } catch {
    return "missing";
  }
}

/**
 * Refuse what would fail late, before any phase runs or the learning model is called: an output path that is a
 * directory (or a work directory that is a file), records that do not load or hold no record, a pool that does not
 * load, a learning model the pool does not hold. The records and pool are loaded here once; the phases reuse them.
 */
export async function checkLearnInput(s: LearningSettings, out: string): Promise<void> {
  const paths = artefactPaths(out);
  for (const [what, path] of [
    ["--out", paths.chosen],
    ["the full handbook beside --out", paths.full],
    ["the selection beside --out", paths.selection],
  ] as const)
    if (kindOf(path) === "directory")
      throw new InputError(`${path}: is a directory; ${what} must be a file to write the handbook to`);
  if (kindOf(paths.work) === "file")
    throw new InputError(`${paths.work}: is a file; learning needs it as its work directory beside --out`);
  if (kindOf(s.records) === "directory")
    throw new InputError(`${s.records}: is a directory; --records must be a records file (JSONL)`);
  if (s.pool !== undefined) loadPool(s.pool); // one line for a missing or bad pool file, before the records are read
  const data = await loadData(s.records, s.pool);
  if (data.records === 0)
    throw new InputError(`${s.records}: no records to learn from (the --records file has no record lines)`);
  if (data.items.length === 0)
    throw new InputError(`${s.records}: no single-call records to learn from (every record is a step of a trajectory)`);
  if (s.llm !== undefined) {
    if (!data.pool) throw new InputError(`--llm ${s.llm}: needs --pool (the learning model is a pool agent)`);
    const spec = data.pool.agents.find((a) => a.id === s.llm);
    if (!spec) throw new InputError(`--llm: no agent "${s.llm}" in the pool ${s.pool}`);
    if (spec.provider !== "openai")
      throw new InputError(
        `--llm: agent "${s.llm}" has provider ${spec.provider}; the learning model needs provider openai`,
      );
  }
}

/** Run the learning graph; returns the exit code. */
export async function runLearn(f: LearnFlags): Promise<number> {
  const s = settingsFrom(f);
  if (f.stopAfter !== undefined && !(PHASES as readonly string[]).includes(f.stopAfter))
    throw new InputError(`--stop-after: unknown phase "${f.stopAfter}" (use ${PHASES.join(", ")})`);
  // Replay evaluation runs the phases in a worker: it boots while the input is checked.
  if ((f.evaluate ?? "replay") === "replay") prestartWorker();
  await checkLearnInput(s, f.out);
  const { liveEvaluation } = await import("./learn-live.js");
  const evaluateCandidate = await liveEvaluation(f, s, f.out);
  const checkpointer: BaseCheckpointSaver | undefined = f.checkpoint
    ? SqliteSaver.fromConnString(f.checkpoint)
    : undefined;
  const g = buildLearningGraph({
    progress: f.progress ? autoProgress() : silentProgress,
    ...(evaluateCandidate ? { evaluateCandidate } : {}),
  }).compile({
    ...(checkpointer ? { checkpointer } : {}),
    ...(f.stopAfter ? { interruptAfter: [f.stopAfter as Phase] } : {}),
  });
  const { input, context } = learningRun(s, f.out);
  const config = {
    configurable: { thread_id: threadOf(f.out, f.thread) },
    // Each phase's checkpoint is on disk before the next phase starts, so a kill loses at most the phase under way.
    durability: "sync" as const,
    context,
  };
  let resume = false;
  if (checkpointer) {
    const snapshot = await g.getState(config);
    resume = snapshot.next.length > 0;
    if (resume)
      process.stderr.write(`learn: resuming thread ${config.configurable.thread_id} at ${snapshot.next.join(", ")}\n`);
  }
  const final = await g.invoke(resume ? null : input, config);
  const paths = artefactPaths(f.out);
  if (!final.cost) {
    const snapshot = checkpointer ? await g.getState(config) : undefined;
    process.stdout.write(
      `learn: stopped after ${f.stopAfter}${snapshot?.next.length ? `; next: ${snapshot.next.join(", ")}` : ""}. ` +
        `Run the same command${f.stopAfter ? " without --stop-after" : ""} to resume.\n`,
    );
    return 0;
  }
  const h = loadHandbook(paths.chosen);
  const sel = h.metadata.learning.selection as { chosen?: string; reason?: string; lambda?: number } | undefined;
  process.stdout.write(
    `learn: wrote ${paths.chosen} (chosen: ${sel?.chosen ?? "?"}, ${Object.keys(h.skills).length} skills` +
      `${sel?.lambda !== undefined ? `, routed at λ=${sel.lambda.toPrecision(4)}` : ""}), ${paths.full}, ${paths.selection}; ` +
      `log ${paths.log}\n`,
  );
  if (sel?.reason) process.stdout.write(`select: ${sel.reason}\n`);
  const consult = consultLine(h);
  if (consult) process.stdout.write(`${consult}\n`);
  process.stdout.write(`${formatLearningCost(final.cost)}\n`);
  if (evaluateCandidate)
    process.stdout.write(`select: live validation runs cost $${evaluateCandidate.spentUsd().toFixed(6)}\n`);
  return 0;
}

/** What the consult rule learned, in one line (none: the records carried no responses). */
function consultLine(h: Handbook): string | undefined {
  const rule = h.consult;
  if (!rule) return undefined;
  const scopes = Object.keys(rule.plans).length;
  return `consult: up to ${rule.maxCalls} answer calls per step, plans for ${scopes} scope(s)${rule.chosenBy ? `; ${rule.chosenBy}` : ""}`;
}

export function learnCommand(): Command {
  const learn = tuning(
    common(
      new Command("learn").description(
        "learn a Skill Handbook from execution records (explore → discover → profile → refine → select)",
      ),
    ),
  )
    .option("--out <file>", "chosen handbook (JSON); the full one, the selection and a work directory go beside it")
    .option("--labelled <n>", 'labelled queries per task ("all" or a number; default all)')
    .option("--validation <n>", "validation queries per task: a count, or a share below 1 (default 0.25)")
    .option("--budget <usd>", "select the most accurate candidate with mean cost per query <= this")
    .option("--llm <agent>", "pool agent id of the learning model (provider openai); default: statistical, no LLM")
    .option(
      "--checkpoint <file>",
      "SQLite checkpoint file: a killed or stopped run resumes from its last finished phase",
    )
    .option("--thread <id>", "checkpoint thread (default: one per --out path)")
    .option(
      "--evaluate <how>",
      "how select weighs candidates: replay (the records, default) or live (the orchestrator graph on the validation tasks with the real pool)",
    )
    .option("--tasks <file>", "--evaluate live: the tasks file (with references) holding the explored tasks")
    .option("--corpus <file>", "--evaluate live: the search corpus (JSONL of {id, title, text})")
    .option("--evaluate-max-usd <usd>", "--evaluate live: USD cap of the validation runs")
    .option(
      "--stop-after <phase>",
      `stop after a phase (${PHASES.join(", ")}); run again to resume (needs --checkpoint)`,
    )
    .action(async (f: LearnFlags) => {
      if (!f.out) throw new InputError("learn: --out <file> is required");
      if (f.stopAfter && !f.checkpoint) throw new InputError("--stop-after: needs --checkpoint to resume from");
      process.exitCode = await runLearn(f);
    });

  return learn;
}

/**
 * The phases as commands of their own (siblings of `learn`): `split`, `discover`, `profile`, `refine`, `select`.
 * Each reads and writes plain JSON artefacts and appends to a learning log.
 */
export function learnPhaseCommands(): Command[] {
  const out: Command[] = [];
  out.push(
    common(new Command("split").description("phase 1: the labelled split by query (per task, seeded)"))
      .requiredOption("--out <file>", "split artefact (JSON)")
      .option("--labelled <n>", "labelled queries per task (default all)")
      .option("--validation <n>", "validation queries per task: a count, or a share below 1 (default 0.25)")
      .option(
        "--log <file>",
        "learning log (JSONL, appended; default: the learn run's when --out has its name, else beside --out)",
      )
      .action(async (f: CommonFlags & { out: string; log?: string }) => {
        const io = phaseIO(f.log ?? defaultLog("split", f.out), "split", f.progress);
        const sp = await runSplit(settingsFrom(f), io, f.out);
        process.stdout.write(
          `split: ${sp.train.length} training and ${sp.validationIds.length} validation queries (${Object.keys(sp.counts).length} ${sp.strata === "task" ? "tasks" : "clusters"}) → ${f.out}\n`,
        );
        printCost(io);
      }),
  );
  out.push(
    common(new Command("discover").description("phase 2: discover skills per mode (statistical, or with --llm)"))
      .requiredOption("--out <file>", "skills artefact (JSON)")
      .option("--split <file>", "split artefact (default: every record is training)")
      .option("--llm <agent>", "pool agent id of the learning model")
      .option(
        "--log <file>",
        "learning log (JSONL, appended; default: the learn run's when --out has its name, else beside --out)",
      )
      .action(async (f: CommonFlags & { out: string; split?: string; log?: string }) => {
        const io = phaseIO(f.log ?? defaultLog("skills", f.out), "discover", f.progress);
        const sk = await runDiscover(settingsFrom(f), io, f.split ? readSplit(f.split) : undefined, f.out);
        process.stdout.write(`discover (${sk.discoverer}): ${sk.skills.length} categories and skills → ${f.out}\n`);
        printCost(io);
      }),
  );
  out.push(
    common(
      new Command("profile").description("phase 3: identify active skills per training trace and profile the agents"),
    )
      .requiredOption("--skills <file>", "skills artefact from discover")
      .requiredOption("--out <file>", "profiled handbook (JSON)")
      .option("--split <file>", "split artefact (default: every record is training)")
      .option(
        "--log <file>",
        "learning log (JSONL, appended; default: the learn run's when --out has its name, else beside --out)",
      )
      .action(async (f: CommonFlags & { out: string; split?: string; skills: string; log?: string }) => {
        const io = phaseIO(f.log ?? defaultLog("profiled", f.out), "profile", f.progress);
        const h = await runProfile(
          settingsFrom(f),
          io,
          f.split ? readSplit(f.split) : undefined,
          readSkills(f.skills),
          f.out,
        );
        process.stdout.write(
          `profile: ${Object.keys(h.agents).length} agents over ${Object.keys(h.skills).length} skills → ${f.out}\n`,
        );
        printCost(io);
      }),
  );
  out.push(
    tuning(
      common(
        new Command("refine").description(
          "phase 4: split and merge skills, each kept only if validation does not drop",
        ),
      ),
    )
      .requiredOption("--split <file>", "split artefact (validation queries)")
      .requiredOption("--handbook <file>", "profiled handbook")
      .requiredOption("--out <file>", "refined (full) handbook")
      .option(
        "--report <file>",
        "refinement report (JSON; default for --out H.full.json: H.learn/refine.json, as learn writes it)",
      )
      .option("--llm <agent>", "pool agent id of the learning model (names new skills)")
      .option(
        "--log <file>",
        "learning log (JSONL, appended; default: the learn run's when --out has its name, else beside --out)",
      )
      .action(
        async (f: CommonFlags & { out: string; split: string; handbook: string; report?: string; log?: string }) => {
          const io = phaseIO(f.log ?? defaultLog("full", f.out), "refine", f.progress);
          // As learn writes it: the report of a run's full handbook `H.full.json` goes to `H.learn/refine.json`.
          const run = runOutOf("full", f.out);
          const reportPath = f.report ?? (run !== undefined ? artefactPaths(run).refineReport : undefined);
          const { report } = await runRefine(
            settingsFrom(f),
            io,
            readSplit(f.split),
            loadHandbook(f.handbook),
            f.out,
            reportPath,
          );
          const kept = report.steps.filter((x) => x.kept).length;
          process.stdout.write(
            `refine: ${report.rounds} round(s), ${kept} refinement(s) kept, ${report.steps.length - kept} rolled back → ${f.out}\n`,
          );
          printCost(io);
        },
      ),
  );
  out.push(
    tuning(
      common(
        new Command("select").description(
          "phase 5: candidate sub-handbooks by granularity, Pareto frontier, choice by λ or budget",
        ),
      ),
    )
      .requiredOption("--split <file>", "split artefact (validation queries)")
      .requiredOption("--handbook <file>", "full handbook")
      .requiredOption("--out <file>", "chosen handbook")
      .option("--selection <file>", "candidates, frontier and choice (JSON; default beside --out)")
      .option("--budget <usd>", "select the most accurate candidate with mean cost per query <= this")
      .option(
        "--log <file>",
        "learning log (JSONL, appended; default: the learn run's when --out has its name, else beside --out)",
      )
      .action(
        async (f: CommonFlags & { out: string; split: string; handbook: string; selection?: string; log?: string }) => {
          const io = phaseIO(f.log ?? defaultLog("chosen", f.out), "select", f.progress);
          const selectionPath = f.selection ?? artefactPaths(f.out).selection;
          const { selection } = await runSelect(settingsFrom(f), io, readSplit(f.split), loadHandbook(f.handbook), {
            chosen: f.out,
            selection: selectionPath,
          });
          for (const c of selection.candidates)
            process.stdout.write(
              `  ${c.id.padEnd(12)} accuracy ${c.evaluation.accuracy.toFixed(4)}  mean cost $${c.evaluation.meanCostUsd.toExponential(3)}${c.evaluation.costEstimated ? " (estimated)" : ""}${c.onFrontier ? "  frontier" : ""}${c.id === selection.chosen ? "  chosen" : ""}\n`,
            );
          process.stdout.write(`select: ${selection.reason} → ${f.out}, ${selectionPath}\n`);
          const consult = consultLine(loadHandbook(f.out));
          if (consult) process.stdout.write(`${consult}\n`);
          printCost(io);
        },
      ),
  );
  return out;
}
