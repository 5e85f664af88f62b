import { resolve } from "node:path";
import { Command } from "commander";
import { InputError } from "../core/errors.js";
import { type FeedbackFieldNames, recordFeedback } from "../records/feedback.js";
import type { OutcomeRecord } from "../records/run-records.js";
import { FileRunRecords, recordsStoreName, type RunRecordsSink, StoreRunRecords } from "../records/run-sink.js";

interface FeedbackFlags {
  thread?: string;
  score?: string;
  step?: string;
  records?: string;
  store?: string;
  json?: boolean;
}

/** The flags named in messages. */
const FLAGS: FeedbackFieldNames = {
  thread: "--thread",
  step: "--step",
  score: "--score",
  weight: "--weight",
  source: "--source",
};

const STORE_HELP =
  "with --records store:NAME: the store (postgres://…, a LangGraph server's http(s)://…, or a store file; default DATABASE_URI or POSTGRES_URI when set, else .skillorchestra/handbooks.json)";

/** The flags as a feedback, checked: one InputError naming the flag, before any file or store is opened. */
export function feedbackOf(o: FeedbackFlags): { thread: string; score: number; step?: number; records: string } {
  if (o.records === undefined || o.records === "")
    throw new InputError("--records: give the run-records file or store:NAME the run wrote to (run --records)");
  if (o.thread === undefined || o.thread === "") throw new InputError("--thread: give the thread id of a recorded run");
  const score = o.score === undefined || o.score.trim() === "" ? Number.NaN : Number(o.score);
  if (!(score >= 0 && score <= 1))
    throw new InputError(
      o.score === undefined
        ? "--score: give a score in [0, 1]"
        : `--score: must be a number in [0, 1], got "${o.score}"`,
    );
  let step: number | undefined;
  if (o.step !== undefined) {
    step = o.step.trim() === "" ? Number.NaN : Number(o.step);
    if (!(Number.isInteger(step) && step >= 0))
      throw new InputError(`--step: must be a whole number >= 0, got "${o.step}"`);
  }
  if (o.store !== undefined && recordsStoreName(o.records, "--records") === undefined)
    throw new InputError("--store: only with --records store:NAME");
  return { thread: o.thread, score, ...(step !== undefined ? { step } : {}), records: o.records };
}

const what = (o: Pick<OutcomeRecord, "thread" | "step">) =>
  `thread ${o.thread}, ${o.step === undefined ? "the whole run" : `step ${o.step}`}`;

async function feedback(o: FeedbackFlags): Promise<void> {
  const f = feedbackOf(o);
  const name = recordsStoreName(f.records, "--records");
  const opened = name === undefined ? undefined : await (await import("../registry/open.js")).openStore(o.store);
  try {
    const sink: RunRecordsSink = opened
      ? new StoreRunRecords(opened.store, name as string)
      : new FileRunRecords(resolve(f.records));
    const { thread, score, step } = f;
    const r = await recordFeedback(sink, { thread, score, ...(step !== undefined ? { step } : {}) }, FLAGS);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    const kept = r.existing ?? r.outcome;
    process.stdout.write(
      r.recorded
        ? `recorded score ${kept.score} (${kept.source}, weight ${kept.weight}) for ${what(kept)} in ${r.where}\n`
        : `already recorded: score ${kept.score} (${kept.source}, at ${kept.at}) for ${what(kept)} in ${r.where}; nothing written\n`,
    );
  } finally {
    await opened?.close();
  }
}

/**
 * `skillorchestra feedback --thread ID --score S [--step N] --records FILE|store:NAME`: the outcome of a recorded run
 * (one that `run --records` or a deployed graph with context `records` wrote), for online learning. The same feedback
 * twice is a no-op that says so; an unknown thread or step is refused and nothing is written.
 */
export function feedbackCommand(): Command {
  return new Command("feedback")
    .description("Record the outcome (a score in [0, 1]) of a recorded run, or of one of its steps")
    .option("--thread <id>", "the thread id of the run (run prints it)")
    .option("--score <s>", "the score, in [0, 1]")
    .option("--step <n>", "the step scored (0, 1, …); default the whole run")
    .option("--records <target>", "the run-records JSONL file the run wrote to, or store:NAME")
    .option("--store <url>", STORE_HELP)
    .option("--json", "print the result as JSON")
    .action((o: FeedbackFlags) => feedback(o));
}
