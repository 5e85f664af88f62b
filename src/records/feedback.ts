import { InputError } from "../core/errors.js";
import {
  OUTCOME_SOURCES,
  RUN_OUTCOME_KIND,
  SOURCE_WEIGHT,
  type OutcomeRecord,
  type OutcomeSource,
  type StepRecord,
} from "./run-records.js";
import type { RunRecordsSink } from "./run-sink.js";

/** An outcome for a recorded run: its thread, a score, and optionally the one step it scores. */
export interface Feedback {
  thread: string;
  /** In [0, 1]. */
  score: number;
  /** The step scored; absent: the whole run. */
  step?: number;
  /** Default `feedback`. */
  source?: OutcomeSource;
  /** Evidence weight; default SOURCE_WEIGHT of the source. */
  weight?: number;
  note?: string;
  /** ISO time; default now. */
  at?: string;
}

export interface FeedbackResult {
  /** False: the same feedback (thread, step or run, source) was already recorded; nothing was written. */
  recorded: boolean;
  outcome: OutcomeRecord;
  /** The one already recorded, when `recorded` is false. */
  existing?: OutcomeRecord;
  where: string;
}

/** Names of the fields in messages: the CLI's flags, or the SDK's fields. */
export interface FeedbackFieldNames {
  thread: string;
  step: string;
  score: string;
  weight: string;
  source: string;
}

export const SDK_FIELDS: FeedbackFieldNames = {
  thread: "feedback: $.thread",
  step: "feedback: $.step",
  score: "feedback: $.score",
  weight: "feedback: $.weight",
  source: "feedback: $.source",
};

/** The outcome record of a feedback, checked: one InputError naming the field, before anything is read. */
export function outcomeOf(f: Feedback, names: FeedbackFieldNames = SDK_FIELDS): OutcomeRecord {
  if (typeof f.thread !== "string" || f.thread.length === 0)
    throw new InputError(`${names.thread}: give the thread id of a recorded run`);
  if (typeof f.score !== "number" || !(f.score >= 0 && f.score <= 1))
    throw new InputError(`${names.score}: must be a number in [0, 1], got ${JSON.stringify(f.score)}`);
  if (f.step !== undefined && !(Number.isInteger(f.step) && f.step >= 0))
    throw new InputError(`${names.step}: must be a whole number >= 0, got ${JSON.stringify(f.step)}`);
  const source = f.source ?? "feedback";
  if (!OUTCOME_SOURCES.includes(source))
    throw new InputError(`${names.source}: one of ${OUTCOME_SOURCES.join(", ")}, got ${JSON.stringify(source)}`);
  const weight = f.weight ?? SOURCE_WEIGHT[source];
  if (!(typeof weight === "number" && weight >= 0 && Number.isFinite(weight)))
    throw new InputError(`${names.weight}: must be a finite number >= 0, got ${JSON.stringify(f.weight)}`);
  return {
    kind: RUN_OUTCOME_KIND,
    thread: f.thread,
    ...(f.step !== undefined ? { step: f.step } : {}),
    score: f.score,
    source,
    weight,
    at: f.at ?? new Date().toISOString(),
    ...(f.note ? { note: f.note } : {}),
  };
}

/**
 * Record an outcome for a run that left records in `sink` (a run-records file or store). An unknown thread, or a
 * step the thread does not have, is an InputError naming the field and nothing is written. The same feedback twice
 * (same thread, step or run, and source) is a no-op that says so (`recorded: false`, the first one kept), also
 * when two processes send it at the same moment: it is counted once.
 */
export async function recordFeedback(
  sink: RunRecordsSink,
  f: Feedback,
  names: FeedbackFieldNames = SDK_FIELDS,
): Promise<FeedbackResult> {
  const outcome = outcomeOf(f, names);
  const check = (steps: StepRecord[]) => {
    if (steps.length === 0)
      throw new InputError(`${names.thread}: no recorded run of thread ${f.thread} in ${sink.where}`);
    if (outcome.step !== undefined && !steps.some((s) => s.step === outcome.step)) {
      const have = steps.map((s) => s.step).sort((a, b) => a - b);
      throw new InputError(
        `${names.step}: thread ${f.thread} has no step ${outcome.step} in ${sink.where} (steps ${have.join(", ")})`,
      );
    }
  };
  const r = await sink.addOutcome(outcome, check);
  return { recorded: r.added, outcome, ...(r.existing ? { existing: r.existing } : {}), where: sink.where };
}
