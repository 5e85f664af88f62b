import { Annotation } from "@langchain/langgraph";
import type { Artefacts } from "../../src/learning/artefacts.js";
import type { LearningCost } from "../../src/learning/log.js";

/** What a caller (or a Studio form) gives: file paths and the few choices of a learning run. */
export const LearningInput = Annotation.Root({
  /** Execution records (JSONL). */
  records: Annotation<string>,
  /** Pool file; needed for `llm` and to name agents as the pool does. */
  pool: Annotation<string | undefined>,
  /** Where the chosen handbook goes; the full one, the selection and the work directory sit beside it. */
  out: Annotation<string>,
  /** Labelled queries per task (default: all). */
  labelled: Annotation<number | undefined>,
  /** Validation queries per task: a count, or a share below 1 (default 0.25). */
  validation: Annotation<number | undefined>,
  /** Price of accuracy λ for refinement gating and selection (default 0). */
  lambda: Annotation<number | undefined>,
  /** Mean USD per query: select the most accurate candidate within it instead of by λ. */
  budgetUsd: Annotation<number | undefined>,
  /** Pool agent id of the learning model (provider openai); absent: statistical learning, no LLM. */
  llm: Annotation<string | undefined>,
  seed: Annotation<number | undefined>,
});

/** What the graph is invoked with (learningRun in configuration.ts maps settings to it). */
export type LearningInputType = { records: string; out: string } & Partial<
  Omit<typeof LearningInput.State, "records" | "out">
>;

/** Paths of the artefacts written so far (named by artefactPaths). */
export type { Artefacts };

/** A finished phase: its name and a small summary (never the records themselves). */
export interface PhaseDone {
  phase: string;
  summary: Record<string, unknown>;
}

const keep = <T>(a: T, b: T | undefined): T => (b === undefined ? a : b);

/** The full state: the input, the run id, artefact paths and phase summaries. Plain JSON only. */
export const LearningState = Annotation.Root({
  ...LearningInput.spec,
  run: Annotation<string>({ reducer: keep, default: () => "" }),
  artefacts: Annotation<Artefacts>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  phases: Annotation<PhaseDone[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  cost: Annotation<LearningCost | null>({ reducer: keep, default: () => null }),
});

export type LearningStateType = typeof LearningState.State;
export type LearningUpdate = typeof LearningState.Update;
