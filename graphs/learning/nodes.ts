import { Handoff, newRunId } from "../../src/learning/pipeline.js";
import type { PhaseJob, PhaseName } from "../../src/learning/phases.js";
import { inlineRunner, workerRunner, type PhaseRunner } from "../../src/learning/phase-runner.js";
import {
  progressEvents,
  teeProgress,
  throttledProgress,
  type ProgressEvent,
  type ProgressFactory,
} from "../../src/learning/progress.js";
import type { CandidateEvaluator } from "../../src/learning/choose.js";
import { settingsOf, type LearningContextType } from "./configuration.js";
import type { LearningStateType, LearningUpdate } from "./state.js";

/** What the graph's builder is given: how to show progress, and the environment for the learning model's key. */
export interface NodeDeps {
  progress: ProgressFactory;
  env?: Record<string, string | undefined>;
  /** Evaluates select's candidates with the target orchestrator; absent: by replay of the recorded outcomes. */
  evaluateCandidate?: CandidateEvaluator;
  /**
   * How the phases of a run in this process hand each other the records and their artefacts in memory (each held
   * until the last node that reads it has run; a run resumed in another process reads the files). Given: the
   * caller's, which it takes the split, the chosen handbook and the selection from afterwards (eval). Absent: the
   * graph's own, emptied when a run starts and when it ends.
   */
  handoff?: Handoff;
  /**
   * Where the phases run: `worker`, a worker thread per run (src/learning/phase-runner.ts), so the thread that
   * invokes the graph stays free (a server answers while it learns); `thread`, this one. Default: `worker`, or
   * `thread` when a handoff or a candidate evaluator is given (neither leaves this thread).
   */
  runIn?: "worker" | "thread";
}

/** The nodes' wiring: the deps, with the handoff in use, whether it is the graph's own, and where phases run. */
export interface NodeWiring extends NodeDeps {
  handoff: Handoff;
  ownHandoff: boolean;
  runner: PhaseRunner;
  /** The runner is this thread's (its progress is throttled here for the stream; a worker throttles its own). */
  inThread: boolean;
}

export function wiring(deps: NodeDeps): NodeWiring {
  const handoff = deps.handoff ?? new Handoff();
  const ownHandoff = deps.handoff === undefined;
  const runIn = deps.runIn ?? (deps.handoff || deps.evaluateCandidate ? "thread" : "worker");
  if (runIn === "worker" && (deps.handoff || deps.evaluateCandidate))
    throw new Error(
      "learning graph: a handoff or a candidate evaluator needs runIn: thread (they stay in this thread)",
    );
  const runner =
    runIn === "worker"
      ? workerRunner()
      : inlineRunner({
          handoff,
          ownHandoff,
          ...(deps.evaluateCandidate ? { evaluateCandidate: deps.evaluateCandidate } : {}),
        });
  return { ...deps, handoff, ownHandoff, runner, inThread: runIn === "thread" };
}

interface Runtime {
  context?: Partial<LearningContextType>;
  /** LangGraph's writer of `custom` stream events. */
  writer?: (chunk: unknown) => void;
  signal?: AbortSignal;
}

/** How often the stream is told a phase's progress at most (a worker's own limit is the same). */
const STREAM_EVERY_MS = 200;

/** A phase's progress for the caller's reporter and, as `custom` events ({type: "progress", …}), for the stream. */
function progressOf(w: NodeWiring, runtime: Runtime): ProgressFactory {
  const writer = runtime.writer;
  if (!writer) return w.progress;
  const events = progressEvents((e: ProgressEvent) => writer(e));
  return teeProgress(w.progress, w.inThread ? throttledProgress(events, STREAM_EVERY_MS) : events);
}

/** Run one phase (or the report) where the wiring says, with the run's settings and the artefacts so far. */
async function runJob(w: NodeWiring, phase: PhaseName, state: LearningStateType, runtime: Runtime, run: string) {
  const job: PhaseJob = {
    phase,
    settings: settingsOf(state, runtime.context),
    out: state.out,
    run,
    artefacts: state.artefacts,
    ...(w.env ? { env: w.env } : {}),
  };
  return w.runner.run(job, progressOf(w, runtime), runtime.signal);
}

function phaseNode(w: NodeWiring, phase: Exclude<PhaseName, "report">) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const run = phase === "split" ? state.run || newRunId("learn") : state.run;
    const { artefacts, summary } = await runJob(w, phase, state, runtime, run);
    return {
      ...(phase === "split" ? { run } : {}),
      artefacts: artefacts ?? {},
      phases: [{ phase, summary: summary ?? {} }],
    };
  };
}

export const splitNode = (w: NodeWiring) => phaseNode(w, "split");
export const discoverNode = (w: NodeWiring) => phaseNode(w, "discover");
export const profileNode = (w: NodeWiring) => phaseNode(w, "profile");
export const refineNode = (w: NodeWiring) => phaseNode(w, "refine");
export const selectNode = (w: NodeWiring) => phaseNode(w, "select");

/** Sums the run's learning cost from its log and stores it in the chosen and full handbooks' metadata. */
export function reportNode(w: NodeWiring) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const { cost } = await runJob(w, "report", state, runtime, state.run);
    return { cost: cost ?? null };
  };
}
