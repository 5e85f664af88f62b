import type { Estimator } from "./select.js";

/**
 * The competence estimators by name, as the CLI, the learning settings and the orchestrator's context name them:
 * `mean` (the posterior mean), `quantile` (a pessimistic posterior quantile, q = QUANTILE_Q) and `thompson` (a
 * seeded posterior draw). One place for the name → estimator mapping and its q.
 */
export const ESTIMATOR_NAMES = ["mean", "quantile", "thompson"] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

/** The posterior quantile the `quantile` estimator scores with. */
export const QUANTILE_Q = 0.25;

/** The estimator of a name; `seed` seeds Thompson draws (per run, step or query, as the caller decides). */
export function estimatorOf(name: EstimatorName, seed: string | number): Estimator {
  return name === "quantile"
    ? { kind: "quantile", q: QUANTILE_Q }
    : name === "thompson"
      ? { kind: "thompson", seed }
      : { kind: "mean" };
}
