import type { ResourceLimits, Worker } from "node:worker_threads";
import { InputError } from "../core/errors.js";
import type { CandidateEvaluator } from "./choose.js";
import type { Handoff } from "./pipeline.js";
import { runPhase, type PhaseJob, type PhaseName, type PhaseOutcome } from "./phases.js";
import type { PhaseProgress, ProgressFactory } from "./progress.js";
import { entryBeside, startWorker } from "./worker-start.js";

/**
 * Where the learning graph's phases run. In this thread (inlineRunner): the caller's handoff and live evaluator
 * work, and the event loop waits for each phase. In a worker thread (workerRunner): one worker per learning run,
 * started at its first phase and ended after its report, on its first error, when the run is aborted, or when it
 * has been idle IDLE_MS (a run interrupted between phases); the thread that invokes the graph (a LangGraph server's
 * event loop) stays free to answer while the worker learns.
 */

export interface PhaseRunner {
  /** Run one job; its progress goes to `progress`; aborting `signal` ends it (and its worker) with the reason. */
  run(job: PhaseJob, progress: ProgressFactory, signal?: AbortSignal): Promise<PhaseOutcome>;
}

/** Phases in this thread, with the run's handoff and the evaluator of select's candidates, if any. */
export function inlineRunner(opts: {
  handoff: Handoff;
  ownHandoff: boolean;
  evaluateCandidate?: CandidateEvaluator;
}): PhaseRunner {
  return {
    run(job, progress, signal) {
      signal?.throwIfAborted();
      return runPhase(job, { progress, ...opts });
    },
  };
}

/** What the worker is sent: one job at a time. */
export interface ToWorker {
  id: number;
  job: PhaseJob;
}

/** What the worker sends back about a job. */
export type FromWorker =
  | { type: "progress"; id: number; phase: string; done: number; total: number }
  | { type: "end"; id: number; phase: string }
  | { type: "done"; id: number; outcome: PhaseOutcome }
  | { type: "failed"; id: number; error: { name: string; message: string; stack?: string } };

/** A worker left idle this long between a run's phases is ended (the next phase starts another, from the files). */
export const IDLE_MS = 30_000;

export interface WorkerRunnerOptions {
  /** Idle time after which a run's worker is ended; default IDLE_MS. */
  idleMs?: number;
  /** The worker's heap limits (tests give a small one). */
  resourceLimits?: ResourceLimits;
}

export interface WorkerRunner extends PhaseRunner {
  /** Workers alive now (one per run with a phase under way or idle between phases). */
  live(): number;
  /** End every worker. */
  close(): Promise<void>;
}

/** The worker's entry beside this module: phase-worker.ts under tsx, phase-worker.js when compiled. */
const ENTRY = entryBeside(import.meta.url, "phase-worker");

/** A worker started ahead of its run (prestartWorker), for the next run a worker runner opens. */
let spare: { worker: Worker; limits: string } | undefined;

/**
 * Start the next learning run's worker now, so that it loads its modules while the caller does other work (`learn`
 * checks its input meanwhile). The next run that any worker runner with the same heap limits opens takes it. Until
 * then it keeps nothing alive, and one that dies unused is forgotten.
 */
export function prestartWorker(resourceLimits?: ResourceLimits): void {
  if (spare) return;
  const worker = startWorker(ENTRY, resourceLimits ? { resourceLimits } : {});
  worker.unref();
  const mine = { worker, limits: JSON.stringify(resourceLimits ?? null) };
  const forget = () => {
    if (spare === mine) spare = undefined;
  };
  worker.once("error", forget);
  worker.once("exit", forget);
  spare = mine;
}

/** The spare worker waiting for a run, if any. */
export function spareWorker(): Worker | undefined {
  return spare?.worker;
}

/** The spare worker, when it has these limits (taken: the caller owns it). */
function takeSpare(resourceLimits?: ResourceLimits): Worker | undefined {
  if (!spare || spare.limits !== JSON.stringify(resourceLimits ?? null)) return undefined;
  const { worker } = spare;
  spare = undefined;
  return worker;
}

