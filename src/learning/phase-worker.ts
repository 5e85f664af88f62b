import { parentPort } from "node:worker_threads";
import { Handoff } from "./pipeline.js";
import type { FromWorker, ToWorker } from "./phase-runner.js";
import { runPhase } from "./phases.js";
import { throttledProgress, type ProgressFactory } from "./progress.js";

/**
 * The worker thread of one learning run (phase-runner.ts starts it): runs the run's phases one job at a time with a
 * handoff of its own, so the records and artefacts pass from phase to phase in memory here as they would in one
 * thread. Progress goes to the parent at most every PROGRESS_EVERY_MS per phase; a phase's error goes back as its
 * name and message (and stack), never as an exit.
 */

/** How often a phase's progress is posted at most (the parent streams what it is told). */
export const PROGRESS_EVERY_MS = 200;

const port = parentPort;
if (!port) throw new Error("src/learning/phase-worker: runs as a worker thread (started by phase-runner.ts)");

const handoff = new Handoff();
const post = (m: FromWorker) => port.postMessage(m);

port.on("message", async (m: ToWorker) => {
  const progress: ProgressFactory = throttledProgress(
    (phase) => ({
      update: (done, total) => post({ type: "progress", id: m.id, phase, done, total }),
      end: () => post({ type: "end", id: m.id, phase }),
    }),
    PROGRESS_EVERY_MS,
  );
  try {
    const outcome = await runPhase(m.job, { progress, handoff, ownHandoff: true });
    post({ type: "done", id: m.id, outcome });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({
      type: "failed",
      id: m.id,
      error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    });
  }
});
