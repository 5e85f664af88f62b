import { observations, posteriorMean } from "../../handbook/competence.js";
import type { Handbook, RoutingInsight } from "../../handbook/schema.js";
import { leafSkills } from "../../handbook/matcher.js";
import type { Mode } from "../core/modes.js";
import type { QueryItem } from "./queries.js";
import { gTest } from "./stats.js";
import { FEATURE_TEXT, STRUCTURE_FEATURES, structure, type StructureFeature } from "./text.js";

/**
 * Statistical counterparts of the LLM's mode insights: for each structure feature of a query (numbers, code,
 * multiple choice, maths, length…), does the mode succeed more or less often on queries that have it (a 2×2 G-test
 * over the acting agents' outcomes), and does another agent lead on them? Each insight carries the query ids that
 * support it. Also per-agent strengths and weaknesses from the profiled skills.
 */

export interface InsightOptions {
  alpha?: number;
  minCount?: number;
  /** Query ids kept as evidence per insight. Default 20. */
  evidenceIds?: number;
}

function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

export function modeInsights(items: readonly QueryItem[], mode: Mode, opts: InsightOptions = {}): RoutingInsight[] {
  const alpha = opts.alpha ?? 0.01;
  const minCount = opts.minCount ?? 8;
  const keep = opts.evidenceIds ?? 20;
  const points = items.filter((i) => i.mode === mode);
  const feats = points.map((p) => structure(p.text));
  const out: RoutingInsight[] = [];
  for (const f of STRUCTURE_FEATURES as readonly StructureFeature[]) {
    const withF = points.filter((_, k) => feats[k]![f]);
    const without = points.filter((_, k) => !feats[k]![f]);
    if (withF.length < minCount || without.length < minCount) continue;
    const tally = (ps: readonly QueryItem[]) => {
      let s = 0;
      let n = 0;
      const byAgent = new Map<string, { s: number; n: number }>();
      for (const p of ps)
        for (const o of p.outcomes) {
          if (!o.acted) continue;
          s += o.score;
          n++;
          const a = byAgent.get(o.agent) ?? { s: 0, n: 0 };
          a.s += o.score;
          a.n++;
          byAgent.set(o.agent, a);
        }
      return { s, n, byAgent };
    };
    const a = tally(withF);
    const b = tally(without);
    if (a.n === 0 || b.n === 0) continue;
    const test = gTest([
      [a.s, a.n - a.s],
      [b.s, b.n - b.s],
    ]);
    const evidence = withF.slice(0, keep).map((p) => p.queryId);
    if (test.p < alpha) {
      out.push({
        type: "usage",
        text: `${mode} mode: ${FEATURE_TEXT[f]} succeed in ${pct(a.s / a.n)} of traces (vs ${pct(b.s / b.n)} otherwise; ${withF.length} queries)`,
        confidence: Math.min(1, Math.max(0, 1 - test.p)),
        evidence,
      });
    }
    // Agent preference: the leader on queries with the feature, when it is not the overall leader.
    const rate = (t: { s: number; n: number } | undefined) => (t && t.n > 0 ? t.s / t.n : 0);
    const all = tally(points);
    const leader = (m: Map<string, { s: number; n: number }>) =>
      [...m].sort((x, y) => rate(y[1]) - rate(x[1]) || (x[0] < y[0] ? -1 : 1))[0];
    const lf = leader(a.byAgent);
    const lo = leader(all.byAgent);
    if (!lf || !lo || lf[0] === lo[0] || lf[1].n < minCount) continue;
    const other = a.byAgent.get(lo[0]);
    if (!other || other.n < minCount) continue;
    const t2 = gTest([
      [lf[1].s, lf[1].n - lf[1].s],
      [other.s, other.n - other.s],
    ]);
    if (t2.p < alpha)
      out.push({
        type: "agent_preference",
        text: `${mode} mode: on ${FEATURE_TEXT[f]}, ${lf[0]} succeeds most (${pct(rate(lf[1]))} vs ${pct(rate(other))} for ${lo[0]}, the best overall)`,
        confidence: Math.min(1, Math.max(0, 1 - t2.p)),
        evidence,
      });
  }
  return out.sort((x, y) => y.confidence - x.confidence || (x.text < y.text ? -1 : 1));
}

/** Per agent: skills where it is the best (strengths) and where it trails the best by 0.2 or more (weaknesses). */
export function agentNotes(h: Handbook, minCount = 8): Handbook {
  const agents = structuredClone(h.agents);
  for (const p of Object.values(agents)) {
    p.strengths = [];
    p.weaknesses = [];
  }
  const prior = h.metadata.prior;
  for (const skill of leafSkills(h.skills)) {
    const served = Object.keys(agents).filter((a) => agents[a]!.modes.includes(skill.mode));
    const rated = served
      .map((a) => ({ a, e: agents[a]!.competence[skill.id] }))
      .filter((x) => observations(x.e) >= minCount)
      .map((x) => ({ a: x.a, mean: posteriorMean(x.e, prior), n: observations(x.e) }));
    if (rated.length < 2) continue;
    rated.sort((x, y) => y.mean - x.mean || (x.a < y.a ? -1 : 1));
    const best = rated[0]!;
    agents[best.a]!.strengths.push(
      `best on ${skill.id} (${skill.name}): ${best.mean.toFixed(2)} over ${best.n.toFixed(0)} traces`,
    );
    for (const r of rated.slice(1))
      if (best.mean - r.mean >= 0.2)
        agents[r.a]!.weaknesses.push(
          `${skill.id} (${skill.name}): ${r.mean.toFixed(2)} vs ${best.mean.toFixed(2)} for ${best.a}`,
        );
  }
  return { ...h, agents };
}
