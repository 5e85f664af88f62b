import { Annotation } from "@langchain/langgraph";
import { DEFAULT_SETTINGS } from "../../src/learning/pipeline.js";
import type { EstimatorName } from "../../handbook/estimators.js";
import type { Strategy } from "../../handbook/select.js";

/** Per-run configuration of the learning graph (its context schema). Every field has a default. */
export const LearningContext = Annotation.Root({
  /** Selection rule used when routing validation queries: `tradeoff` (competence − λ·cost) or `cascade`. */
  strategy: Annotation<Strategy | undefined>,
  /** Competence estimator for routing validation queries. */
  estimator: Annotation<EstimatorName | undefined>,
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
  /** Answer calls per step at most under the learned consult rule (first, second, escalation; 1: no rule). */
  maxCalls: Annotation<number | undefined>,
});

export type LearningContextType = typeof LearningContext.State;

export interface LearningKnobs {
  strategy: Strategy;
  estimator: EstimatorName;
  alpha: number;
  minCount: number;
  maxRounds: number;
  examples: number;
  maxCategories: number;
  maxSkills: number;
  maxCalls: number;
}

/** The context's set fields over the defaults (a Studio form sends unset fields as undefined or null). */
export function resolveKnobs(c: Partial<LearningContextType> | undefined): LearningKnobs {
  const pick = <K extends keyof LearningKnobs>(k: K): LearningKnobs[K] => ((c?.[k] ?? undefined) as LearningKnobs[K] | undefined) ?? DEFAULT_SETTINGS[k];
  return {
    strategy: pick("strategy"),
    estimator: pick("estimator"),
    alpha: pick("alpha"),
    minCount: pick("minCount"),
    maxRounds: pick("maxRounds"),
    examples: pick("examples"),
    maxCategories: pick("maxCategories"),
    maxSkills: pick("maxSkills"),
    maxCalls: pick("maxCalls"),
  };
}
