import { InputError } from "../core/errors.js";
import { MODES } from "../core/modes.js";
import type { Pool } from "../pool/schema.js";
// qa.js, not the index: the index pulls in the math library, seconds to load, which the world never needs.
import { exactMatch } from "../../tools/answer/qa.js";
import { DEFAULT_AGENTS } from "./agents.js";
import { generateCorpus, type CorpusDoc } from "./corpus.js";
import { generateEntities, type Entities } from "./entities.js";
import { GENERATORS } from "./families.js";
import { formatNumber } from "./numbers.js";
import { DEFAULT_SEED, rngFor, shuffled } from "../core/random.js";
import { FAMILY_SPECS, SKILLS } from "./skills.js";
import { groundTruthOf, type GroundTruth } from "./truth.js";
import type { FamilySpec, SimAgentProfile, SimTask, SkillSpec } from "./types.js";
import { FAMILIES } from "./types.js";

export interface WorldOptions {
  /** Seed of everything in the world (default DEFAULT_SEED). */
  seed?: number;
  /** How many invented countries (capital questions) and companies (founder questions); default 60 each. */
  countries?: number;
  companies?: number;
  /** Distractor travel notes in the corpus (default 40). */
  notes?: number;
  /** The simulated agents (default DEFAULT_AGENTS). */
  agents?: readonly SimAgentProfile[];
  /** Share of wrong answers given as an evasion ("I don't know") instead of a wrong value (default 0.1). */
  evasiveRate?: number;
  /** Factor on an answer agent's success probability when the evidence it needs is not in the state (default 0.1). */
  noEvidenceFactor?: number;
}

export interface World {
  readonly seed: number;
  readonly evasiveRate: number;
  readonly noEvidenceFactor: number;
  readonly skills: readonly SkillSpec[];
  readonly families: readonly FamilySpec[];
  readonly entities: Entities;
  /** The world's documents: the facts search questions need, and lures and distractors. */
  readonly corpus: readonly CorpusDoc[];
  readonly agents: readonly SimAgentProfile[];
  readonly groundTruth: GroundTruth;
  /** The default pool: every agent of the world with provider "sim" and this world's seed. */
  pool(): Pool;
  /** A simulated agent by pool id or model name. */
  agent(idOrModel: string): SimAgentProfile;
  /** Tasks 0..n−1 of a split; families rotate in a split-specific order. */
  tasks(n: number, split: string): SimTask[];
  /** One task, deterministic per (seed, split, index). */
  taskAt(split: string, index: number): SimTask;
  /** The task with this id (`sim<seed>-<split>-<index>`); throws for an id not of this world. */
  /** Whether `id` names a task of this world (`sim<seed>-<split>-<index>`). */
  isTask(id: string): boolean;
  task(id: string): SimTask;
  /** Score of an answer: 1 or 0 by normalised exact match (numbers compared by value). */
  check(task: SimTask | string, answer: string): number;
}

const TASK_ID = /^sim(-?\d+)-(.+)-(\d+)$/;

function checkOptions(o: Required<Omit<WorldOptions, "agents">>, agents: readonly SimAgentProfile[]): void {
  const bad = (field: string, msg: string) => new InputError(`sim world options: $.${field}: ${msg}`);
  if (!Number.isInteger(o.seed)) throw bad("seed", `must be a whole number, got ${o.seed}`);
  for (const k of ["countries", "companies"] as const)
    if (!Number.isInteger(o[k]) || o[k] < 3) throw bad(k, `must be a whole number >= 3, got ${o[k]}`);
  if (!Number.isInteger(o.notes) || o.notes < 0) throw bad("notes", `must be a whole number >= 0, got ${o.notes}`);
  for (const k of ["evasiveRate", "noEvidenceFactor"] as const)
    if (!(o[k] >= 0 && o[k] <= 1)) throw bad(k, `must be in [0, 1], got ${o[k]}`);
  if (agents.length === 0) throw bad("agents", "must hold at least one agent");
  const ids = new Set<string>();
  agents.forEach((a, i) => {
    if (ids.has(a.id) || ids.has(a.model)) throw bad(`agents[${i}].id`, `duplicate agent ${a.id}`);
    ids.add(a.id);
    if (a.model !== a.id) ids.add(a.model);
    for (const s of SKILLS.filter((s) => a.modes.includes(s.mode))) {
      const p = a.competence[s.id];
      if (p === undefined || !(p >= 0 && p <= 1))
        throw bad(`agents[${i}].competence.${s.id}`, `must be a probability in [0, 1], got ${p}`);
    }
  });
  for (const m of MODES) if (!agents.some((a) => a.modes.includes(m))) throw bad("agents", `no agent serves mode ${m}`);
}

