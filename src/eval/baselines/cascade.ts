import { InputError } from "../../core/errors.js";
import type { ReplayTable, RouteQuery, Router } from "../replay.js";
import { checkLambda, costModel } from "./cost.js";
import { fitTrainPredictor, type LogisticModel } from "./logistic.js";

/**
 * A FrugalGPT-style fixed cascade (Chen, Zaharia and Zou, 2023), the multi-step baseline: ask the agents of a
 * chain in turn, cheapest first, and stop at the first whose answer the scorer trusts.
 *
 * - Scorer: p̂_a(query), the L2 logistic per-agent success predictor of the logistic baseline (baselines/logistic.ts,
 *   fitted the same way on the train table's TF-IDF features and recorded scores). It sees the query text only:
 *   recorded answers are no features of it, so the answer keys `ask` returns are not read.
 * - Chains: every ordered list of 1..maxLength (default 3) distinct train agents in ascending mean train cost
 *   (ties: smaller id); with 11 agents, 11 + 55 + 165 chains.
 * - Thresholds: at each chain position but the last, accept that agent's answer when p̂ ≥ τ, else ask the next;
 *   the last agent is always accepted. τ ranges over the quantiles 0, 1/q, …, 1 (q = `quantiles`, default 10) of
 *   that agent's p̂ over the train queries (the order statistic at ⌊k·n/q⌋, so quantile k/q accepts the top
 *   (1 − k/q) share when p̂ has no ties), plus +∞ (never accept).
 * - Choice at λ: the chain and thresholds maximising train accuracy − λ·Ĉ, Ĉ = train mean cost per query (every
 *   call paid) over the largest mean train cost per call of any agent (the shared cost model's normaliser, so λ
 *   means what it means for the other baselines). Ties: lower train cost, then the shorter chain, then the lower
 *   thresholds. Replayed on train as routeAll replays: an agent with no record on a query scores 0 at cost 0.
 *
 * p̂ is computed once per train query and agent, and the accuracy and cost of every (chain, thresholds) once, by
 * prefix sums over each agent's p̂ order; each λ then only picks among them (cached). The train p̂ are in-sample
 * (the predictor was fitted on the same queries), as FrugalGPT's thresholds are chosen on the scorer's own train set.
 */

export interface CascadeOptions {
  /** L2 penalty of the scorer (default 0.001, as logisticRouter). */
  l2?: number;
  /** Gradient iterations of the scorer (default 300, as logisticRouter). */
  iterations?: number;
  /** Longest chain (default 3). */
  maxLength?: number;
  /** Threshold grid: the quantiles 0, 1/q, …, 1 of p̂ on train (default q = 10), plus +∞. */
  quantiles?: number;
  name?: string;
}

/** The cascade chosen at one λ, with its figures on the train table. */
export interface CascadePolicy {
  /** Agents asked in turn, ascending mean train cost. */
  chain: string[];
  /** thresholds[j]: accept chain[j]'s answer when p̂ ≥ thresholds[j] (Infinity: never); one per position but the last. */
  thresholds: number[];
  trainAccuracy: number;
  /** Train mean cost per query, every call paid. */
  trainMeanCostUsd: number;
  /** trainAccuracy − λ·trainMeanCostUsd / normaliser. */
  objective: number;
}

export interface CascadeRouter extends Router {
  readonly model: LogisticModel;
  /** The train agents by ascending mean train cost (ties: smaller id): the order of every chain. */
  readonly order: ReadonlyArray<string>;
  /** The chain and thresholds chosen at λ (default 0). */
  policy(lambda?: number): CascadePolicy;
  /** p̂ of every train agent for a query. */
  estimates(query: RouteQuery): Record<string, number>;
  trajectory(query: RouteQuery, ask: (agent: string) => string | null, lambda?: number): { answeredBy: string };
}

interface Candidate {
  /** Indices into `order`. */
  chain: number[];
  thresholds: number[];
  /** Sums over the train queries. */
  score: number;
  cost: number;
}

