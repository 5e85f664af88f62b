import { Annotation } from "@langchain/langgraph";
import { InputError } from "../../src/core/errors.js";
import { DEFAULT_SEED } from "../../src/core/random.js";
import type { RunOverrides } from "./state.js";

/** Per-run configuration (the graph's context schema, shown in Studio). Every field has a default. */
const OrchestratorContextRoot = Annotation.Root({
  /**
   * Path of the Skill Handbook JSON, or a handbook published to the run's store (`skillorchestra handbook publish`):
   * `store:NAME` (the version served now, looked up at every run) or `store:NAME@vN`.
   */
  handbook: Annotation<string | undefined>,
  /** Path of the pool file (JSON or YAML). */
  pool: Annotation<string | undefined>,
  /** Price of accuracy: score = competence − λ·normalised cost. */
  lambda: Annotation<number | undefined>,
  /** Cost budget per task in USD; steps beyond it stop the run (or ask, when `ask` is on). */
  budgetUsd: Annotation<number | undefined>,
  /** `tradeoff` (competence − λ·cost) or `cascade` (the reference implementation's lexicographic rule). */
  strategy: Annotation<"tradeoff" | "cascade" | undefined>,
  /** Competence estimator: posterior `mean`, a lower `quantile`, or a seeded `thompson` sample. */
  estimator: Annotation<"mean" | "quantile" | "thompson" | undefined>,
  /** Steps before the one forced answer. */
  maxSteps: Annotation<number | undefined>,
  /** Pool agent id of an OpenAI-compatible orchestrator model; absent = the offline policy. */
  orchestratorModel: Annotation<string | undefined>,
  /** Ask a human (interrupt) before a step whose expected cost would exceed the budget. */
  ask: Annotation<boolean | undefined>,
  /** Seed for Thompson sampling and cascade tie-breaks. */
  seed: Annotation<number | undefined>,
  /** Search corpus (JSONL of {id, title, text}) for search mode; sim pools bring their own. */
  corpus: Annotation<string | undefined>,
  /**
   * Time limit of one run (one invoke or stream of the graph, a resume included) in ms; default 600 000. Model calls
   * are cut at it, and a run past it stops with stop reason `deadline`.
   */
  deadlineMs: Annotation<number | undefined>,
  /** Where each run's step records go: a JSONL file path, or `store:NAME` (the run's store). Absent: none are kept. */
  records: Annotation<string | undefined>,
  /**
   * Exploration share, in [0, 1]: each agent choice is, with this probability (a draw seeded by seed, task and step),
   * made on a Thompson sample of the competence posteriors instead of the configured estimator, so that agents with
   * little evidence (a new agent at its prior) earn some. Default 0: no exploration.
   */
  exploreRate: Annotation<number | undefined>,
});

/** A run's context as a caller gives it: every field optional. */
export type OrchestratorContextType = Partial<typeof OrchestratorContextRoot.State>;

/**
 * The context as LangGraph's StateGraph is given it: at run time the annotation above; typed as channels with every key
 * optional, so that a run's `context` may give any of them (LangGraph would otherwise ask for every key).
 */
export const OrchestratorContext = OrchestratorContextRoot as unknown as Partial<typeof OrchestratorContextRoot.spec>;

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
  /** Share of agent choices made on a Thompson sample (exploration), in [0, 1]. */
  exploreRate: number;
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
  exploreRate: 0,
};

function exploreRateOf(v: unknown): number {
  if (v === undefined || v === null) return ORCHESTRATOR_DEFAULTS.exploreRate;
  if (typeof v !== "number" || !(v >= 0 && v <= 1))
    throw new InputError(`context exploreRate: must be a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

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
    exploreRate: exploreRateOf(c.exploreRate),
  };
}
