import { randomUUID } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import seedrandom from "seedrandom";
import { basename, dirname, join } from "node:path";
import { loadHandbook, loadSelection, saveHandbook, WriteBehind } from "../../handbook/store.js";
import { isPooled, poolAgents } from "../../handbook/pooling.js";
import { withNeighbours } from "../../handbook/neighbours.js";
import { DEFAULT_SHRINKAGE, type Shrinkage, type Strategy } from "../../handbook/select.js";
import { estimatorOf, type EstimatorName } from "../../handbook/estimators.js";
import type { Handbook, Skill } from "../../handbook/schema.js";
import { InputError } from "../core/errors.js";
import type { Mode } from "../core/modes.js";
import { DEFAULT_SEED } from "../core/random.js";
import { loadPool } from "../pool/load.js";
import type { Pool } from "../pool/schema.js";
import { createChatClient, type ChatClient } from "../providers/openai.js";
import { loadRecords } from "../records/io.js";
import {
  candidatesDir,
  readJsonArtefact,
  SkillsArtefactSchema,
  SplitArtefactSchema,
  writeJson,
  type SkillsArtefact,
  type SplitArtefact,
} from "./artefacts.js";
import { lambdaWinners, type Curve } from "../../handbook/lambda-path.js";
import {
  candidateViews,
  chooseHandbook,
  chooseHandbookWith,
  type CandidateEvaluator,
  type ExtraCandidate,
  type Selection,
} from "./choose.js";
import { distinctSkillNames } from "./describe.js";
import { clusteredModes, textSkillSets, type SkillSet } from "./skill-sets.js";
import { statisticalDiscoverer, type Discoverer } from "./discover.js";
import { llmDiscoverer, llmNamer } from "./discover-llm.js";
import { replayIndex, type Evaluation } from "./evaluate.js";
import { identifyAll } from "./identify.js";
import { agentNotes, modeInsights } from "./insights.js";
import { learnConsultRule } from "./consult.js";
import { splitLabelled } from "./labelled.js";
import type { LearningLog } from "./log.js";
import { profile, profileOn, skeletonHandbook, type AgentInfo } from "./profile.js";
import type { ProgressFactory } from "./progress.js";
import { agentsByMode, groupRecords, modesOf, type QueryItem } from "./queries.js";
import { refine, type RefinementStep } from "./refine.js";

/**
 * The learning phases as functions, one per phase: each takes the artefacts of the phases before it and writes its
 * own (plain JSON, atomically), so the CLI can run one phase alone and the learning graph (the one driver of the
 * phases in sequence) can resume between phases. Records are read once per process (cached by path, size and
 * modification time); within one run a Handoff passes the loaded records and each written artefact on in memory.
 */

export interface LearningSettings {
  records: string;
  pool?: string;
  seed: number;
  labelled?: number;
  validation?: number;
  lambda: number;
  budgetUsd?: number;
  /** Pool agent id of the learning model (provider openai); absent: statistical, no LLM. */
  llm?: string;
  strategy: Strategy;
  estimator: EstimatorName;
  /** Hierarchical shrinkage of the competence prior used when routing validation queries (selectAgent's option). */
  shrinkage?: Shrinkage;
  alpha: number;
  minCount: number;
  maxRounds: number;
  examples: number;
  maxCategories: number;
  maxSkills: number;
  /** Also weigh each candidate with agent-pooled competence (handbook/pooling.ts); default true. */
  pooled?: boolean;
  /** Also weigh each candidate with the neighbours estimator (handbook/neighbours.ts); default true. */
  neighbours?: boolean;
  /**
   * Folds of select's cross-validation over every labelled query (default 5; below 2, or above CROSS_VALIDATE_MAX
   * labelled queries: the validation split only).
   */
  folds?: number;
  /**
   * After selection, profile the chosen handbook afresh on training + validation traces (each labelled trace once,
   * identified with the chosen handbook's matcher), so the deployed competence uses every labelled query.
   */
  foldValidation: boolean;
  /**
   * The consult/accept rule: at most this many answer calls per step (first agent, second, escalation; default 3),
   * fitted per skill from the labelled responses (src/learning/consult.ts). 1: no rule, the first answer is accepted.
   */
  maxCalls: number;
}

