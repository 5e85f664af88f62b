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

/** A vector as stored in memory points (values to 5 significant digits), per vector; shared, so frozen. */
const stored = new WeakMap<SparseVector, { idx: number[]; val: number[] }>();

/** A memory point of a labelled query (its idx and val arrays are shared by every point of the same vector). */
export function memoryPoint(
  v: SparseVector,
  skills: readonly ActiveSkill[],
  outcomes: Record<string, number>,
): MemoryPoint {
  let sv = stored.get(v);
  if (!sv) {
    sv = {
      idx: Object.freeze(Array.from(v.idx)) as number[],
      val: Object.freeze(Array.from(v.val, (x) => Number(x.toPrecision(5)))) as number[],
    };
    stored.set(v, sv);
  }
  return { skills: skills.map((s) => s.id), idx: sv.idx, val: sv.val, outcomes };
}

/**
 * The vectors of a memory as an inverted index (dimension → points and values), shared by every handbook whose memory
 * of a mode holds the same vectors in the same order (the candidates select weighs are profiled on the same labelled
 * points): a step's similarities to every point are computed once and each handbook takes its nearest within its
 * own skill from them. The last query's similarities are kept.
 */
interface VectorIndex {
  /** The memory the index was built from (points' idx and val are compared with it before it is shared). */
  points: readonly MemoryPoint[];
  postings: Map<number, { p: Int32Array; v: Float64Array }>;
  sims: Float64Array;
  /** Points in the order a query first reached them (a point whose sum returns to 0 is listed again, as before). */
  touched: Int32Array;
  touchedCount: number;
  /** The query vector the similarities are of. */
  last: SparseVector | undefined;
  /**
   * The first TOP entries of the touched list (sim > 0) in the order a stable sort by similarity gives them, as
   * positions in `touched`; `topCount` of them, all when there are no more.
   */
  top: Int32Array;
  topSim: Float64Array;
  topCount: number;
  /** Entries with sim > 0 in the touched list. */
  positive: number;
}

/** Entries of a query's global nearest list kept for the handbooks to take their nearest within a skill from. */
const TOP = 128;

/** Per handbook and mode: the shared vector index and the members of each skill. */
interface MemoryIndex {
  points: readonly MemoryPoint[];
  vectors: VectorIndex;
  members: Map<string, Uint8Array>;
}

const indexes = new WeakMap<Handbook, Map<Mode, MemoryIndex>>();
/** Vector indexes by a hash of their vectors (the most recent few). */
const vectorIndexes = new Map<number, VectorIndex[]>();
const VECTOR_INDEXES_MAX = 4;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

function vectorsHash(points: readonly MemoryPoint[]): number {
  let h = 0x811c9dc5 ^ points.length;
  for (const pt of points) {
    h = Math.imul(h ^ pt.idx.length, 0x01000193);
    for (let k = 0; k < pt.idx.length; k++) {
      bits[0] = pt.val[k]!;
      h = Math.imul(h ^ pt.idx[k]!, 0x01000193);
      h = Math.imul(h ^ words[0]!, 0x01000193);
      h = Math.imul(h ^ words[1]!, 0x01000193);
    }
  }
  return h >>> 0;
}

function sameVectors(a: readonly MemoryPoint[], b: readonly MemoryPoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.idx === y.idx && x.val === y.val) continue;
    if (x.idx.length !== y.idx.length || x.val.length !== y.val.length) return false;
    for (let k = 0; k < x.idx.length; k++) if (x.idx[k] !== y.idx[k]) return false;
    for (let k = 0; k < x.val.length; k++) if (!Object.is(x.val[k], y.val[k])) return false;
  }
  return true;
}

