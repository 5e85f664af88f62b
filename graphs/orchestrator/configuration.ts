import type { LastValue } from "@langchain/langgraph/channels";
import { z } from "zod";
import { InputError } from "../../src/core/errors.js";
import { DEFAULT_SEED } from "../../src/core/random.js";
import { ESTIMATOR_NAMES, type EstimatorName } from "../../handbook/estimators.js";
import { described, type Json } from "./schemas.js";
import type { RunOverrides } from "./state.js";

/** The settings a run is routed with, resolved from its overrides, its context and ORCHESTRATOR_DEFAULTS. */
export interface OrchestratorSettings {
  lambda: number;
  budgetUsd: number | undefined;
  strategy: "tradeoff" | "cascade";
  estimator: EstimatorName;
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

/** A run's context as a caller gives it: every field optional (the settings, and the files the run reads). */
export type OrchestratorContextType = Partial<
  OrchestratorSettings & {
    handbook: string;
    pool: string;
    orchestratorModel: string;
    corpus: string;
    records: string;
  }
>;

/**
 * What the served schema says of each context field, but its default: every field is listed (it does not compile
 * otherwise), and its default is ORCHESTRATOR_DEFAULTS's (or the environment's, for the files, which the prose says).
 */
const CONTEXT_FIELDS: { [K in keyof OrchestratorContextType]-?: Json } = {
  handbook: {
    type: "string",
    description:
      "Path of the Skill Handbook JSON, or a handbook published to the run's store (`skillorchestra handbook publish`): `store:NAME` (the version served now, looked up at every run) or `store:NAME@vN`. Default: SKILLORCHESTRA_HANDBOOK.",
  },
  pool: {
    type: "string",
    description: "Path of the pool file (JSON or YAML). Default: SKILLORCHESTRA_POOL.",
  },
  lambda: {
    type: "number",
    minimum: 0,
    description: "Price of accuracy λ: score = competence − λ·normalised cost.",
  },
  budgetUsd: {
    type: "number",
    exclusiveMinimum: 0,
    description: "Cost budget per task in USD; steps beyond it stop the run (or ask, when `ask` is on). Default: none.",
  },
  strategy: {
    type: "string",
    enum: ["tradeoff", "cascade"],
    description: "`tradeoff` (competence − λ·cost) or `cascade` (the reference implementation's lexicographic rule).",
  },
  estimator: {
    type: "string",
    enum: [...ESTIMATOR_NAMES],
    description: "Competence estimator: posterior `mean`, a lower `quantile`, or a seeded `thompson` sample.",
  },
  maxSteps: {
    type: "integer",
    minimum: 0,
    description: "Steps before the one forced answer.",
  },
  orchestratorModel: {
    type: "string",
    description: "Pool agent id of an OpenAI-compatible orchestrator model; absent = the offline policy.",
  },
  ask: {
    type: "boolean",
    description: "Ask a human (interrupt) before a step whose expected cost would exceed the budget.",
  },
  seed: {
    type: "integer",
    description: "Seed for Thompson sampling and cascade tie-breaks.",
  },
  corpus: {
    type: "string",
    description:
      "Search corpus (JSONL of {id, title, text}) for search mode; sim pools bring their own. Default: SKILLORCHESTRA_CORPUS.",
  },
  deadlineMs: {
    type: "number",
    exclusiveMinimum: 0,
    description:
      "Time limit of one run (one invoke or stream of the graph, a resume included) in ms. Model calls are cut at it, and a run past it stops with stop reason `deadline`.",
  },
  records: {
    type: "string",
    description:
      "Where each run's step records go: a JSONL file path, or `store:NAME` (the run's store). Absent: none are kept.",
  },
  exploreRate: {
    type: "number",
    minimum: 0,
    maximum: 1,
    description:
      "Exploration share, in [0, 1]: each agent choice is, with this probability (a draw seeded by seed, task and step), made on a Thompson sample of the competence posteriors instead of the configured estimator, so that agents with little evidence (a new agent at its prior) earn some. At 0, no exploration.",
  },
};

/** A context field: optional, any value accepted at run time (resolveSettings checks it), shown as `json`. */
const field = <T>(json: Json) => described<T | undefined>(json).optional();

const DEFAULTS = new Map<string, unknown>(Object.entries(ORCHESTRATOR_DEFAULTS));

/** Each context field, shown with its ORCHESTRATOR_DEFAULTS default when it has one. */
const CONTEXT_SHAPE = Object.fromEntries(
  Object.entries(CONTEXT_FIELDS).map(([key, json]) => {
    const value = DEFAULTS.get(key);
    return [key, field(value === undefined ? json : { ...json, default: value })];
  }),
) as { [K in keyof OrchestratorContextType]-?: z.ZodOptional<z.ZodType<OrchestratorContextType[K]>> };

/**
 * Per-run configuration (the graph's context schema, shown in Studio). Every field is optional and has a default
 * (ORCHESTRATOR_DEFAULTS, or the environment for the files); the served schema shows it.
 */
export const OrchestratorContextSchema = z.object(CONTEXT_SHAPE).meta({
  id: "OrchestratorContext",
  title: "Orchestrator context",
  description: "Per-run configuration: handbook, pool, λ, budget, strategy, … Every field is optional.",
});

/**
 * The context as LangGraph's StateGraph is given it: at run time the zod schema above (so the server serves it); typed
 * as channels with every key optional, so that a run's `context` may give any of them (LangGraph would otherwise ask
 * for every key).
 */
export const OrchestratorContext = OrchestratorContextSchema as unknown as {
  [K in keyof OrchestratorContextType]?: LastValue<OrchestratorContextType[K]>;
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
