import { InputError } from "../../core/errors.js";
import type { ReplayTable, RouteQuery, Router } from "../replay.js";
import type { TfidfVector } from "../tfidf.js";
import { chooseByValue, costModel, type ValuedChoice } from "./cost.js";
import { textFeatures, type TextFeatures } from "./features.js";

/**
 * Logistic per-agent success predictor on TF-IDF features, the query-level baseline: for each agent a, an
 * L2-regularised logistic regression
 *
 *   p̂_a(x) = σ(b_a + w_a·x),   minimise  (1/n_a) Σ_i ℓ(y_ia, p̂_a(x_i)) + (l2/2)·‖w_a‖²
 *
 * over the n_a train queries holding a record of a (x_i: the query's L2-normalised TF-IDF vector; y_ia: the
 * recorded score in [0, 1], so ℓ is the cross-entropy with a soft label; the bias is not penalised). Fitted by
 * accelerated (Nesterov) gradient descent from b_a = logit(mean score), w_a = 0, with the fixed step
 * 1 / (0.5 + l2): ‖(1, x)‖² = 2 and σ' ≤ 1/4 bound the loss's curvature by 0.5, so the step is safe and the fit
 * deterministic. Routes by argmax p̂_a − λ·Ĉ_a (the shared cost model).
 */

export interface LogisticOptions {
  /** L2 penalty on the weights (default 0.001, chosen on validation carved from the RouterBench and LLMRouter train splits). */
  l2?: number;
  /** Gradient iterations (default 300). */
  iterations?: number;
  name?: string;
}