function vectorIndex(points: readonly MemoryPoint[]): VectorIndex {
  // Handbooks profiled on the same queries share their points' vector arrays: try the indexes kept before hashing.
  for (const group of vectorIndexes.values()) {
    const hit = group.find((vi) => sameVectors(vi.points, points));
    if (hit) return hit;
  }
  const hash = vectorsHash(points);
  const same = vectorIndexes.get(hash);
  const lists = new Map<number, { p: number[]; v: number[] }>();
  points.forEach((pt, i) => {
    for (let k = 0; k < pt.idx.length; k++) {
      const d = pt.idx[k]!;
      let l = lists.get(d);
      if (!l) lists.set(d, (l = { p: [], v: [] }));
      l.p.push(i);
      l.v.push(pt.val[k]!);
    }
  });
  const postings = new Map<number, { p: Int32Array; v: Float64Array }>();
  let entries = 0;
  for (const [d, l] of lists) {
    postings.set(d, { p: Int32Array.from(l.p), v: Float64Array.from(l.v) });
    entries += l.p.length;
  }
  const vi: VectorIndex = {
    points,
    postings,
    sims: new Float64Array(points.length),
    touched: new Int32Array(entries),
    touchedCount: 0,
    last: undefined,
    top: new Int32Array(TOP),
    topSim: new Float64Array(TOP),
    topCount: 0,
    positive: 0,
  };
  if (same) same.push(vi);
  else {
    if (vectorIndexes.size >= VECTOR_INDEXES_MAX) vectorIndexes.delete(vectorIndexes.keys().next().value!);
    vectorIndexes.set(hash, [vi]);
  }
  return vi;
}

function memoryIndex(h: Handbook, mode: Mode, points: readonly MemoryPoint[]): MemoryIndex {
  let byMode = indexes.get(h);
  if (!byMode) indexes.set(h, (byMode = new Map()));
  let mi = byMode.get(mode);
  if (!mi) {
    const members = new Map<string, Uint8Array>();
    points.forEach((pt, i) => {
      for (const s of pt.skills) {
        let m = members.get(s);
        if (!m) members.set(s, (m = new Uint8Array(points.length)));
        m[i] = 1;
      }
    });
    mi = { points, vectors: vectorIndex(points), members };
    byMode.set(mode, mi);
  }
  return mi;
}

/** The similarities of a query vector to every point of an index (kept until the next query). */
function similarities(vi: VectorIndex, q: SparseVector): VectorIndex {
  if (vi.last === q) return vi;
  const sims = vi.sims;
  const touched = vi.touched;
  for (let t = 0; t < vi.touchedCount; t++) sims[touched[t]!] = 0;
  let count = 0;
  for (let k = 0; k < q.idx.length; k++) {
    const post = vi.postings.get(q.idx[k]!);
    if (!post) continue;
    const w = q.val[k]!;
    const p = post.p;
    const v = post.v;
    for (let j = 0; j < p.length; j++) {
      const i = p[j]!;
      if (sims[i] === 0) touched[count++] = i;
      sims[i] = sims[i]! + w * v[j]!;
    }
  }
  vi.touchedCount = count;
  vi.last = q;
  // The global nearest: the first TOP of a stable sort by similarity (descending) of the entries with sim > 0.
  const top = vi.top;
  const topSim = vi.topSim;
  let n = 0;
  let positive = 0;
  for (let t = 0; t < count; t++) {
    const sim = sims[touched[t]!]!;
    if (!(sim > 0)) continue;
    positive++;
    if (n === TOP && !(sim > topSim[TOP - 1]!)) continue;
    let at = n < TOP ? n++ : TOP - 1;
    while (at > 0 && topSim[at - 1]! < sim) {
      top[at] = top[at - 1]!;
      topSim[at] = topSim[at - 1]!;
      at--;
    }
    top[at] = t;
    topSim[at] = sim;
  }
  vi.topCount = n;
  vi.positive = positive;
  return vi;
}

/**
 * The first k (k ≥ 1) touched entries within a skill (all when `within` is undefined) with sim > 0, most similar
 * first, ties in touched order (a stable sort's order), as point indices with their similarities; `near`: whether
 * any entry qualifies. From the global nearest list when it holds k of them (the skill's order is the global
 * order restricted to it), else by a scan of every touched entry.
 */
