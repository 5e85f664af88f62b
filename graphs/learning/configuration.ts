import { Annotation } from "@langchain/langgraph";
import { LEARNING_DEFAULTS, learningSettings, type LearningSettings } from "../../src/learning/pipeline.js";
import type { EstimatorName } from "../../handbook/estimators.js";
import type { Shrinkage, Strategy } from "../../handbook/select.js";
import type { LearningInputType } from "./state.js";

/** Per-run configuration of the learning graph (its context schema). Every field has a default (LEARNING_DEFAULTS). */
const LearningContextRoot = Annotation.Root({
  /** Selection rule used when routing validation queries: `tradeoff` (competence − λ·cost) or `cascade`. */
  strategy: Annotation<Strategy | undefined>,
  /** Competence estimator for routing validation queries. */
  estimator: Annotation<EstimatorName | undefined>,
  /** Hierarchical shrinkage of the competence prior when routing validation queries: `auto`, `none` or `{strength}`. */
  shrinkage: Annotation<Shrinkage | undefined>,
  /** Significance level of discovery, split and merge tests. */
  alpha: Annotation<number | undefined>,
  /** Minimum (fractional) observations behind a test or a skill. */
  minCount: Annotation<number | undefined>,
  /** Most refinement rounds. */
  maxRounds: Annotation<number | undefined>,
  /** Example queries kept per skill. */
  examples: Annotation<number | undefined>,
  maxCategories: Annotation<number | undefined>,
  maxSkills: Annotation<number | undefined>,
  /** Select also weighs each candidate with agent-pooled competence. */
  pooled: Annotation<boolean | undefined>,
  /** Select also weighs each candidate with the neighbours estimator. */
  neighbours: Annotation<boolean | undefined>,
  /** Folds of select's cross-validation over the labelled queries (below 2: the validation split only). */
  folds: Annotation<number | undefined>,
  /** Profile the selected handbooks afresh on training + validation traces. */
  foldValidation: Annotation<boolean | undefined>,
  /** Answer calls per step at most under the learned consult rule (first, second, escalation; 1: no rule). */
  maxCalls: Annotation<number | undefined>,
});

/** A run's context as a caller gives it: every field optional. */
export type LearningContextType = Partial<typeof LearningContextRoot.State>;

/** The context as LangGraph's StateGraph is given it: the annotation above, typed with every key optional. */
export const LearningContext = LearningContextRoot as unknown as Partial<typeof LearningContextRoot.spec>;

/** The settings a learning run takes as its input (files and the run's few choices); every other one is its context. */
type InputKey = "records" | "pool" | "seed" | "labelled" | "validation" | "lambda" | "budgetUsd" | "llm";

/** The settings the graph takes as its context. */
type ContextKey = Exclude<keyof LearningSettings, InputKey>;

/** The context's settings, each set (to its value or its default). */
type ContextSettings = Required<Pick<LearningSettings, ContextKey>>;

/** Every context setting, once (a setting that is neither the input's nor listed here does not compile). */
const CONTEXT_KEYS = {
  strategy: true,
  estimator: true,
  shrinkage: true,
  alpha: true,
  minCount: true,
  maxRounds: true,
  examples: true,
  maxCategories: true,
  maxSkills: true,
  pooled: true,
  neighbours: true,
  folds: true,
  foldValidation: true,
  maxCalls: true,
} as const satisfies Record<ContextKey, true>;

/** The context's set fields over LEARNING_DEFAULTS (a Studio form sends unset fields as undefined or null). */
export function resolveKnobs(c: Partial<LearningContextType> | undefined): ContextSettings {
  const settings: Record<string, unknown> = {};
  for (const k of Object.keys(CONTEXT_KEYS) as ContextKey[]) settings[k] = c?.[k] ?? LEARNING_DEFAULTS[k];
  return settings as unknown as ContextSettings;
}

/** What the learning graph is invoked with for some settings: its input (with the chosen handbook's path) and context. */
export interface LearningRun {
  input: LearningInputType;
  context: ContextSettings;
}

/** Settings → the graph's input and context; settingsOf maps them back. The CLI's `learn` and eval both use it. */
export function learningRun(s: LearningSettings, out: string): LearningRun {
  const input: LearningInputType = { records: s.records, out, seed: s.seed, lambda: s.lambda };
  if (s.pool !== undefined) input.pool = s.pool;
  if (s.labelled !== undefined) input.labelled = s.labelled;
  if (s.validation !== undefined) input.validation = s.validation;
  if (s.budgetUsd !== undefined) input.budgetUsd = s.budgetUsd;
  if (s.llm !== undefined) input.llm = s.llm;
  return { input, context: resolveKnobs(s) };
}

/** The settings of a run from the graph's input (its state) and context, over the defaults: learningRun's inverse. */
export function settingsOf(
  state: { [K in InputKey]?: LearningSettings[K] | null } & { records: string },
  context: Partial<LearningContextType> | undefined,
): LearningSettings {
  return learningSettings({
    ...resolveKnobs(context),
    records: state.records,
    // An empty pool or learning-model name counts as unset (a Studio form may send one).
    pool: state.pool || undefined,
    seed: state.seed,
    labelled: state.labelled,
    validation: state.validation,
    lambda: state.lambda,
    budgetUsd: state.budgetUsd,
    llm: state.llm || undefined,
  });
}