/** First index of a sorted (ascending) array holding a value ≥ x (length when none does). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The FrugalGPT-style cascade fitted on the train table (see the file's comment). */
export function frugalCascade(train: ReplayTable, opts: CascadeOptions = {}): CascadeRouter {
  const name = opts.name ?? "cascade-frugal";
  const maxLength = opts.maxLength ?? 3;
  const steps = opts.quantiles ?? 10;
  if (!(Number.isInteger(maxLength) && maxLength >= 1))
    throw new InputError(`${name}: maxLength must be a positive integer, got ${maxLength}`);
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new InputError(`${name}: quantiles must be a positive integer, got ${steps}`);

  // The scorer, the logistic router's model.
  const { features, model } = fitTrainPredictor(train, opts);
  const agents = train.agents;
  const n = train.queries.length;

  const cost = costModel(train);
  const meanCost = (a: string) => cost.meanCostUsd.get(a) ?? 0;
  const order = [...agents].sort((a, b) => meanCost(a) - meanCost(b) || (a < b ? -1 : a > b ? 1 : 0));
  const column = new Map(agents.map((a, j) => [a, j]));
  const normaliser = Math.max(0, ...order.map(meanCost));

  const predicted = new Map<string, Float64Array>();
  const predict = (text: string): Float64Array => {
    let p = predicted.get(text);
    if (!p) predicted.set(text, (p = model.predict(features.vector(text))));
    return p;
  };

  let candidates: Candidate[] | undefined;
  const enumerate = (): Candidate[] => {
    // Per train query and agent (in `order`): p̂, recorded score and cost (0 and 0 without a record).
    const K = order.length;
    const p = new Float64Array(n * K);
    const s = new Float64Array(n * K);
    const c = new Float64Array(n * K);
    train.queries.forEach((q, i) => {
      const probs = model.predict(features.train[i]!);
      const row = train.outcomes.get(q.id)!;
      order.forEach((a, k) => {
        p[i * K + k] = probs[column.get(a)!]!;
        const o = row.get(a);
        if (o) {
          s[i * K + k] = o.score;
          c[i * K + k] = o.costUsd;
        }
      });
    });
    // Per agent: the train queries by ascending p̂, the thresholds and where each one's accepted queries start.
    const byP: Uint32Array[] = [];
    const grid: { tau: number; from: number }[][] = [];
    const scoreSum = new Float64Array(K);
    const costSum = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const idx = Uint32Array.from({ length: n }, (_, i) => i).sort((x, y) => p[x * K + k]! - p[y * K + k]! || x - y);
      const sorted = Float64Array.from(idx, (i) => p[i * K + k]!);
      byP.push(idx);
      const taus = [
        ...new Set(Array.from({ length: steps + 1 }, (_, j) => sorted[Math.min(n - 1, Math.floor((j * n) / steps))]!)),
      ];
      grid.push([...taus.map((tau) => ({ tau, from: lowerBound(sorted, tau) })), { tau: Infinity, from: n }]);
      for (let i = 0; i < n; i++) {
        scoreSum[k]! += s[i * K + k]!;
        costSum[k]! += c[i * K + k]!;
      }
    }

    const out: Candidate[] = [];
    const tailScore = new Float64Array(n);
    const tailCost = new Float64Array(n);
    const prefixScore = new Float64Array(n + 1);
    const prefixCost = new Float64Array(n + 1);
    const suffixScore = new Float64Array(n + 1);
    // Chains: increasing index sequences into `order`, shorter first.
    const chains: number[][] = [];
    const grow = (chain: number[], length: number) => {
      if (chain.length === length) return void chains.push(chain);
      for (let k = (chain.at(-1) ?? -1) + 1; k < K; k++) grow([...chain, k], length);
    };
    for (let L = 1; L <= Math.min(maxLength, K); L++) grow([], L);
    for (const chain of chains) {
      const first = chain[0]!;
      if (chain.length === 1) {
        out.push({ chain, thresholds: [], score: scoreSum[first]!, cost: costSum[first]! });
        continue;
      }
      // Every threshold combination of the positions after the first (the last has none).
      let combos: number[][] = [[]];
      for (const k of chain.slice(1, -1)) combos = combos.flatMap((t) => grid[k]!.map((g) => [...t, g.tau]));
      const last = chain.at(-1)!;
      for (const taus of combos) {
        // Each query's score and cost from the second position on, with these thresholds.
        for (let i = 0; i < n; i++) {
          let paid = 0;
          let got = 0;
          for (let j = 1; j < chain.length; j++) {
            const k = chain[j]!;
            paid += c[i * K + k]!;
            if (k === last || p[i * K + k]! >= taus[j - 1]!) {
              got = s[i * K + k]!;
              break;
            }
          }
          tailScore[i] = got;
          tailCost[i] = paid;
        }
        // The first agent accepts the queries from `from` on in its p̂ order; the others go down the tail.
        const idx = byP[first]!;
        for (let r = 0; r < n; r++) {
          prefixScore[r + 1] = prefixScore[r]! + tailScore[idx[r]!]!;
          prefixCost[r + 1] = prefixCost[r]! + tailCost[idx[r]!]!;
        }
        suffixScore[n] = 0;
        for (let r = n - 1; r >= 0; r--) suffixScore[r] = suffixScore[r + 1]! + s[idx[r]! * K + first]!;
        for (const g of grid[first]!)
          out.push({
            chain,
            thresholds: [g.tau, ...taus],
            score: suffixScore[g.from]! + prefixScore[g.from]!,
            cost: costSum[first]! + prefixCost[g.from]!,
          });
      }
    }
    return out;
  };

  const policies = new Map<number, CascadePolicy>();
  const policy = (lambda = 0): CascadePolicy => {
    checkLambda(name, lambda);
    const cached = policies.get(lambda);
    if (cached) return cached;
    candidates ??= enumerate();
    const eps = 1e-12;
    let best: { c: Candidate; objective: number; cost: number } | undefined;
    for (const c of candidates) {
      const meanCostUsd = c.cost / n;
      const objective = c.score / n - lambda * (normaliser > 0 ? meanCostUsd / normaliser : 0);
      if (
        !best ||
        objective > best.objective + eps ||
        (objective > best.objective - eps &&
          (meanCostUsd < best.cost - eps || (meanCostUsd <= best.cost + eps && c.chain.length < best.c.chain.length)))
      )
        best = { c, objective, cost: meanCostUsd };
    }
    const chosen = best!;
    const out: CascadePolicy = {
      chain: chosen.c.chain.map((k) => order[k]!),
      thresholds: chosen.c.thresholds,
      trainAccuracy: chosen.c.score / n,
      trainMeanCostUsd: chosen.cost,
      objective: chosen.objective,
    };
    policies.set(lambda, out);
    return out;
  };

  const estimates = (q: RouteQuery): Record<string, number> => {
    const probs = predict(q.text);
    return Object.fromEntries(agents.map((a, j) => [a, probs[j]!]));
  };

  return {
    name,
    model,
    order,
    policy,
    estimates,
    route: (_q, lambda) => policy(lambda).chain[0]!,
    trajectory(q, ask, lambda) {
      const { chain, thresholds } = policy(lambda);
      const probs = predict(q.text);
      for (let j = 0; j < chain.length - 1; j++) {
        const a = chain[j]!;
        ask(a);
        if (probs[column.get(a)!]! >= thresholds[j]!) return { answeredBy: a };
      }
      const last = chain.at(-1)!;
      ask(last);
      return { answeredBy: last };
    },
  };
}
