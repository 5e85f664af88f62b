import pLimit from "p-limit";
import { MODES, type Mode } from "../core/modes.js";
import type { Agent } from "../providers/types.js";
import { RecordWriter } from "../records/io.js";
import { recordKey, type ExecutionRecordInput } from "../records/schema.js";
import { progressSink } from "./progress.js";
import { defaultRunner } from "./runners.js";
import type { ExploreOptions, ExploreProgress, ExploreSummary, ExploreTask } from "./types.js";

interface Job {
  agent: Agent;
  task: ExploreTask;
  mode: Mode;
  key: string;
}

type Outcome = { record: ExecutionRecordInput } | { error: string };

/** The (task, agent, mode) pairs to run, in a fixed order: tasks, then agents, then modes (search, code, answer). */
export function explorePairs(
  options: Pick<ExploreOptions, "agents" | "tasks" | "modes">,
  runner: ExploreOptions["run"] & {},
) {
  const modes = MODES.filter((m) => (options.modes ?? MODES).includes(m));
  const jobs: Job[] = [];
  let notApplicable = 0;
  for (const task of options.tasks)
    for (const agent of options.agents)
      for (const mode of modes) {
        if (!agent.spec.modes.includes(mode)) continue;
        if (!runner.applies(agent, task, mode)) {
          notApplicable++;
          continue;
        }
        jobs.push({
          agent,
          task,
          mode,
          key: recordKey({ queryId: task.id, agent: agent.spec.id, mode, step: undefined }),
        });
      }
  return { jobs, notApplicable };
}

/**
 * Run every agent on every task in each mode it serves among `modes`, one record per (query, agent, mode), appended
 * to `out`. An interrupted run resumes: pairs whose key is already in the file are skipped. Records are appended
 * in pair order whatever order they finish in, so the same inputs give the same file, byte for byte.
 * A pair that fails is reported in `failures` (and not written, so a later run retries it).
 */
export async function explore(options: ExploreOptions): Promise<ExploreSummary> {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`explore: concurrency must be a whole number >= 1, got ${concurrency}`);
  const runner = options.run ?? defaultRunner();
  const { jobs, notApplicable } = explorePairs(options, runner);
  const writer = await RecordWriter.open(options.out);
  const todo = jobs.filter((j) => !writer.has(j.key));
  const resumed = jobs.length - todo.length;
  const sink = progressSink(options.progress ?? "auto");
  const started = Date.now();
  const summary: ExploreSummary = {
    pairs: jobs.length,
    resumed,
    written: 0,
    notApplicable,
    failures: [],
    costUsd: 0,
    costEstimated: false,
    simulated: false,
    interrupted: false,
  };
  const progress = (): ExploreProgress => ({
    done: summary.written + summary.failures.length,
    total: todo.length,
    resumed,
    failed: summary.failures.length,
    costUsd: summary.costUsd,
    costEstimated: summary.costEstimated,
    simulated: summary.simulated,
    elapsedMs: Date.now() - started,
  });

  // Finished pairs wait here until every pair before them is written.
  const outcomes = new Map<number, Outcome>();
  let next = 0;
  let flushing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    for (let o = outcomes.get(next); o !== undefined; o = outcomes.get(next)) {
      const job = todo[next]!;
      outcomes.delete(next);
      next++;
      if ("error" in o)
        summary.failures.push({ queryId: job.task.id, agent: job.agent.spec.id, mode: job.mode, error: o.error });
      else {
        await writer.append(o.record);
        summary.written++;
        summary.costUsd += o.record.costUsd;
        summary.costEstimated ||= o.record.costEstimated ?? false;
        summary.simulated ||= o.record.simulated ?? false;
      }
      sink.update(progress());
    }
  };

  const limit = pLimit(concurrency);
  try {
    await Promise.all(
      todo.map((job, i) =>
        limit(async () => {
          let outcome: Outcome;
          if (options.signal?.aborted) {
            summary.interrupted = true;
            return;
          }
          try {
            const record = await runner.run(
              job.agent,
              job.task,
              job.mode,
              options.signal ? { signal: options.signal } : {},
            );
            const key = recordKey({
              queryId: record.queryId,
              agent: record.agent,
              mode: record.mode,
              step: record.step,
            });
            if (key !== job.key)
              throw new Error(
                `runner ${runner.name} returned a record for (${record.queryId}, ${record.agent}, ${record.mode}, step ${record.step ?? "-"}), not for (${job.task.id}, ${job.agent.spec.id}, ${job.mode})`,
              );
            outcome = { record };
          } catch (err) {
            if (options.signal?.aborted) {
              summary.interrupted = true;
              return;
            }
            outcome = { error: err instanceof Error ? err.message : String(err) };
          }
          outcomes.set(i, outcome);
          flushing = flushing.then(flush);
          await flushing;
        }),
      ),
    );
    if (summary.interrupted) {
      // Pairs that finished after a gap left by the interruption are written too, still in pair order.
      for (const i of [...outcomes.keys()].sort((a, b) => a - b)) {
        next = i;
        await flush();
      }
    }
  } finally {
    sink.end(progress());
    await writer.close();
  }
  return summary;
}