/** Build the simulated world: entities, corpus, agents and task generator, all from the seed. Pure data. */
export function createWorld(options: WorldOptions = {}): World {
  const opts = {
    seed: options.seed ?? DEFAULT_SEED,
    countries: options.countries ?? 60,
    companies: options.companies ?? 60,
    notes: options.notes ?? 40,
    evasiveRate: options.evasiveRate ?? 0.1,
    noEvidenceFactor: options.noEvidenceFactor ?? 0.1,
  };
  const agents = options.agents ?? DEFAULT_AGENTS;
  checkOptions(opts, agents);
  const { seed } = opts;
  const entities = generateEntities(seed, opts.countries, opts.companies);
  const corpus = generateCorpus(seed, entities, opts.notes);
  const groundTruth = groundTruthOf(agents);
  const familyOrder = new Map<string, readonly (typeof FAMILIES)[number][]>();
  const cache = new Map<string, SimTask>();

  const world: World = {
    seed,
    evasiveRate: opts.evasiveRate,
    noEvidenceFactor: opts.noEvidenceFactor,
    skills: SKILLS,
    families: FAMILY_SPECS,
    entities,
    corpus,
    agents,
    groundTruth,
    pool: () => ({
      version: 1,
      name: `sim-default (seed ${seed})`,
      agents: agents.map((a) => ({
        id: a.id,
        modes: [...a.modes],
        provider: "sim" as const,
        model: a.model,
        price: { ...a.price },
        sim: { seed },
      })),
    }),
    agent(idOrModel) {
      const a = agents.find((x) => x.id === idOrModel) ?? agents.find((x) => x.model === idOrModel);
      if (!a)
        throw new InputError(`sim: no simulated agent ${idOrModel} (known: ${agents.map((x) => x.id).join(", ")})`);
      return a;
    },
    taskAt(split, index) {
      if (split.length === 0) throw new RangeError("sim: split name must not be empty");
      if (!Number.isInteger(index) || index < 0)
        throw new RangeError(`sim: task index must be a whole number >= 0, got ${index}`);
      const id = `sim${seed}-${split}-${index}`;
      const hit = cache.get(id);
      if (hit) return hit;
      let order = familyOrder.get(split);
      if (!order) familyOrder.set(split, (order = shuffled(rngFor(seed, "family-order", split), FAMILIES)));
      const family = order[index % order.length]!;
      const generated = GENERATORS[family](rngFor(seed, "task", split, index), entities);
      const task: SimTask = { id, split, index, family, ...generated };
      cache.set(id, task);
      return task;
    },
    tasks(n, split) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`sim: task count must be a whole number >= 0, got ${n}`);
      return Array.from({ length: n }, (_, i) => world.taskAt(split, i));
    },
    isTask(id) {
      const m = TASK_ID.exec(id);
      return m !== null && Number(m[1]) === seed;
    },
    task(id) {
      const m = TASK_ID.exec(id);
      if (!m || Number(m[1]) !== seed)
        throw new InputError(`sim: task ${id} is not a task of the simulated world with seed ${seed}`);
      return world.taskAt(m[2]!, Number(m[3]));
    },
    check(taskOrId, answer) {
      const task = typeof taskOrId === "string" ? world.task(taskOrId) : taskOrId;
      if (task.numeric) {
        // A bare number compares by value ("1,250", "1250.0" and "1250" are one answer; "12.5" is not "125").
        const bare = answer.trim().replace(/[.;]+$/, "");
        if (/^-?[\d,]*\.?\d+$/.test(bare)) return formatNumber(Number(bare.replace(/,/g, ""))) === task.answer ? 1 : 0;
        return exactMatch(answer, [task.answer], { numbersAsWords: true });
      }
      return exactMatch(answer, [task.answer]);
    },
  };
  return world;
}