function nearestWithin(
  vi: VectorIndex,
  within: Uint8Array | undefined,
  k: number,
): { points: number[]; sims: number[]; near: boolean } {
  const touched = vi.touched;
  const points: number[] = [];
  const sims: number[] = [];
  for (let r = 0; r < vi.topCount && points.length < k; r++) {
    const i = touched[vi.top[r]!]!;
    if (within && within[i] === 0) continue;
    points.push(i);
    sims.push(vi.topSim[r]!);
  }
  // Complete: k found, or the global list holds every positive entry.
  if (points.length === k || vi.topCount === vi.positive) return { points, sims, near: points.length > 0 };
  points.length = 0;
  sims.length = 0;
  let near = false;
  for (let t = 0; t < vi.touchedCount; t++) {
    const i = touched[t]!;
    if (within && within[i] === 0) continue;
    const sim = vi.sims[i]!;
    if (!(sim > 0)) continue;
    near = true;
    if (points.length === k && !(sim > sims[k - 1]!)) continue;
    let at = points.length;
    while (at > 0 && sims[at - 1]! < sim) at--;
    points.splice(at, 0, i);
    sims.splice(at, 0, sim);
    if (points.length > k) {
      points.pop();
      sims.pop();
    }
  }
  return { points, sims, near };
}

/** Agents by a number (every agent name seen in memory points), for summing local evidence in typed arrays. */
const agentIds = new Map<string, number>();
const agentNames: string[] = [];

/** A point's outcomes as agent numbers and scores, in Object.entries order, per outcomes object (never modified). */
const outcomeEntries = new WeakMap<object, { agents: Int32Array; scores: Float64Array }>();

function entriesOf(outcomes: Record<string, number>): { agents: Int32Array; scores: Float64Array } {
  let e = outcomeEntries.get(outcomes);
  if (!e) {
    const entries = Object.entries(outcomes);
    const agents = new Int32Array(entries.length);
    entries.forEach(([agent], k) => {
      let id = agentIds.get(agent);
      if (id === undefined) {
        id = agentNames.length;
        agentIds.set(agent, id);
        agentNames.push(agent);
      }
      agents[k] = id;
    });
    e = { agents, scores: Float64Array.from(entries, ([, score]) => score) };
    outcomeEntries.set(outcomes, e);
  }
  return e;
}

/** Per agent number: summed successes and failures, and the call that last touched it (zero between calls). */
let sumS = new Float64Array(16);
let sumF = new Float64Array(16);
let touchedBy = new Int32Array(16);
let call = 0;

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
  const vi = similarities(mi.vectors, embed(model, text));
  const k = opts.k ?? 10;
  let points: number[];
  let sims: number[];
  if (Number.isInteger(k) && k > 0) {
    const found = nearestWithin(vi, within, k);
    if (!found.near) return undefined;
    points = found.points;
    sims = found.sims;
  } else {
    // As slice(0, k) of the whole sorted list (k = 0: none; k < 0: all but the last −k).
    const all = nearestWithin(vi, within, vi.touchedCount);
    if (!all.near) return undefined;
    points = all.points.slice(0, k);
    sims = all.sims.slice(0, k);
  }
  // Each agent's similarity-weighted successes and failures, summed point by point in order; the record's keys in
  // the order the agents first appear.
  const stamp = ++call;
  const order: number[] = [];
  for (let r = 0; r < points.length; r++) {
    const { agents, scores } = entriesOf(mi.points[points[r]!]!.outcomes);
    if (agentNames.length > sumS.length) {
      const grow = (a: Float64Array) => Float64Array.from({ length: 2 * agentNames.length }, (_, j) => a[j] ?? 0);
      sumS = grow(sumS);
      sumF = grow(sumF);
      touchedBy = Int32Array.from({ length: 2 * agentNames.length }, (_, j) => touchedBy[j] ?? 0);
    }
    const sim = sims[r]!;
    for (let j = 0; j < agents.length; j++) {
      const a = agents[j]!;
      if (touchedBy[a] !== stamp) {
        touchedBy[a] = stamp;
        sumS[a] = 0;
        sumF[a] = 0;
        order.push(a);
      }
      const score = scores[j]!;
      sumS[a] = sumS[a]! + sim * score;
      sumF[a] = sumF[a]! + sim * (1 - score);
    }
  }
  const evidence: Record<string, Evidence> = {};
  for (const a of order) evidence[agentNames[a]!] = { successes: sumS[a]!, failures: sumF[a]! };
  return { evidence, strength: opts.strength ?? 4 };
}

/** A handbook switched to the neighbours estimator (its memory is filled when it is next profiled). */
export function withNeighbours(h: Handbook): Handbook {
  return { ...h, metadata: { ...h.metadata, learning: { ...h.metadata.learning, estimator: { kind: "neighbours" } } } };
}
