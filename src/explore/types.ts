import type { Mode, ToolMode } from "../core/modes.js";
import type { Agent } from "../providers/types.js";
import type { ExecutionRecordInput } from "../records/schema.js";

/** A query to explore. */
export interface ExploreTask {
  id: string;
  text: string;
  family?: string;
  references?: string[];
  /** How answers to it are scored (default `em`). */
  metric?: string;
  /** Tool modes a trajectory runs before answering, in order; absent: every tool mode on offer. */
  modes?: ToolMode[];
}

/**
 * Turns one (agent, task, mode) into one execution record. `applies` says whether the pair makes sense at all (e.g.
 * a search for a task whose plan has no search step): pairs it rejects are not run and not recorded.
 */
export interface Runner {
  readonly name: string;
  applies(agent: Agent, task: ExploreTask, mode: Mode): boolean;
  run(agent: Agent, task: ExploreTask, mode: Mode, options?: { signal?: AbortSignal }): Promise<ExecutionRecordInput>;
}

export interface ExploreProgress {
  /** Pairs finished in this run (written or failed). */
  done: number;
  /** Pairs this run has to do (excluding those already in the file). */
  total: number;
  /** Pairs found already in the file when the run started. */
  resumed: number;
  failed: number;
  /** USD of the records written in this run. */
  costUsd: number;
  costEstimated: boolean;
  simulated: boolean;
  elapsedMs: number;
  /** Model calls made in this run (trajectory exploration). */
  calls?: number;
  /** The exploration's USD cap, and what all its runs have spent against it. */
  capUsd?: number;
  spentUsd?: number;
}

export interface ExploreOptions {
  agents: readonly Agent[];
  tasks: readonly ExploreTask[];
  /** Modes to explore (each agent in those it serves); default all. */
  modes?: readonly Mode[];
  /** Default: by provider (replay → replayRunner, sim tasks → simRunner, openai → answerRunner). */
  run?: Runner;
  /** Records file (JSONL); appended to, and resumed when it exists. */
  out: string;
  /** Pairs run at once (default 2). */
  concurrency?: number;
  /** "auto" (default): a bar on a TTY outside CI, plain lines otherwise; false: silent; a function: called per pair. */
  progress?: boolean | "auto" | ((p: ExploreProgress) => void);
  /** Stop starting new pairs when aborted; pairs under way finish and are written. */
  signal?: AbortSignal;
}

export interface ExploreFailure {
  queryId: string;
  agent: string;
  mode: Mode;
  error: string;
}

export interface ExploreSummary {
  /** Applicable (query, agent, mode) pairs. */
  pairs: number;
  /** Pairs already in the file when the run started (skipped). */
  resumed: number;
  /** Records written in this run. */
  written: number;
  /** (agent, task, mode) combinations the runner does not apply to. */
  notApplicable: number;
  failures: ExploreFailure[];
  costUsd: number;
  costEstimated: boolean;
  simulated: boolean;
  /** True when the signal stopped the run before every pair was done. */
  interrupted: boolean;
}
