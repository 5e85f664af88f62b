import type { Mode } from "../src/core/modes.js";
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
export function memoryPoint(
  v: SparseVector,
  skills: readonly ActiveSkill[],
  outcomes: Record<string, number>,
): MemoryPoint {
  return {
    skills: skills.map((s) => s.id),
    idx: Array.from(v.idx),
    val: Array.from(v.val, (x) => Number(x.toPrecision(5))),
    outcomes,
  };
}

/** Per handbook and mode: an inverted index of the memory (dimension → points and values) and skill members. */
interface MemoryIndex {
  points: readonly MemoryPoint[];
  postings: Map<number, { p: Int32Array; v: Float64Array }>;
  members: Map<string, Uint8Array>;
  sims: Float64Array;
}

const indexes = new WeakMap<Handbook, Map<Mode, MemoryIndex>>();

function memoryIndex(h: Handbook, mode: Mode, points: readonly MemoryPoint[]): MemoryIndex {
  let byMode = indexes.get(h);
  if (!byMode) indexes.set(h, (byMode = new Map()));
  let mi = byMode.get(mode);
  if (!mi) {
    const lists = new Map<number, { p: number[]; v: number[] }>();
    const members = new Map<string, Uint8Array>();
    points.forEach((pt, i) => {
      for (let k = 0; k < pt.idx.length; k++) {
        const d = pt.idx[k]!;
        let l = lists.get(d);
        if (!l) lists.set(d, (l = { p: [], v: [] }));
        l.p.push(i);
        l.v.push(pt.val[k]!);
      }
      for (const s of pt.skills) {
        let m = members.get(s);
        if (!m) members.set(s, (m = new Uint8Array(points.length)));
        m[i] = 1;
      }
    });
    const postings = new Map<number, { p: Int32Array; v: Float64Array }>();
    for (const [d, l] of lists) postings.set(d, { p: Int32Array.from(l.p), v: Float64Array.from(l.v) });
    mi = { points, postings, members, sims: new Float64Array(points.length) };
    byMode.set(mode, mi);
  }
  return mi;
}

/** Local evidence for a step, or undefined when the handbook keeps no memory for the mode or nothing is near. */
export function localEvidence(
  h: Handbook,
  text: string,
  mode: Mode,
  skills: readonly ActiveSkill[],
  opts: NeighbourOptions = {},
): LocalEvidence | undefined {
  const memory = h.memory?.[mode];
  const model = h.text?.[mode];
  if (!memory || !model || memory.length === 0 || !usesNeighbours(h)) return undefined;
  const mi = memoryIndex(h, mode, memory);
  const main = [...skills].sort((a, b) => b.weight - a.weight)[0]?.id;
  const within = main !== undefined ? mi.members.get(main) : undefined;
  if (main !== undefined && !within) return undefined;
  const q = embed(model, text);
  const sims = mi.sims;
  const touched: number[] = [];
  for (let k = 0; k < q.idx.length; k++) {
    const post = mi.postings.get(q.idx[k]!);
    if (!post) continue;
    const w = q.val[k]!;
    for (let j = 0; j < post.p.length; j++) {
      const i = post.p[j]!;
      if (within && within[i] === 0) continue;
      if (sims[i] === 0) touched.push(i);
      sims[i] = sims[i]! + w * post.v[j]!;
    }
  }
  const near = touched.filter((i) => sims[i]! > 0).map((i) => ({ p: mi.points[i]!, sim: sims[i]! }));
  for (const i of touched) sims[i] = 0;
  if (near.length === 0) return undefined;
  near.sort((a, b) => b.sim - a.sim);
  const k = opts.k ?? 10;
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