/** The error a job failed with, as the phase would have thrown it in this thread (same class for InputError, same message). */
function rebuilt(e: { name: string; message: string; stack?: string }): Error {
  const err = e.name === "InputError" ? new InputError(e.message) : new Error(e.message);
  if (err.name !== e.name) Object.defineProperty(err, "name", { value: e.name, configurable: true });
  if (e.stack) err.stack = e.stack;
  return err;
}

interface Pending {
  id: number;
  phase: PhaseName;
  progress: ProgressFactory;
  reporters: Map<string, PhaseProgress>;
  resolve: (o: PhaseOutcome) => void;
  reject: (e: unknown) => void;
}

interface Session {
  worker: Worker;
  pending?: Pending;
  idle?: NodeJS.Timeout;
  ended: boolean;
}

/** Phases in worker threads: one per learning run (by run id). */
export function workerRunner(opts: WorkerRunnerOptions = {}): WorkerRunner {
  const idleMs = opts.idleMs ?? IDLE_MS;
  const sessions = new Map<string, Session>();
  let nextId = 1;

  const end = (run: string, s: Session): Promise<unknown> => {
    if (s.ended) return Promise.resolve();
    s.ended = true;
    if (s.idle) clearTimeout(s.idle);
    if (sessions.get(run) === s) sessions.delete(run);
    return s.worker.terminate();
  };

  /** The job under way fails with `err`, and the run's worker is ended. */
  const fail = (run: string, s: Session, err: unknown) => {
    const p = s.pending;
    s.pending = undefined;
    void end(run, s);
    p?.reject(err);
  };

  const open = (run: string): Session => {
    const worker =
      takeSpare(opts.resourceLimits) ??
      startWorker(ENTRY, opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {});
    const s: Session = { worker, ended: false };
    worker.on("message", (m: FromWorker) => {
      const p = s.pending;
      if (!p || m.id !== p.id) return;
      if (m.type === "progress" || m.type === "end") {
        let r = p.reporters.get(m.phase);
        if (!r) p.reporters.set(m.phase, (r = p.progress(m.phase)));
        if (m.type === "progress") r.update(m.done, m.total);
        else r.end();
        return;
      }
      s.pending = undefined;
      if (m.type === "failed") {
        void end(run, s);
        p.reject(rebuilt(m.error));
        return;
      }
      if (p.phase === "report") void end(run, s);
      else {
        // Between phases the worker keeps the run's handoff, but neither it nor its timer keeps the process alive.
        worker.unref();
        s.idle = setTimeout(() => void end(run, s), idleMs);
        s.idle.unref();
      }
      p.resolve(m.outcome);
    });
    worker.on("error", (err) => fail(run, s, new Error(`learning worker: ${firstLine(err)}`)));
    worker.on("exit", (code) => {
      if (s.pending) fail(run, s, new Error(`learning worker: exited with code ${code} during ${s.pending.phase}`));
      else void end(run, s);
    });
    sessions.set(run, s);
    return s;
  };

  return {
    run(job, progress, signal) {
      signal?.throwIfAborted();
      const s = sessions.get(job.run) ?? open(job.run);
      if (s.pending) return Promise.reject(new Error(`learning run ${job.run}: ${s.pending.phase} is still running`));
      if (s.idle) clearTimeout(s.idle);
      s.idle = undefined;
      s.worker.ref();
      return new Promise<PhaseOutcome>((resolve, reject) => {
        const id = nextId++;
        const onAbort = () => fail(job.run, s, signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        const settle =
          <T>(f: (v: T) => void) =>
          (v: T) => {
            signal?.removeEventListener("abort", onAbort);
            f(v);
          };
        s.pending = {
          id,
          phase: job.phase,
          progress,
          reporters: new Map(),
          resolve: settle(resolve),
          reject: settle(reject),
        };
        s.worker.postMessage({ id, job } satisfies ToWorker);
      });
    },
    live: () => sessions.size,
    async close() {
      const ending = [...sessions].map(([run, s]) => {
        const done = end(run, s);
        s.pending?.reject(new Error("learning worker: closed"));
        s.pending = undefined;
        return done;
      });
      await Promise.all(ending);
    },
  };
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0] ?? "";
}
