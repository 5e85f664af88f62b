import type { LastValue } from "@langchain/langgraph";
import { z } from "zod";
import { LEARNING_DEFAULTS, learningSettings, type LearningSettings } from "../../src/learning/pipeline.js";
import { ESTIMATOR_NAMES } from "../../handbook/estimators.js";
import type { LearningInputType } from "./state.js";

/**
 * A context field: optional, null counts as unset (a Studio form sends an unset field as null), and its default
 * (LEARNING_DEFAULTS) shown as the schema's `default`; the schema sets nothing, resolveKnobs does.
 */
function field<T extends z.ZodType>(schema: T, title: string, description: string, fallback: unknown) {
  return schema.nullish().meta({ title, description, default: fallback });
}

const D = LEARNING_DEFAULTS;

/**
 * Per-run configuration of the learning graph: its context schema (validated by LangGraph when a run starts, and
 * served to Studio by the server's schemas endpoint). Every field is optional; an unset one takes LEARNING_DEFAULTS.
 */
export const LearningContextSchema = z
  .object({
    strategy: field(
      z.enum(["tradeoff", "cascade"]),
      "Strategy",
      "Selection rule used when routing validation queries: `tradeoff` (competence − λ·cost) or `cascade`.",
      D.strategy,
    ),
    estimator: field(
      z.enum(ESTIMATOR_NAMES),
      "Estimator",
      "Competence estimator for routing validation queries.",
      D.estimator,
    ),
    shrinkage: field(
      z.union([
        z.enum(["auto", "none"]),
        z.object({ strength: z.number().describe("Pseudo-observations of the prior.") }),
      ]),
      "Shrinkage",
      "Hierarchical shrinkage of the competence prior when routing validation queries: `auto`, `none` or `{strength}`.",
      D.shrinkage,
    ),
    alpha: field(z.number(), "Significance level", "Significance level of discovery, split and merge tests.", D.alpha),
    minCount: field(
      z.number(),
      "Minimum count",
      "Minimum (fractional) observations behind a test or a skill.",
      D.minCount,
    ),
    maxRounds: field(z.number().int(), "Refinement rounds", "Most refinement rounds.", D.maxRounds),
    examples: field(z.number().int(), "Examples per skill", "Example queries kept per skill.", D.examples),
    maxCategories: field(
      z.number().int(),
      "Most categories",
      "Most skill categories discovered per mode.",
      D.maxCategories,
    ),
    maxSkills: field(z.number().int(), "Most skills", "Most skills discovered per category.", D.maxSkills),
    pooled: field(z.boolean(), "Pooled", "Select also weighs each candidate with agent-pooled competence.", D.pooled),
    neighbours: field(
      z.boolean(),
      "Neighbours",
      "Select also weighs each candidate with the neighbours estimator.",
      D.neighbours,
    ),
    folds: field(
      z.number().int(),
      "Folds",
      "Folds of select's cross-validation over the labelled queries (below 2: the validation split only).",
      D.folds,
    ),
    foldValidation: field(
      z.boolean(),
      "Fold validation in",
      "Profile the selected handbooks afresh on training + validation traces.",
      D.foldValidation,
    ),
    maxCalls: field(
      z.number().int(),
      "Answer calls per step",
      "Answer calls per step at most under the learned consult rule (first, second, escalation; 1: no rule).",
      D.maxCalls,
    ),
  })
  .meta({ title: "Learning context", description: "Per-run configuration of the learning graph." });

/** A learning run's context as a caller gives it: every field optional (null counts as unset). */
export type LearningContextType = z.input<typeof LearningContextSchema>;

/**
 * The same schema as LangGraph's StateGraph is given it. LangGraph types a zod context's value with every key
 * required (values possibly undefined); declared to it as channels with every key optional, a run's `context` may
 * give any of them. At run time it is LearningContextSchema itself (LangGraph validates the context with it).
 */
export const LearningContext = LearningContextSchema as unknown as Partial<{
  [K in keyof LearningContextType]-?: LastValue<LearningContextType[K]>;
}>;

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
