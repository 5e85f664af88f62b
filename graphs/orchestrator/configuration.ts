import type { LastValue } from "@langchain/langgraph";
import { z } from "zod";
import { ESTIMATOR_NAMES } from "../../handbook/estimators.js";
import { DEFAULT_SEED } from "../../src/core/random.js";
import type { RunOverrides } from "./state.js";

/** The settings a run is routed with, resolved from its overrides, its context and ORCHESTRATOR_DEFAULTS. */
export interface OrchestratorSettings {
  lambda: number;
  budgetUsd: number | undefined;
  strategy: "tradeoff" | "cascade";
  estimator: "mean" | "quantile" | "thompson";
  maxSteps: number;
  ask: boolean;
  seed: number;
  deadlineMs: number;
}

export const ORCHESTRATOR_DEFAULTS: OrchestratorSettings = {
  lambda: 0.2,
  budgetUsd: undefined,
  strategy: "tradeoff",
  estimator: "mean",
  maxSteps: 8,
  ask: false,
  seed: DEFAULT_SEED,
  deadlineMs: 600_000,
};

/**
 * A context field: optional, and null counts as unset (a Studio form sends an unset field as null). `fallback` is the
 * value a run takes when the field is unset, shown as the schema's `default` (the schema itself sets nothing:
 * resolveSettings does).
 */
function field<T extends z.ZodType>(schema: T, title: string, description: string, fallback?: unknown) {
  return schema.nullish().meta({ title, description, ...(fallback === undefined ? {} : { default: fallback }) });
}

const D = ORCHESTRATOR_DEFAULTS;

/**
 * Per-run configuration: the graph's context schema (validated by LangGraph when a run starts, and served to Studio
 * by the server's schemas endpoint). Every field is optional: an unset one takes its default.
 */
export const OrchestratorContextSchema = z
  .object({
    handbook: field(
      z.string(),
      "Handbook",
      "Path of the Skill Handbook JSON, or a handbook published to the run's store (`skillorchestra handbook publish`): " +
        "`store:NAME` (the version served now, looked up at every run) or `store:NAME@vN`. Unset: SKILLORCHESTRA_HANDBOOK.",
    ),
    pool: field(z.string(), "Pool", "Path of the pool file (JSON or YAML). Unset: SKILLORCHESTRA_POOL."),
    lambda: field(z.number(), "λ (price of accuracy)", "score = competence − λ·normalised cost.", D.lambda),
    budgetUsd: field(
      z.number(),
      "Budget (USD)",
      "Cost budget per task in USD; steps beyond it stop the run (or ask, when `ask` is on). Unset: no budget.",
    ),
    strategy: field(
      z.enum(["tradeoff", "cascade"]),
      "Strategy",
      "`tradeoff` (competence − λ·cost) or `cascade` (the reference implementation's lexicographic rule).",
      D.strategy,
    ),
    estimator: field(
      z.enum(ESTIMATOR_NAMES),
      "Estimator",
      "Competence estimator: posterior `mean`, a lower `quantile`, or a seeded `thompson` sample.",
      D.estimator,
    ),
    maxSteps: field(z.number().int(), "Step limit", "Steps before the one forced answer.", D.maxSteps),
    orchestratorModel: field(
      z.string(),
      "Orchestrator model",
      "Pool agent id of an OpenAI-compatible orchestrator model; unset: the offline policy.",
    ),
    ask: field(
      z.boolean(),
      "Ask before costly steps",
      "Ask a human (interrupt) before a step whose expected cost would exceed the budget.",
      D.ask,
    ),
    seed: field(z.number(), "Seed", "Seed for Thompson sampling and cascade tie-breaks.", D.seed),
    corpus: field(
      z.string(),
      "Corpus",
      "Search corpus (JSONL of {id, title, text}) for search mode; sim pools bring their own. Unset: SKILLORCHESTRA_CORPUS.",
    ),
    deadlineMs: field(
      z.number(),
      "Deadline (ms)",
      "Time limit of one run (one invoke or stream of the graph, a resume included) in ms. Model calls are cut at " +
        "it, and a run past it stops with stop reason `deadline`.",
      D.deadlineMs,
    ),
    records: field(
      z.string(),
      "Step records",
      "Where each run's step records go: a JSONL file path, or `store:NAME` (the run's store). Unset: none are kept.",
    ),
    exploreRate: field(
      z.number().min(0).max(1),
      "Exploration rate",
      "Share of steps, in [0, 1], routed by a Thompson sample instead of the configured estimator, so that new " +
        "agents earn evidence. 0: none.",
      0,
    ),
  })
  .meta({ title: "Orchestrator context", description: "Per-run configuration of the orchestrator graph." });

/** A run's context as a caller gives it: every field optional (null counts as unset). */
export type OrchestratorContextType = z.input<typeof OrchestratorContextSchema>;

/**
 * The same schema as LangGraph's StateGraph is given it. LangGraph types a zod context's value with every key
 * required (values possibly undefined); declared to it as channels with every key optional, a run's `context` may
 * give any of them. At run time it is OrchestratorContextSchema itself (LangGraph validates the context with it).
 */
export const OrchestratorContext = OrchestratorContextSchema as unknown as Partial<{
  [K in keyof OrchestratorContextType]-?: LastValue<OrchestratorContextType[K]>;
}>;

/** Resolve settings: the run's overrides (its input) over the context, the context over the defaults. */
export function resolveSettings(
  context: Partial<OrchestratorContextType> | undefined,
  run: RunOverrides | undefined,
): OrchestratorSettings {
  const c = context ?? {};
  return {
    lambda: run?.lambda ?? c.lambda ?? ORCHESTRATOR_DEFAULTS.lambda,
    budgetUsd: run?.budgetUsd ?? c.budgetUsd ?? ORCHESTRATOR_DEFAULTS.budgetUsd,
    strategy: c.strategy ?? ORCHESTRATOR_DEFAULTS.strategy,
    estimator: c.estimator ?? ORCHESTRATOR_DEFAULTS.estimator,
    maxSteps: run?.maxSteps ?? c.maxSteps ?? ORCHESTRATOR_DEFAULTS.maxSteps,
    ask: c.ask ?? ORCHESTRATOR_DEFAULTS.ask,
    seed: c.seed ?? ORCHESTRATOR_DEFAULTS.seed,
    deadlineMs: c.deadlineMs ?? ORCHESTRATOR_DEFAULTS.deadlineMs,
  };
}