export const DEFAULT_FOLDS = 5;
/** Above this many labelled queries select uses the validation split alone (it then holds hundreds of queries). */
export const CROSS_VALIDATE_MAX = 1_000;

/** The settings a run may leave unset (no default): the files and the run's optional choices. */
type WithoutDefault = "records" | "pool" | "labelled" | "validation" | "budgetUsd" | "llm";

/**
 * Every default of a learning run (the one place of each): every setting but the files and the optional choices.
 * The CLI, the learning graph and eval apply them with learningSettings.
 */
export const LEARNING_DEFAULTS: Required<Omit<LearningSettings, WithoutDefault>> = {
  seed: DEFAULT_SEED,
  lambda: 0,
  strategy: "tradeoff",
  estimator: "mean",
  shrinkage: DEFAULT_SHRINKAGE,
  alpha: 0.01,
  minCount: 8,
  maxRounds: 3,
  examples: 20,
  maxCategories: 6,
  maxSkills: 4,
  pooled: true,
  neighbours: true,
  folds: DEFAULT_FOLDS,
  foldValidation: true,
  maxCalls: 3,
};

type Given = { [K in keyof LearningSettings]?: LearningSettings[K] | null };

/** Settings from what is given over LEARNING_DEFAULTS: a field given as undefined or null takes its default. */
export function learningSettings(given: Given & { records: string }): LearningSettings {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== null));
  return { ...LEARNING_DEFAULTS, ...set } as LearningSettings;
}

/** A new learning run's id: `learn-20250101T120000000Z-1a2b3c4d`. */
export function newRunId(prefix: string, now: Date = new Date()): string {
  return `${prefix}-${now.toISOString().replace(/[:.]/g, "")}-${randomUUID().slice(0, 8)}`;
}

export interface PhaseIO {
  log: LearningLog;
  progress: ProgressFactory;
  env?: Record<string, string | undefined>;
  /** Evaluates select's candidates with the target orchestrator; absent: by replay of the recorded outcomes. */
  evaluateCandidate?: CandidateEvaluator;
  /** Phases of one run in one process: the records loaded once, and each artefact kept in memory as written. */
  handoff?: Handoff;
}

interface Data {
  items: QueryItem[];
  records: number;
  pool?: Pool;
  agents: AgentInfo[];
}

const cache = new Map<string, { key: string; data: Data }>();

function stamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * What the phases of one run hand each other in memory when they run in one process: the records as the first
 * phase loaded them, and every artefact as its phase wrote it, by path. An artefact is taken from memory only while
 * its file is the one written (same size and modification time); otherwise (a run resumed in another process, a
 * file changed since) it is read from the file. The files stay the record a run resumes from.
 */
export class Handoff {
  #data = new Map<string, Promise<Data>>();
  #held = new Map<string, { stamp: string | undefined; value: unknown }>();

