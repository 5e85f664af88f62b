import { InputError } from "../../core/errors.js";
import type { ReplayTable } from "../replay.js";

/**
 * The cost model every router chosen on train shares with the learned handbook's selection rule:
 *
 *   value_a = p̂_a − λ·Ĉ_a,   Ĉ_a = C_a / max_b C_b
 *
 * where p̂_a is the router's own estimate of agent a's score on the query, C_a is the agent's mean recorded cost
 * per call over the train table, and the maximum runs over the candidates of the decision (0 when that maximum is
 * 0). Ties: lower mean cost, then smaller agent id.
 */

export interface CostModel {
  /** Agents with at least one train record, sorted. */
  agents: string[];
  /** Mean recorded USD per call of each agent over the train table. */
  meanCostUsd: ReadonlyMap<string, number>;
}

/** Each agent's mean train cost per call (over the queries where it has a record). */
export function costModel(train: ReplayTable): CostModel {
  const acc = new Map<string, { n: number; c: number }>();
  for (const row of train.outcomes.values())
    for (const [a, o] of row) {
      let x = acc.get(a);
      if (!x) acc.set(a, (x = { n: 0, c: 0 }));
      x.n++;
      x.c += o.costUsd;
    }
  const meanCostUsd = new Map<string, number>();
  for (const [a, x] of acc) meanCostUsd.set(a, x.c / x.n);
  return { agents: [...meanCostUsd.keys()].sort(), meanCostUsd };
}

export interface ValuedCandidate {
  agent: string;
  /** p̂_a: the router's estimate of the agent's score on the query. */
  estimate: number;
  /** The agent's mean train cost per call. */
  meanCostUsd: number;
  /** meanCostUsd / the largest meanCostUsd among the candidates (0 when that is 0). */
  normalisedCost: number;
  /** estimate − λ·normalisedCost. */
  value: number;
}

export interface ValuedChoice {
  chosen: string;
  candidates: ValuedCandidate[];
}

export function checkLambda(who: string, lambda: number): void {
  if (!(lambda >= 0 && Number.isFinite(lambda)))
    throw new InputError(`${who}: lambda must be a finite number >= 0, got ${lambda}`);
}

/**
 * argmax over the candidates of estimate − λ·Ĉ. `estimates` lists (agent, p̂) for the candidates of the decision;
 * an agent absent from the cost model (no train record) is not a candidate. Throws when no candidate is left.
 */
export function chooseByValue(
  who: string,
  estimates: Iterable<readonly [string, number]>,
  cost: CostModel,
  lambda: number,
): ValuedChoice {
  checkLambda(who, lambda);
  const candidates: ValuedCandidate[] = [];
  let maxCost = 0;
  for (const [agent, estimate] of estimates) {
    const meanCostUsd = cost.meanCostUsd.get(agent);
    if (meanCostUsd === undefined) continue;
    if (meanCostUsd > maxCost) maxCost = meanCostUsd;
    candidates.push({ agent, estimate, meanCostUsd, normalisedCost: 0, value: 0 });
  }
  let best: ValuedCandidate | undefined;
  for (const c of candidates) {
    c.normalisedCost = maxCost > 0 ? c.meanCostUsd / maxCost : 0;
    c.value = c.estimate - lambda * c.normalisedCost;
    if (
      !best ||
      c.value > best.value ||
      (c.value === best.value &&
        (c.meanCostUsd < best.meanCostUsd || (c.meanCostUsd === best.meanCostUsd && c.agent < best.agent)))
    )
      best = c;
  }
  if (!best) throw new InputError(`${who}: no candidate agent with train records`);
  return { chosen: best.agent, candidates };
}

/** The table restricted to the queries in `ids` (in the table's order); agents recomputed. */
export function restrictTable(table: ReplayTable, ids: ReadonlySet<string>, source = "train records"): ReplayTable {
  const queries = table.queries.filter((q) => ids.has(q.id));
  if (queries.length === 0) throw new InputError(`${source}: none of the ${ids.size} labelled query ids has a record`);
  const outcomes = new Map<string, ReplayTable["outcomes"] extends Map<string, infer R> ? R : never>();
  const agents = new Set<string>();
  let costEstimated = false;
  let simulated = false;
  for (const q of queries) {
    const row = table.outcomes.get(q.id)!;
    outcomes.set(q.id, row);
    for (const [a, o] of row) {
      agents.add(a);
      costEstimated ||= o.costEstimated;
      simulated ||= o.simulated;
    }
  }
  return { queries, agents: [...agents].sort(), outcomes, costEstimated, simulated };
}
