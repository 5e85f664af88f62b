import { leafSkills, SkillMatcher } from "../../handbook/matcher.js";
import type { ActiveSkill, Estimator, Shrinkage, Strategy } from "../../handbook/select.js";
import { depthOf, parentIdOf, type Evidence, type Handbook, type Skill } from "../../handbook/schema.js";
import { merge, split, type SplitChild } from "../../handbook/views.js";
import type { Mode } from "../core/modes.js";
import { describeCluster, type DescribeContext } from "./describe.js";
import { outcomeMatrix } from "./discover.js";
import { evaluateHandbook, type Evaluation, type ReplayIndex } from "./evaluate.js";
import { kmeans } from "./kmeans.js";
import type { LlmCall } from "./log.js";
import type { QueryItem } from "./queries.js";
import { perAgentTests, profileTest, type TestResult } from "./stats.js";
import { centroidOf, type TextModel } from "../../handbook/text.js";
import { textVectors, type SparseVector } from "./vectors.js";

/**
 * Refinement: split a skill whose agents' outcomes differ significantly between sub-clusters of its traces; merge
 * two skills of a mode when no agent's outcomes differ between them. Decisions are statistical (G-tests with a
 * minimum count); evidence stays exact (a split re-attributes the parent's traces to the children through
 * views.split; a merge sums through views.merge); and every refinement is kept only if the validation objective
 * (accuracy − λ·normalised cost, by replay) does not drop. Rolled-back refinements are reported.
 */

/** Names and describes a new skill (the LLM in LLM mode); the statistical description is the fallback. */
export interface Namer {
  name(req: NameRequest): Promise<{ name: string; description: string; calls: LlmCall[] }>;
}

export interface NameRequest {
  mode: Mode;
  op: "split" | "merge";
  /** The statistical description (name, description, indicators, examples) of the new skill. */
  proposed: { id: string; name: string; description: string; indicators: string[]; examples: string[] };
  /** What it came from. */
  from: Skill[];
  /** Names of the other skills of the mode (to avoid repeating them). */
  others: string[];
}