  /** The records (and pool) of a run, loaded on first use. */
  data(records: string, pool?: string): Promise<Data> {
    const key = `${records}\0${pool ?? ""}`;
    let d = this.#data.get(key);
    if (!d) {
      d = loadData(records, pool);
      this.#data.set(key, d);
      d.catch(() => this.#data.delete(key));
    }
    return d;
  }

  /** Keep what was just written to `path`; returns it. */
  put<T>(path: string, value: T): T {
    this.#held.set(path, { stamp: stamp(path), value });
    return value;
  }

  /** What was written to `path`, from memory when held and the file is unchanged; else `read(path)`. */
  take<T>(path: string, read: (path: string) => T): T {
    const hit = this.#held.get(path);
    if (hit && hit.stamp !== undefined && hit.stamp === stamp(path)) return hit.value as T;
    return read(path);
  }

  /** Stop holding what was written to `path` (its last reader has taken it). */
  drop(path: string): void {
    this.#held.delete(path);
  }

  /** Drop everything held. */
  clear(): void {
    this.#data.clear();
    this.#held.clear();
  }
}

function dataOf(s: LearningSettings, io: PhaseIO): Promise<Data> {
  return io.handoff ? io.handoff.data(s.records, s.pool) : loadData(s.records, s.pool);
}

/** Records grouped into routing points, with agents named as in the pool (records' `recordedAs` names mapped). */
export async function loadData(records: string, poolPath?: string): Promise<Data> {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(records);
  } catch (err) {
    throw new InputError(
      `${records}: cannot read records file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const pst = poolPath ? statSync(poolPath) : undefined;
  const key = `${st.size}:${st.mtimeMs}:${poolPath ?? ""}:${pst?.mtimeMs ?? ""}`;
  const hit = cache.get(records);
  if (hit && hit.key === key) return hit.data;
  const pool = poolPath ? loadPool(poolPath) : undefined;
  const all = await loadRecords(records);
  let agentOf: (name: string) => string | undefined = (n) => n;
  if (pool) {
    const byName = new Map<string, string>();
    for (const a of pool.agents) byName.set(a.replay?.recordedAs ?? a.id, a.id);
    for (const a of pool.agents) if (!byName.has(a.id)) byName.set(a.id, a.id);
    const unknown = all.find((r) => !byName.has(r.agent));
    if (unknown)
      throw new InputError(
        `${records}: $.agent: agent "${unknown.agent}" of query ${unknown.queryId} is not in the pool ${poolPath}`,
      );
    agentOf = (n) => byName.get(n);
  }
  const items = groupRecords(all, agentOf);
  const byMode = agentsByMode(items);
  // The handbook profiles the agents that acted in the records (a pool agent never explored, such as the learning
  // model, would otherwise be routed to on its prior alone). With a pool, an agent keeps the pool's modes.
  const acted = [...new Set([...byMode.values()].flat())].sort();
  const poolModes = new Map(pool?.agents.map((a) => [a.id, a.modes] as const) ?? []);
  const agents: AgentInfo[] = acted.map((id) => ({
    id,
    modes: poolModes.get(id)
      ? [...poolModes.get(id)!]
      : [...byMode].filter(([, as]) => as.includes(id)).map(([m]) => m),
  }));
  const data: Data = { items, records: all.length, agents, ...(pool ? { pool } : {}) };
  cache.set(records, { key, data });
  return data;
}

function subset(items: readonly QueryItem[], ids: readonly string[]): QueryItem[] {
  const want = new Set(ids);
  return items.filter((i) => want.has(i.queryId));
}

/** Phase 1: the labelled split. */
export async function runSplit(s: LearningSettings, io: PhaseIO, out: string): Promise<SplitArtefact> {
  return io.log.phase("split", async () => {
    const p = io.progress("split");
    const data = await dataOf(s, io);
    p.update(1, 2);
    const sp = splitLabelled(data.items, {
      seed: s.seed,
      ...(s.labelled !== undefined ? { labelled: s.labelled } : {}),
      ...(s.validation !== undefined ? { validation: s.validation } : {}),
    });
    const labelled = new Set([...sp.train, ...sp.validationIds]);
    const points = data.items.filter((i) => labelled.has(i.queryId));
    const artefact: SplitArtefact = {
      kind: "skillorchestra.learning.split",
      records: s.records,
      seed: sp.seed,
      labelled: sp.labelled,
      validation: sp.validation,
      strata: sp.strata,
      train: sp.train,
      validationIds: sp.validationIds,
      counts: sp.counts,
      labelledRecords: points.reduce((a, i) => a + i.outcomes.length, 0),
      labelledPoints: points.length,
    };
    writeJson(out, artefact);
    io.handoff?.put(out, artefact);
    p.update(2, 2);
    p.end();
    return {
      result: artefact,
      records: artefact.labelledRecords,
      queries: sp.train.length + sp.validationIds.length,
      summary: {
        train: sp.train.length,
        validation: sp.validationIds.length,
        strata: Object.keys(sp.counts).length,
        recordsRead: data.records,
      },
    };
  });
}

/** A learned selection and its deployed candidates by id, as select made them. */
export interface LearnedSelection {
  selection: Selection;
  handbooks: Map<string, Handbook>;
}

/** Read a selection file and its saved candidates (what select keeps in a Handoff for the selection's path). */
export function readSelection(path: string): LearnedSelection {
  const { selection, handbooks } = loadSelection(path);
  // The file holds the Selection select wrote (with its kind and whether a cost was estimated beside it).
  return { selection: selection as unknown as Selection, handbooks };
}

export function readSplit(path: string): SplitArtefact {
  return readJsonArtefact(path, SplitArtefactSchema, "split");
}

function learningClient(s: LearningSettings, data: Data, env: Record<string, string | undefined>): ChatClient {
  if (!data.pool) throw new InputError(`--llm ${s.llm}: needs --pool (the learning model is a pool agent)`);
  const spec = data.pool.agents.find((a) => a.id === s.llm);
  if (!spec) throw new InputError(`--llm: no agent "${s.llm}" in the pool ${s.pool}`);
  if (spec.provider !== "openai")
    throw new InputError(
      `--llm: agent "${s.llm}" has provider ${spec.provider}; the learning model needs provider openai`,
    );
  return createChatClient(spec, env);
}

/** Phase 2: discover skills per mode from the training queries. */
export async function runDiscover(
  s: LearningSettings,
  io: PhaseIO,
  split: SplitArtefact | undefined,
  out: string,
): Promise<SkillsArtefact> {
  return io.log.phase("discover", async () => {
    const data = await dataOf(s, io);
    const train = split ? subset(data.items, split.train) : data.items;
    const discoverer: Discoverer = s.llm
      ? llmDiscoverer({
          client: learningClient(s, data, io.env ?? process.env),
          maxCategories: s.maxCategories,
          maxSkills: s.maxSkills,
        })
      : statisticalDiscoverer({
          alpha: s.alpha,
          minSize: s.minCount,
          examples: s.examples,
          maxCategories: s.maxCategories,
          maxSkills: s.maxSkills,
        });
    const modes = modesOf(train);
    const byMode = agentsByMode(train);
    const skills: Skill[] = [];
    const text: NonNullable<SkillsArtefact["text"]> = {};
    const p = io.progress("discover");
    for (const [k, mode] of modes.entries()) {
      const found = await discoverer.discover({
        mode,
        items: train.filter((i) => i.mode === mode),
        agents: byMode.get(mode) ?? [],
        existing: skills,
        seed: s.seed,
        onProgress: (d, t) => p.update(k * 100 + Math.round((100 * d) / Math.max(1, t)), modes.length * 100),
      });
      io.log.calls(found.calls);
      skills.push(...found.skills);
      if (found.text) text[mode] = found.text;
    }
    p.end();
    const artefact: SkillsArtefact = {
      kind: "skillorchestra.learning.skills",
      discoverer: discoverer.kind,
      modes,
      skills,
      ...(Object.keys(text).length > 0 ? { text } : {}),
    };
    writeJson(out, artefact);
    io.handoff?.put(out, artefact);
    return {
      result: artefact,
      queries: train.length,
      summary: { discoverer: discoverer.kind, skills: skills.length, modes },
    };
  });
}

export function readSkills(path: string): SkillsArtefact {
  return readJsonArtefact(path, SkillsArtefactSchema, "skills");
}

/** Phase 3: identify the active skills of every training trace and profile the agents. */
export async function runProfile(
  s: LearningSettings,
  io: PhaseIO,
  split: SplitArtefact | undefined,
  skills: SkillsArtefact,
  out: string,
): Promise<Handbook> {
  return io.log.phase("profile", async () => {
    const data = await dataOf(s, io);
    const train = split ? subset(data.items, split.train) : data.items;
    const p = io.progress("profile");
    let h = skeletonHandbook(skills.skills, data.agents);
    if (skills.text) h.text = structuredClone(skills.text);
    const ident = identifyAll(h, train, (d, t) => p.update(d, t + 1));
    h = profile(h, train, ident);
    for (const mode of Object.keys(h.modes) as Mode[]) {
      const n = train.filter((i) => i.mode === mode).length;
      h.modes[mode] = {
        description: `${mode} mode: ${n} training queries; ${Object.values(h.skills).filter((x) => x.mode === mode).length} skills (${skills.discoverer} discovery)`,
        insights: modeInsights(train, mode, { alpha: s.alpha, minCount: s.minCount }),
      };
    }
    h = agentNotes(h, s.minCount);
    h.metadata.learning = {
      discoverer: skills.discoverer,
      trainQueries: split?.train.length ?? new Set(train.map((i) => i.queryId)).size,
      records: s.records,
    };
    p.update(train.length + 1, train.length + 1);
    p.end();
    const saved = saveHandbook(out, h);
    io.handoff?.put(out, saved);
    const unmatched = train.filter((i) => (ident.get(i.key) ?? []).length === 0).length;
    return {
      result: saved,
      records: train.reduce((a, i) => a + i.outcomes.length, 0),
      queries: train.length,
      summary: { skills: Object.keys(h.skills).length, unmatched },
    };
  });
}

export interface RefineReport {
  kind: "skillorchestra.learning.refine";
  rounds: number;
  steps: RefinementStep[];
  validation: Evaluation;
}

/** Phase 4: split and merge, each gated on the validation objective. */
export async function runRefine(
  s: LearningSettings,
  io: PhaseIO,
  split: SplitArtefact,
  start: Handbook,
  out: string,
  reportPath?: string,
): Promise<{ handbook: Handbook; report: RefineReport }> {
  return io.log.phase("refine", async () => {
    const data = await dataOf(s, io);
    const train = subset(data.items, split.train);
    const val = subset(data.items, split.validationIds);
    const p = io.progress("refine");
    const namer = s.llm ? llmNamer(learningClient(s, data, io.env ?? process.env)) : undefined;
    const ident = identifyAll(start, train);
    const r = await refine(
      start,
      train,
      ident,
      { index: replayIndex(val), queries: split.validationIds },
      {
        lambda: s.lambda,
        strategy: s.strategy,
        estimator: estimatorOf(s.estimator, s.seed),
        ...(s.shrinkage !== undefined ? { shrinkage: s.shrinkage } : {}),
        alpha: s.alpha,
        minCount: s.minCount,
        maxRounds: s.maxRounds,
        examples: s.examples,
        seed: s.seed,
        ...(namer ? { namer } : {}),
        onProgress: (d, t) => p.update(d, t),
      },
    );
    io.log.calls(r.calls);
    for (const st of r.steps)
      io.log.write({
        event: "refinement",
        op: st.op,
        skills: st.skills,
        kept: st.kept,
        before: st.before,
        after: st.after,
        test: st.test,
        note: st.kept ? `into ${st.into.join(", ")}` : "rolled back: the validation objective dropped",
      });
    let h = agentNotes(r.handbook, s.minCount);
    h = { ...h, skills: Object.fromEntries(distinctSkillNames(Object.values(h.skills)).map((x) => [x.id, x])) };
    h = {
      ...h,
      metadata: {
        ...h.metadata,
        learning: {
          ...h.metadata.learning,
          refine: {
            rounds: r.rounds,
            kept: r.steps.filter((x) => x.kept).length,
            rolledBack: r.steps.filter((x) => !x.kept).length,
          },
        },
      },
    };
    p.end();
    const saved = saveHandbook(out, h);
    io.handoff?.put(out, saved);
    const report: RefineReport = {
      kind: "skillorchestra.learning.refine",
      rounds: r.rounds,
      steps: r.steps,
      validation: r.validation,
    };
    if (reportPath) writeJson(reportPath, report);
    return {
      result: { handbook: saved, report },
      queries: train.length + val.length,
      summary: {
        rounds: r.rounds,
        kept: report.steps.filter((x) => x.kept).length,
        rolledBack: report.steps.filter((x) => !x.kept).length,
        skills: Object.keys(h.skills).length,
      },
    };
  });
}

/**
 * The candidates select weighs besides the full handbook's views, profiled on the training points: flat text
 * clusterings of each mode's training queries at several k (per-cluster competence, the structure a G-test at
 * small counts may fail to show), and, when the records name more than one task, one skill per task (identified
 * from the text by the task's centroid, never by its label). Their skills come from textSkillSets.
 */
export function extraCandidates(
  full: Handbook,
  train: readonly QueryItem[],
  s: Pick<LearningSettings, "seed" | "minCount" | "examples">,
): ExtraCandidate[] {
  const sets: readonly SkillSet[] = textSkillSets(full.text, train, s);
  const modes = clusteredModes(full.text, train);
  const agents: AgentInfo[] = Object.entries(full.agents).map(([id, p]) => ({ id, modes: [...p.modes] }));
  const keep = Object.values(full.skills).filter((x) => !modes.includes(x.mode));
  return sets.map(({ id, skills }) => {
    let h = skeletonHandbook([...keep, ...skills], agents, { prior: full.metadata.prior });
    // The full handbook's text models, shared (handbooks are immutable; equal models embed alike anyway).
    h.text = full.text;
    h.modes = structuredClone(full.modes);
    h = profileOn(h, train);
    return { id, handbook: h };
  });
}

/** Phase 5: candidate views by granularity and text clusterings, evaluated on validation; the frontier and the choice. */
export async function runSelect(
  s: LearningSettings,
  io: PhaseIO,
  split: SplitArtefact,
  full: Handbook,
  out: { chosen: string; selection: string },
): Promise<{ handbook: Handbook; selection: Selection; handbooks: Map<string, Handbook> }> {
  return io.log.phase("select", async () => {
    const data = await dataOf(s, io);
    const train = subset(data.items, split.train);
    const val = subset(data.items, split.validationIds);
    const p = io.progress("select");
    p.update(0, 3);
    const options = {
      lambda: s.lambda,
      ...(s.budgetUsd !== undefined ? { budgetUsd: s.budgetUsd } : {}),
      strategy: s.strategy,
      estimator: estimatorOf(s.estimator, s.seed),
      ...(s.shrinkage !== undefined ? { shrinkage: s.shrinkage } : {}),
    };
    const extra = extraCandidates(full, train, s);
    // Each candidate also with agent-pooled competence (a named estimator); validation decides which serves.
    // And with the neighbours estimator (per-query evidence from the nearest labelled queries within a skill).
    // Replay makes these cheap to weigh; a target orchestrator run per candidate does not, so there they are left out.
    const base = [...candidateViews(full).map((v) => ({ id: v.id, handbook: v.handbook })), ...extra];
    const variants = !io.evaluateCandidate;
    if (variants && (s.pooled ?? true))
      extra.push(...base.map((c) => ({ id: `${c.id}+pooled`, handbook: poolAgents(c.handbook) })));
    if (variants && (s.neighbours ?? true))
      extra.push(
        ...base
          .filter((c) => c.handbook.text !== undefined)
          .map((c) => {
            const h = withNeighbours(c.handbook);
            return { id: `${c.id}+neighbours`, handbook: profileOn(h, train) };
          }),
      );
    p.update(1, 3);
    const cv = crossValidation(data.items, split, s);
    const { selection, handbooks } = io.evaluateCandidate
      ? await chooseHandbookWith(full, io.evaluateCandidate, options, extra)
      : chooseHandbook(full, { index: replayIndex(val), queries: split.validationIds }, options, extra, cv);
    p.update(2, 3);
    // Every candidate is saved (a different λ or budget picks a different one); with foldValidation each is
    // profiled afresh on training + validation traces, so the deployed competence uses every labelled query.
    const labelled = s.foldValidation ? subset(data.items, [...split.train, ...split.validationIds]) : [];
    const dir = candidatesDir(out.selection);
    // When to trust an answer: one consult rule for every candidate, its granularity chosen on held-out labels.
    const consult = learnConsultRule(base, subset(data.items, [...split.train, ...split.validationIds]), {
      ...(cv ? { folds: cv.folds } : { validationIds: split.validationIds }),
      maxCalls: s.maxCalls,
    });
    const evaluatedBy = io.evaluateCandidate ? "target orchestrator" : "replay";
    const deployed = new Map<string, Handbook>();
    mkdirSync(dir, { recursive: true });
    // The files are written behind: the next candidate is folded while the last one goes to disk.
    const files = new WriteBehind();
    // Only candidates some λ or budget can pick are folded and saved: the best at some λ, and the frontier's.
    const curves = selection.candidates.map((c) => c.curve);
    const pickable = new Set<string>([selection.chosen, ...selection.frontier]);
    if (curves.every((c) => c !== undefined))
      for (const i of lambdaWinners(curves as Curve[])) pickable.add(selection.candidates[i]!.id);
    else for (const c of selection.candidates) pickable.add(c.id);
    for (const c of selection.candidates) {
      if (!pickable.has(c.id)) {
        c.deployed = false;
        continue;
      }
      let h = handbooks.get(c.id)!;
      if (s.foldValidation) h = agentNotes(reprofiled(h, labelled), s.minCount);
      if (consult) h = { ...h, consult: consult.rule };
      h = {
        ...h,
        metadata: {
          ...h.metadata,
          learning: {
            ...h.metadata.learning,
            selection: {
              candidate: c.id,
              chosen: selection.chosen,
              lambda: selection.lambda,
              by: selection.by,
              reason: selection.reason,
              evaluatedBy,
              foldValidation: s.foldValidation,
              file: basename(out.selection),
            },
          },
        },
      };
      c.file = `${basename(dir)}/${safeName(c.id)}.json`;
      deployed.set(c.id, await files.saveHandbook(join(dirname(out.selection), c.file), h));
    }
    const saved = await files.saveHandbook(out.chosen, deployed.get(selection.chosen)!);
    await files.writeJson(out.selection, {
      kind: "skillorchestra.learning.selection",
      costEstimated: selection.candidates.some((c) => c.evaluation.costEstimated),
      ...selection,
    });
    await files.flush();
    io.handoff?.put(out.chosen, saved);
    io.handoff?.put<LearnedSelection>(out.selection, { selection, handbooks: deployed });
    p.update(3, 3);
    p.end();
    return {
      result: { handbook: saved, selection, handbooks: deployed },
      queries: val.length,
      summary: {
        chosen: selection.chosen,
        lambda: selection.lambda,
        candidates: selection.candidates.length,
        frontier: selection.frontier,
        ...(consult
          ? {
              consult: {
                scopes: consult.scopes,
                plans: Object.keys(consult.rule.plans).length,
                maxCalls: consult.rule.maxCalls,
                objectives: consult.objectives,
              },
            }
          : {}),
      },
    };
  });
}

/**
 * K-fold cross-validation over every labelled query (training + validation), folds stratified by task and seeded:
 * select's curves then rest on every labelled query instead of the validation share alone. Off (undefined) with
 * `folds` < 2.
 */
function crossValidation(items: readonly QueryItem[], split: SplitArtefact, s: LearningSettings) {
  const k = s.folds ?? DEFAULT_FOLDS;
  if (k < 2) return undefined;
  // With many labels the validation split alone is a large sample, and k re-profilings of every candidate cost time
  // for no gain: cross-validate only while the labelled queries are few.
  if (split.train.length + split.validationIds.length > CROSS_VALIDATE_MAX) return undefined;
  const labelled = subset(items, [...split.train, ...split.validationIds]);
  const byTask = new Map<string, string[]>();
  for (const it of labelled) {
    const l = byTask.get(it.task) ?? [];
    if (!l.includes(it.queryId)) l.push(it.queryId);
    byTask.set(it.task, l);
  }
  const rng = seedrandom(`${s.seed}:folds`);
  const folds: string[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const task of [...byTask.keys()].sort()) {
    const ids = [...byTask.get(task)!].sort();
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    for (const id of ids) folds[next++ % k]!.push(id);
  }
  const rests = new WeakMap<ReadonlySet<string>, QueryItem[]>();
  return {
    folds,
    index: replayIndex(labelled),
    reprofile: (h: Handbook, heldOut: ReadonlySet<string>) => {
      // One array of the rest per fold, so the candidates profiled on it share what does not depend on them.
      let rest = rests.get(heldOut);
      if (!rest) rests.set(heldOut, (rest = labelled.filter((i) => !heldOut.has(i.queryId))));
      return reprofiled(h, rest);
    },
  };
}

/** A candidate profiled afresh on some points, keeping its estimator (an agent-pooled one is pooled again). */
function reprofiled(h: Handbook, items: readonly QueryItem[]): Handbook {
  const fresh = profileOn(h, items);
  return isPooled(h) ? poolAgents(fresh) : fresh;
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, "_");
}

export { loadHandbook };
