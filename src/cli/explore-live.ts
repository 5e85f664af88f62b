/**
 * `explore --tasks FILE` with a pool of model agents (openai provider): whole trajectories through the orchestrator
 * graph, one mode's agent varied at a time (src/explore/trajectories.ts), under a USD cap, with a dry run.
 */
import { LocalSearch, readCorpus } from "../../tools/search/index.js";
import { InputError } from "../core/errors.js";
import { TOOL_MODES, type Mode } from "../core/modes.js";
import { answerScorer, graphTrajectoryRunner } from "../eval/live.js";
import { referenceAgents } from "../explore/assignments.js";
import { REPLY_TOKENS } from "../explore/estimate.js";
import { formatCost } from "../explore/progress.js";
import {
  exploreTrajectories,
  planExploration,
  type ExplorationPlan,
  type ExploreTrajectoriesOptions,
} from "../explore/trajectories.js";
import type { ExploreTask } from "../explore/types.js";
import type { Pool } from "../pool/schema.js";
import { buildAgents } from "../providers/index.js";
import { resolveEndpoint } from "../providers/openai.js";

export interface LiveExploreInput {
  pool: Pool;
  poolPath: string;
  tasks: ExploreTask[];
  modes: Mode[];
  out: string;
  corpus?: string;
  capUsd?: number;
  concurrency: number;
  maxSteps?: number;
  dryRun: boolean;
  progress: boolean;
  signal: AbortSignal;
}

/** Every openai agent's key variable is set (resolveEndpoint's check), else an InputError naming the pool file and field. */
export function checkKeys(pool: Pool, poolPath: string, env: NodeJS.ProcessEnv = process.env): void {
  pool.agents.forEach((a, i) => {
    if (a.provider !== "openai") return;
    try {
      resolveEndpoint(a, env);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(
        `${poolPath}: $.agents[${i}].openai.apiKeyEnv: ${err.message.replace(/^agent [^:]+: /, "")}`,
      );
    }
  });
}

const usd = (n: number) => `$${n.toFixed(n >= 0.01 ? 4 : 6)}`;

function planLines(p: ExplorationPlan, capUsd: number | undefined): string {
  const replies =
    p.replies === "seen"
      ? "reply lengths from the calls already made"
      : `reply lengths assumed (search ${REPLY_TOKENS.search}, code ${REPLY_TOKENS.code}, answer ${REPLY_TOKENS.answer} tokens)`;
  return [
    `explore: ${p.trajectories} trajectories to run, ${p.pairs} (task, agent, mode) pairs to write` +
      `${p.resumed ? ` (${p.resumed} already in the records)` : ""}`,
    `explore: estimated ${p.calls} calls, ${usd(p.costUsd)} (estimate: prompts as built, ${replies})`,
    ...(p.spentUsd > 0 ? [`explore: already spent ${usd(p.spentUsd)} by earlier runs`] : []),
    ...(capUsd !== undefined
      ? [
          `explore: cap ${usd(capUsd)}: ${p.spentUsd + p.costUsd <= capUsd ? "the estimate fits" : `the run stops at the cap, about ${usd(p.spentUsd + p.costUsd - capUsd)} short of finishing`}`,
        ]
      : []),
  ].join("\n");
}

/** Run (or with dryRun, estimate) a live exploration; returns the exit code. */
export async function runLiveExplore(i: LiveExploreInput): Promise<number> {
  checkKeys(i.pool, i.poolPath);
  const serving = (m: Mode) => i.pool.agents.filter((a) => a.modes.includes(m)).map((a) => a.id);
  if (!i.corpus && serving("search").length > 0 && i.modes.includes("search"))
    throw new InputError(
      `--corpus: the pool has search agents (${serving("search").join(", ")}); give the corpus (JSONL of {id, title, text}) or leave search out (--modes ${i.modes.filter((m) => m !== "search").join(",")})`,
    );
  const corpus = i.corpus ? (await readCorpus(i.corpus)).documents : undefined;
  if (corpus && corpus.length === 0) throw new InputError(`${i.corpus}: the corpus has no documents`);
  const search = corpus ? LocalSearch.fromDocuments(corpus) : undefined;
  const tools = TOOL_MODES.filter((m) => serving(m).length > 0 && (m !== "search" || search !== undefined));
  for (const t of i.tasks)
    for (const m of t.modes ?? [])
      if (!tools.includes(m))
        throw new InputError(
          `task ${t.id}: $.modes: ${m} cannot run (${m === "search" ? "no --corpus" : "no agent serves code"})`,
        );
  const agents = await buildAgents(i.pool);
  const options: ExploreTrajectoriesOptions = {
    agents: [...agents.values()],
    tasks: i.tasks,
    reference: referenceAgents(i.pool),
    modes: i.modes,
    defaultPlan: tools,
    run: graphTrajectoryRunner({ ...(search ? { search } : {}), ...(i.maxSteps ? { maxSteps: i.maxSteps } : {}) }),
    score: answerScorer,
    out: i.out,
    concurrency: i.concurrency,
    ...(i.capUsd !== undefined ? { capUsd: i.capUsd } : {}),
    ...(search ? { documents: (t: ExploreTask) => search.search(t.text, 5) } : {}),
    progress: i.progress ? "auto" : false,
    signal: i.signal,
  };
  const plan = await planExploration(options);
  if (i.dryRun) {
    process.stdout.write(`${planLines(plan, i.capUsd)}\nexplore: dry run: no model was called\n`);
    return 0;
  }
  const s = await exploreTrajectories(options);
  process.stdout.write(
    `explore: ${s.written} records written to ${i.out} (${s.resumed} already there), ` +
      `${s.callsMade} calls, cost ${formatCost({ costUsd: s.costUsdRun, costEstimated: s.costEstimated, simulated: s.simulated })}` +
      ` this run, ${usd(s.spentUsd)} in all` +
      `${s.capped ? `; stopped at the cap ${usd(i.capUsd!)}: ${s.left.trajectories} trajectories (${s.left.pairs} pairs, about ${usd(s.left.costUsd)}) left: raise --max-usd and run again to resume` : ""}` +
      `${s.interrupted ? "; interrupted: run again to resume" : ""}\n`,
  );
  for (const f of s.failures.slice(0, 5))
    process.stderr.write(`explore: failed: task ${f.queryId}, agents ${f.assignment}: ${f.error}\n`);
  if (s.failures.length > 5) process.stderr.write(`explore: ... and ${s.failures.length - 5} more failures\n`);
  return s.failures.length > 0 || s.interrupted || s.capped ? 1 : 0;
}