export interface RefineOptions {
  lambda?: number;
  strategy?: Strategy;
  estimator?: Estimator;
  /** Hierarchical shrinkage used when routing validation queries (selectAgent's option). */
  shrinkage?: Shrinkage;
  /** Significance level of split and merge tests. Default 0.01. */
  alpha?: number;
  /** Minimum (fractional) observations: per part for a split, per agent and skill for a merge test. Default 8. */
  minCount?: number;
  /** Rounds of split-then-merge (stops early when a round changes nothing). Default 3. */
  maxRounds?: number;
  /** Proposals tried per kind per round (most significant first). Default 4. */
  maxProposals?: number;
  /** Example queries per new skill. Default 20. */
  examples?: number;
  seed?: string | number;
  namer?: Namer;
  now?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface RefinementStep {
  round: number;
  op: "split" | "merge";
  skills: string[];
  /** New skill ids (children of a split, or the merged skill). */
  into: string[];
  test: TestResult;
  before: number;
  after: number;
  kept: boolean;
}

export interface RefineResult {
  handbook: Handbook;
  steps: RefinementStep[];
  rounds: number;
  validation: Evaluation;
  calls: LlmCall[];
}

interface ModeText {
  items: QueryItem[];
  /** Every item index (one array, so describeCluster's document frequencies are computed once). */
  all: number[];
  index: Map<string, number>;
  docs: string[][];
  points: SparseVector[];
  dims: number;
  ctx: DescribeContext;
  /** The handbook's text model of the mode, when its skills carry centroids. */
  model?: TextModel;
}

function modeTexts(train: readonly QueryItem[], examples: number, models?: Handbook["text"]): Map<Mode, ModeText> {
  const out = new Map<Mode, ModeText>();
  const byMode = new Map<Mode, QueryItem[]>();
  for (const it of train) {
    let l = byMode.get(it.mode);
    if (!l) byMode.set(it.mode, (l = []));
    l.push(it);
  }
  for (const [mode, items] of byMode) {
    const texts = items.map((i) => i.text);
    const v = textVectors(texts, models?.[mode]);
    const { docs, points } = v;
    out.set(mode, {
      items,
      all: items.map((_, i) => i),
      index: new Map(items.map((it, i) => [it.key, i])),
      docs,
      points,
      dims: v.dims,
      ctx: { docs, points, texts, items, dims: v.dims, examples, indicators: 8 },
      ...(models?.[mode] ? { model: v.model } : {}),
    });
  }
  return out;
}

/** Traces (item indices within the mode) active on a skill, with their weights. */
function tracesOf(
  skill: string,
  mt: ModeText,
  ident: ReadonlyMap<string, readonly ActiveSkill[]>,
): { i: number; w: number }[] {
  const out: { i: number; w: number }[] = [];
  mt.items.forEach((it, i) => {
    const skills = ident.get(it.key) ?? [];
    const total = skills.reduce((a, s) => a + s.weight, 0);
    const s = skills.find((x) => x.id === skill);
    if (s && total > 0 && s.weight > 0) out.push({ i, w: s.weight / total });
  });
  return out;
}

function evidenceSums(
  traces: readonly { i: number; w: number }[],
  m: { s: Float64Array[]; f: Float64Array[] },
  nAgents: number,
) {
  const successes = new Array<number>(nAgents).fill(0);
  const failures = new Array<number>(nAgents).fill(0);
  for (const t of traces) {
    for (let j = 0; j < nAgents; j++) {
      successes[j]! += t.w * m.s[t.i]![j]!;
      failures[j]! += t.w * m.f[t.i]![j]!;
    }
  }
  return { successes, failures };
}

function replaceSkill(
  ident: Map<string, ActiveSkill[]>,
  keys: Iterable<string>,
  from: ReadonlySet<string>,
  to: (key: string, w: number) => ActiveSkill[],
): void {
  for (const key of keys) {
    const skills = ident.get(key);
    if (!skills) continue;
    const total = skills.reduce((a, s) => a + s.weight, 0);
    const kept: ActiveSkill[] = [];
    const moved = new Map<string, number>();
    for (const s of skills) {
      if (!from.has(s.id)) {
        kept.push({ id: s.id, weight: s.weight / total });
        continue;
      }
      for (const n of to(key, s.weight / total)) moved.set(n.id, (moved.get(n.id) ?? 0) + n.weight);
    }
    for (const k of kept) moved.set(k.id, (moved.get(k.id) ?? 0) + k.weight);
    ident.set(
      key,
      [...moved].map(([id, weight]) => ({ id, weight })),
    );
  }
}

/** Drop categories left without children and without evidence (after a merge emptied them). */
function dropEmptyCategories(h: Handbook, candidates: readonly string[]): Handbook {
  let out = h;
  for (const cat of candidates) {
    if (!(cat in out.skills) || depthOf(cat) !== 1) continue;
    const prefix = `${cat}.`;
    if (Object.keys(out.skills).some((id) => id.startsWith(prefix))) continue;
    if (Object.values(out.agents).some((p) => p.competence[cat])) continue;
    const skills = { ...out.skills };
    delete skills[cat];
    out = { ...out, skills };
  }
  return out;
}

function freeChildId(h: Handbook, parent: string, k: number): string {
  let n = k;
  while (`${parent}.part_${n}` in h.skills) n++;
  return `${parent}.part_${n}`;
}

export async function refine(
  start: Handbook,
  train: readonly QueryItem[],
  identification: ReadonlyMap<string, readonly ActiveSkill[]>,
  validation: { index: ReplayIndex; queries: readonly string[] },
  opts: RefineOptions = {},
): Promise<RefineResult> {
  const alpha = opts.alpha ?? 0.01;
  const minCount = opts.minCount ?? 8;
  const maxRounds = opts.maxRounds ?? 3;
  const maxProposals = opts.maxProposals ?? 4;
  const seed = String(opts.seed ?? 0);
  const evalOpts = {
    lambda: opts.lambda ?? 0,
    ...(opts.strategy ? { strategy: opts.strategy } : {}),
    ...(opts.estimator ? { estimator: opts.estimator } : {}),
    ...(opts.shrinkage !== undefined ? { shrinkage: opts.shrinkage } : {}),
  };
  const texts = modeTexts(train, opts.examples ?? 20, start.text);
  const ident = new Map<string, ActiveSkill[]>([...identification].map(([k, v]) => [k, v.map((s) => ({ ...s }))]));
  let h = start;
  let current = evaluateHandbook(h, validation.index, validation.queries, evalOpts);
  const steps: RefinementStep[] = [];
  const calls: LlmCall[] = [];
  const rejected = new Set<string>();
  let rounds = 0;
  const agentsOf = (mode: Mode) =>
    Object.keys(h.agents)
      .filter((a) => h.agents[a]!.modes.includes(mode))
      .sort();

  /** The learning model's names change what the matcher sees: keep them only if validation does not drop. */
  const keepNamesIfNoWorse = (named: Handbook, unnamed: Handbook): Handbook => {
    const e = evaluateHandbook(named, validation.index, validation.queries, evalOpts);
    if (e.objective >= current.objective - 1e-12) {
      current = e;
      return named;
    }
    return unnamed;
  };

  const gate = (candidate: Handbook, step: Omit<RefinementStep, "before" | "after" | "kept">): boolean => {
    const e = evaluateHandbook(candidate, validation.index, validation.queries, evalOpts);
    const kept = e.objective >= current.objective - 1e-12;
    steps.push({ ...step, before: current.objective, after: e.objective, kept });
    if (kept) current = e;
    return kept;
  };

  for (let round = 1; round <= maxRounds; round++) {
    rounds = round;
    let changed = 0;
    const touched = new Set<string>();

    // Splits.
    const matrices = new Map<Mode, { s: Float64Array[]; f: Float64Array[] }>();
    const splits: { skill: string; mode: Mode; parts: { i: number; w: number }[][]; test: TestResult }[] = [];
    for (const skill of leafSkills(h.skills)) {
      const mt = texts.get(skill.mode);
      if (!mt) continue;
      const traces = tracesOf(skill.id, mt, ident);
      const mass = traces.reduce((a, t) => a + t.w, 0);
      if (mass < 2 * minCount || traces.length < 2 * minCount) continue;
      const key = `split:${skill.id}:${traces.length}`;
      if (rejected.has(key)) continue;
      const km = kmeans(
        traces.map((t) => mt.points[t.i]!),
        2,
        mt.dims,
        { seed: `${seed}:${skill.id}:${round}` },
      );
      const parts: { i: number; w: number }[][] = [[], []];
      traces.forEach((t, k) => {
        parts[km.assignment[k] === 1 ? 1 : 0]!.push(t);
      });
      if (parts.some((p) => p.reduce((a, t) => a + t.w, 0) < minCount)) continue;
      const agents = agentsOf(skill.mode);
      const m = matrices.get(skill.mode) ?? matrices.set(skill.mode, outcomeMatrix(mt.items, agents)).get(skill.mode)!;
      const [e0, e1] = parts.map((part) => evidenceSums(part, m, agents.length));
      const test = profileTest({ successes: [e0!.successes, e1!.successes], failures: [e0!.failures, e1!.failures] });
      if (test.p < alpha) splits.push({ skill: skill.id, mode: skill.mode, parts, test });
    }
    splits.sort((a, b) => a.test.p - b.test.p || (a.skill < b.skill ? -1 : 1));
    const totalWork = Math.min(splits.length, maxProposals) + maxProposals;
    let work = 0;
    for (const prop of splits.slice(0, maxProposals)) {
      opts.onProgress?.(++work, totalWork);
      if (touched.has(prop.skill)) continue;
      const mt = texts.get(prop.mode)!;
      const parent = h.skills[prop.skill]!;
      const all = mt.all;
      const children = prop.parts.map((part, k) => {
        const d = describeCluster(
          part.map((t) => t.i),
          all,
          mt.ctx,
        );
        return {
          id: freeChildId(h, prop.skill, k),
          d,
          part,
          centroid: mt.model
            ? centroidOf(
                mt.model,
                part.map((t) => mt.points[t.i]!),
              )
            : undefined,
        };
      });
      // Re-attribute the parent's traces among the children only (the matcher restricted to them), falling back
      // to the sub-cluster a trace was put in.
      const childMatcher = new SkillMatcher(
        children.map((c) => ({
          id: c.id,
          mode: prop.mode,
          name: c.d.name,
          description: c.d.description,
          indicators: c.d.indicators,
          examples: c.d.examples,
        })),
      );
      const partOf = new Map<number, number>();
      children.forEach((c, k) => {
        for (const t of c.part) partOf.set(t.i, k);
      });
      const shares = new Map<string, ActiveSkill[]>();
      const traces = tracesOf(prop.skill, mt, ident);
      for (const t of traces) {
        const it = mt.items[t.i]!;
        const matches = mt.model ? [] : childMatcher.match(it.text, prop.mode);
        const total = matches.reduce((a, x) => a + x.score, 0);
        shares.set(
          it.key,
          total > 0
            ? matches.map((x) => ({ id: x.id, weight: x.score / total }))
            : [{ id: children[partOf.get(t.i) ?? 0]!.id, weight: 1 }],
        );
      }
      const agents = agentsOf(prop.mode);
      const evidence: Record<string, Record<string, Evidence>> = Object.fromEntries(children.map((c) => [c.id, {}]));
      for (const t of traces) {
        const it = mt.items[t.i]!;
        for (const o of it.outcomes) {
          if (!o.acted || !agents.includes(o.agent)) continue;
          for (const sh of shares.get(it.key)!) {
            const e = (evidence[sh.id]![o.agent] ??= { successes: 0, failures: 0 });
            e.successes += t.w * sh.weight * o.score;
            e.failures += t.w * sh.weight * (1 - o.score);
          }
        }
      }
      const splitChildren: SplitChild[] = children.map((c) => ({
        skill: {
          id: c.id,
          name: c.d.name,
          description: c.d.description,
          indicators: c.d.indicators,
          examples: c.d.examples,
          discoveredFrom: c.d.memberIds,
          ...(c.centroid ? { centroid: c.centroid } : {}),
        },
        evidence: evidence[c.id]!,
      }));
      const note = `outcome profiles differ between sub-clusters (G=${prop.test.g.toFixed(1)}, df=${prop.test.df}, p=${prop.test.p.toExponential(2)})`;
      const candidate = split(h, prop.skill, splitChildren, { ...(opts.now ? { at: opts.now } : {}), note });
      const kept = gate(candidate, {
        round,
        op: "split",
        skills: [prop.skill],
        into: children.map((c) => c.id),
        test: prop.test,
      });
      if (!kept) {
        rejected.add(`split:${prop.skill}:${prop.parts[0]!.length + prop.parts[1]!.length}`);
        continue;
      }
      h = candidate;
      replaceSkill(ident, shares.keys(), new Set([prop.skill]), (key, w) =>
        shares.get(key)!.map((s) => ({ id: s.id, weight: s.weight * w })),
      );
      touched.add(prop.skill);
      for (const c of children) touched.add(c.id);
      changed++;
      if (opts.namer) {
        const unnamed = h;
        for (const c of children) {
          const named = await opts.namer.name({
            mode: prop.mode,
            op: "split",
            proposed: {
              id: c.id,
              name: c.d.name,
              description: c.d.description,
              indicators: c.d.indicators,
              examples: c.d.examples,
            },
            from: [parent],
            others: leafSkills(h.skills)
              .filter((s) => s.mode === prop.mode && s.id !== c.id)
              .map((s) => s.name),
          });
          calls.push(...named.calls);
          h = {
            ...h,
            skills: { ...h.skills, [c.id]: { ...h.skills[c.id]!, name: named.name, description: named.description } },
          };
        }
        h = keepNamesIfNoWorse(h, unnamed);
      }
    }

    // Merges.
    const merges: { a: string; b: string; mode: Mode; test: TestResult; minP: number }[] = [];
    const leaves = leafSkills(h.skills);
    for (let x = 0; x < leaves.length; x++) {
      for (let y = x + 1; y < leaves.length; y++) {
        const a = leaves[x]!;
        const b = leaves[y]!;
        if (a.mode !== b.mode || depthOf(a.id) < 2 || depthOf(b.id) < 2) continue;
        if (touched.has(a.id) || touched.has(b.id)) continue;
        const key = `merge:${a.id}:${b.id}`;
        if (rejected.has(key)) continue;
        const agents = agentsOf(a.mode);
        const ev = (id: string) => ({
          successes: agents.map((g) => h.agents[g]!.competence[id]?.successes ?? 0),
          failures: agents.map((g) => h.agents[g]!.competence[id]?.failures ?? 0),
        });
        const ea = ev(a.id);
        const eb = ev(b.id);
        const { p, tested } = perAgentTests(ea, eb, minCount);
        if (tested === 0) continue;
        const finite = p.filter((x) => Number.isFinite(x));
        const minP = Math.min(...finite);
        // No agent differs: every tested agent's p is above alpha (Bonferroni over the agents tested).
        if (minP * tested < alpha) continue;
        const test = profileTest({ successes: [ea.successes, eb.successes], failures: [ea.failures, eb.failures] });
        merges.push({ a: a.id, b: b.id, mode: a.mode, test, minP });
      }
    }
    merges.sort((u, v) => v.minP - u.minP || (u.a + u.b < v.a + v.b ? -1 : 1));
    for (const prop of merges.slice(0, maxProposals)) {
      opts.onProgress?.(++work, totalWork);
      if (touched.has(prop.a) || touched.has(prop.b) || !(prop.a in h.skills) || !(prop.b in h.skills)) continue;
      const sa = h.skills[prop.a]!;
      const sb = h.skills[prop.b]!;
      const mt = texts.get(prop.mode);
      const members = mt ? [...tracesOf(prop.a, mt, ident), ...tracesOf(prop.b, mt, ident)].map((t) => t.i) : [];
      const unique = [...new Set(members)];
      const d = mt && unique.length > 0 ? describeCluster(unique, mt.all, mt.ctx) : undefined;
      const examples = d ? d.examples : [...new Set([...sa.examples, ...sb.examples])];
      const note = `no agent's outcomes differ (min p=${prop.minP.toFixed(3)} over agents with at least ${minCount} observations on both)`;
      let candidate = merge(
        h,
        prop.a,
        prop.b,
        {
          id: prop.a,
          name: d?.name ?? `${sa.name} / ${sb.name}`,
          ...(d ? { description: d.description, indicators: d.indicators } : {}),
          examples,
          ...(mt?.model && unique.length > 0
            ? {
                centroid: centroidOf(
                  mt.model,
                  unique.map((i) => mt.points[i]!),
                ),
              }
            : {}),
        },
        { ...(opts.now ? { at: opts.now } : {}), note },
      );
      const emptied = [parentIdOf(prop.b)].filter((c): c is string => c !== undefined && c !== parentIdOf(prop.a));
      candidate = dropEmptyCategories(candidate, emptied);
      const kept = gate(candidate, { round, op: "merge", skills: [prop.a, prop.b], into: [prop.a], test: prop.test });
      if (!kept) {
        rejected.add(`merge:${prop.a}:${prop.b}`);
        continue;
      }
      h = candidate;
      replaceSkill(ident, ident.keys(), new Set([prop.a, prop.b]), (_k, w) => [{ id: prop.a, weight: w }]);
      touched.add(prop.a);
      touched.add(prop.b);
      changed++;
      if (opts.namer && d) {
        const named = await opts.namer.name({
          mode: prop.mode,
          op: "merge",
          proposed: {
            id: prop.a,
            name: d.name,
            description: d.description,
            indicators: d.indicators,
            examples: d.examples,
          },
          from: [sa, sb],
          others: leafSkills(h.skills)
            .filter((s) => s.mode === prop.mode && s.id !== prop.a)
            .map((s) => s.name),
        });
        calls.push(...named.calls);
        const unnamed = h;
        h = {
          ...h,
          skills: { ...h.skills, [prop.a]: { ...h.skills[prop.a]!, name: named.name, description: named.description } },
        };
        h = keepNamesIfNoWorse(h, unnamed);
      }
    }
    opts.onProgress?.(totalWork, totalWork);
    if (changed === 0) break;
  }
  return { handbook: h, steps, rounds, validation: current, calls };
}