export interface LogisticModel {
  agents: string[];
  /** Terms × agents, row-major: weight of term j for agent a at j·agents.length + a. */
  weights: Float64Array;
  bias: Float64Array;
  /** p̂ of every agent (in `agents` order) for a vector. */
  predict(v: TfidfVector): Float64Array;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Fit one logistic regression per agent (column of `targets`) on shared sparse rows. `targets[i·A + a]` is the
 * label of row i for agent a, NaN when the agent has no record there (the row is left out of that agent's loss).
 */
export function fitLogistic(
  rows: ReadonlyArray<TfidfVector>,
  dims: number,
  agents: ReadonlyArray<string>,
  targets: Float64Array,
  opts: { l2: number; iterations: number },
): LogisticModel {
  const A = agents.length;
  const n = rows.length;
  if (targets.length !== n * A) throw new InputError(`logistic: ${targets.length} targets for ${n} rows × ${A} agents`);
  const { l2, iterations } = opts;
  if (!(l2 >= 0 && Number.isFinite(l2))) throw new InputError(`logistic: l2 must be a finite number >= 0, got ${l2}`);
  if (!(Number.isInteger(iterations) && iterations >= 0))
    throw new InputError(`logistic: iterations must be an integer >= 0, got ${iterations}`);
  const count = new Float64Array(A);
  const sum = new Float64Array(A);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < A; a++) {
      const y = targets[i * A + a]!;
      if (Number.isNaN(y)) continue;
      count[a]!++;
      sum[a]! += y;
    }
  const size = dims * A;
  let w = new Float64Array(size);
  let wPrev = new Float64Array(size);
  let b = new Float64Array(A);
  let bPrev = new Float64Array(A);
  for (let a = 0; a < A; a++) {
    const rate = count[a]! > 0 ? Math.min(1 - 1e-3, Math.max(1e-3, sum[a]! / count[a]!)) : 0.5;
    b[a] = bPrev[a] = Math.log(rate / (1 - rate));
  }
  const step = 1 / (0.5 + l2);
  const yw = new Float64Array(size);
  const yb = new Float64Array(A);
  const gw = new Float64Array(size);
  const gb = new Float64Array(A);
  const z = new Float64Array(A);
  let t = 1;
  for (let it = 0; it < iterations; it++) {
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNext;
    for (let j = 0; j < size; j++) yw[j] = w[j]! + beta * (w[j]! - wPrev[j]!);
    for (let a = 0; a < A; a++) yb[a] = b[a]! + beta * (b[a]! - bPrev[a]!);
    // Gradient at the look-ahead point.
    for (let j = 0; j < size; j++) gw[j] = l2 * yw[j]!;
    gb.fill(0);
    for (let i = 0; i < n; i++) {
      const v = rows[i]!;
      for (let a = 0; a < A; a++) z[a] = yb[a]!;
      for (let p = 0; p < v.terms.length; p++) {
        const x = v.weights[p]!;
        const base = v.terms[p]! * A;
        for (let a = 0; a < A; a++) z[a]! += x * yw[base + a]!;
      }
      for (let a = 0; a < A; a++) {
        const y = targets[i * A + a]!;
        z[a] = Number.isNaN(y) ? 0 : (sigmoid(z[a]!) - y) / count[a]!;
        gb[a]! += z[a]!;
      }
      for (let p = 0; p < v.terms.length; p++) {
        const x = v.weights[p]!;
        const base = v.terms[p]! * A;
        for (let a = 0; a < A; a++) gw[base + a]! += x * z[a]!;
      }
    }
    [wPrev, w] = [w, wPrev];
    [bPrev, b] = [b, bPrev];
    for (let j = 0; j < size; j++) w[j] = yw[j]! - step * gw[j]!;
    for (let a = 0; a < A; a++) b[a] = yb[a]! - step * gb[a]!;
    t = tNext;
  }
  const weights = w;
  const bias = b;
  return {
    agents: [...agents],
    weights,
    bias,
    predict(v: TfidfVector): Float64Array {
      const out = Float64Array.from(bias);
      for (let p = 0; p < v.terms.length; p++) {
        const x = v.weights[p]!;
        const base = v.terms[p]! * A;
        for (let a = 0; a < A; a++) out[a]! += x * weights[base + a]!;
      }
      for (let a = 0; a < A; a++) out[a] = sigmoid(out[a]!);
      return out;
    },
  };
}

export interface LogisticRouter extends Router {
  readonly model: LogisticModel;
  explain(query: RouteQuery, lambda?: number): ValuedChoice;
}

/**
 * The per-agent predictor fitted on the train table: TF-IDF features of its texts, the recorded scores as targets
 * (NaN where an agent has no record). The logistic router's model and the FrugalGPT cascade's scorer.
 */
export function fitTrainPredictor(
  train: ReplayTable,
  opts: Pick<LogisticOptions, "l2" | "iterations"> = {},
): { features: TextFeatures; model: LogisticModel } {
  const features = textFeatures(train.queries.map((q) => q.text));
  const agents = train.agents;
  const A = agents.length;
  const targets = new Float64Array(train.queries.length * A).fill(NaN);
  train.queries.forEach((q, i) => {
    const row = train.outcomes.get(q.id)!;
    agents.forEach((a, j) => {
      const o = row.get(a);
      if (o) targets[i * A + j] = o.score;
    });
  });
  const model = fitLogistic(features.train, features.dims, agents, targets, {
    l2: opts.l2 ?? 0.001,
    iterations: opts.iterations ?? 300,
  });
  return { features, model };
}

/** The logistic per-agent predictor fitted on the train table, routing by argmax p̂ − λ·Ĉ. */
export function logisticRouter(train: ReplayTable, opts: LogisticOptions = {}): LogisticRouter {
  const name = opts.name ?? "logistic";
  const agents = train.agents;
  const { features, model } = fitTrainPredictor(train, opts);
  const cost = costModel(train);
  const predicted = new Map<string, Float64Array>();
  const explain = (q: RouteQuery, lambda = 0): ValuedChoice => {
    let p = predicted.get(q.text);
    if (!p) predicted.set(q.text, (p = model.predict(features.vector(q.text))));
    const probs = p;
    return chooseByValue(
      name,
      agents.map((a, j) => [a, probs[j]!] as const),
      cost,
      lambda,
    );
  };
  return { name, model, explain, route: (q, lambda) => explain(q, lambda).chosen };
}
