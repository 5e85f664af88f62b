import type { Mode } from "../src/modes.js";
import type { Evidence, Handbook, MemoryPoint } from "./schema.js";
import type { ActiveSkill } from "./select.js";
import { embed, type SparseVector } from "./text.js";

/**
 * The neighbours estimator: a per-query success estimate from the query's nearest labelled neighbours within its
 * skill. The handbook keeps its labelled points (`Handbook.memory`: embedding, active skills, each agent's score);
 * for a step, the k points most similar to the step's text among those sharing its main skill give each agent
 * local evidence (similarity-weighted successes and failures), which selection blends with the skill-level
 * estimate as ĉ = (m·ĉ_skill + s) / (m + n): the skill's competence counts as m pseudo-observations. Pure.
 */

export interface NeighbourOptions {
  /** Neighbours used (default 10). */
  k?: number;
  /** Weight of the skill-level estimate, in observations (default 4). */
  strength?: number;
}

export interface LocalEvidence {
  evidence: Record<string, Evidence>;
  strength: number;
}

/** Whether a handbook routes with the neighbours estimator (its memory is rebuilt whenever it is profiled). */
export function usesNeighbours(h: Handbook): boolean {
  return (h.metadata.learning.estimator as { kind?: string } | undefined)?.kind === "neighbours";
}

/** A memory point of a labelled query. */
export function memoryPoint(v: SparseVector, skills: readonly ActiveSkill[], outcomes: Record<string, number>): MemoryPoint {
  return { skills: skills.map((s) => s.id), idx: Array.from(v.idx), val: Array.from(v.val, (x) => Number(x.toPrecision(5))), outcomes };
}

function dot(a: SparseVector, b: MemoryPoint): number {
  let s = 0;
  for (let i = 0, j = 0; i < a.idx.length && j < b.idx.length; ) {
    const x = a.idx[i]!;
    const y = b.idx[j]!;
    if (x === y) s += a.val[i++]! * b.val[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}

/** Local evidence for a step, or undefined when the handbook keeps no memory for the mode or nothing is near. */
export function localEvidence(h: Handbook, text: string, mode: Mode, skills: readonly ActiveSkill[], opts: NeighbourOptions = {}): LocalEvidence | undefined {
  const memory = h.memory?.[mode];
  const model = h.text?.[mode];
  if (!memory || !model || memory.length === 0 || !usesNeighbours(h)) return undefined;
  const main = [...skills].sort((a, b) => b.weight - a.weight)[0]?.id;
  const q = embed(model, text);
  const k = opts.k ?? 10;
  const near: { p: MemoryPoint; sim: number }[] = [];
  for (const p of memory) {
    if (main !== undefined && !p.skills.includes(main)) continue;
    const sim = dot(q, p);
    if (sim > 0) near.push({ p, sim });
  }
  if (near.length === 0) return undefined;
  near.sort((a, b) => b.sim - a.sim);
  const evidence: Record<string, Evidence> = {};
  for (const { p, sim } of near.slice(0, k))
    for (const [agent, score] of Object.entries(p.outcomes)) {
      const e = (evidence[agent] ??= { successes: 0, failures: 0 });
      e.successes += sim * score;
      e.failures += sim * (1 - score);
    }
  return { evidence, strength: opts.strength ?? 4 };
}

/** A handbook switched to the neighbours estimator (its memory is filled when it is next profiled). */
export function withNeighbours(h: Handbook): Handbook {
  return { ...h, metadata: { ...h.metadata, learning: { ...h.metadata.learning, estimator: { kind: "neighbours" } } } };
}
