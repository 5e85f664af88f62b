import type { Mode } from "../core/modes.js";
import type { Price } from "../pool/schema.js";

/** The task families of the simulated world. */
export const FAMILIES = [
  "capital_lookup",
  "founder_birth_year",
  "arithmetic",
  "statistics",
  "definition",
  "unit_conversion",
] as const;
export type Family = (typeof FAMILIES)[number];

/** One step of a task's latent plan: the mode it needs and the skill that decides whether it succeeds. */
export interface SimStep {
  mode: Mode;
  skill: string;
  /** Search steps: the document that holds the fact this step must retrieve. */
  goldDocId?: string;
}

/** A program of the world: the Python source and the value it prints. */
export interface SimProgram {
  source: string;
  prints: string;
}

/** What the world's agents know about a task (hidden from orchestrators; sim agents and runners use it). */
export interface SimFacts {
  /** Per search step: a good query (names the entity) and a wrong one (names a lure). */
  goodQueries: string[];
  wrongQueries: string[];
  /** A query too vague to find the gold document. */
  vagueQuery: string;
  /** The numbers of the question, in order. */
  numbers: number[];
  /** Code families: the correct program, and buggy ones (wrong operator, off by one). */
  program?: SimProgram;
  buggyPrograms: SimProgram[];
  /** Plausible wrong final answers, most tempting first. */
  wrongAnswers: string[];
}

/** One generated task, deterministic per (seed, split, index). */
export interface SimTask {
  /** `sim<seed>-<split>-<index>` */
  id: string;
  split: string;
  index: number;
  family: Family;
  text: string;
  /** The gold answer. */
  answer: string;
  /** Whether answers are compared as numbers. */
  numeric: boolean;
  /** The latent plan: the steps a solution takes, each with its skill. */
  steps: SimStep[];
  facts: SimFacts;
}

export interface SkillSpec {
  id: string;
  mode: Mode;
  description: string;
}

export interface FamilySpec {
  name: Family;
  description: string;
  steps: { mode: Mode; skill: string }[];
}

/** A simulated agent: prices resembling real ones, a style, and its latent per-skill success probabilities. */
export interface SimAgentProfile {
  /** Pool id and model name. */
  id: string;
  model: string;
  description: string;
  modes: Mode[];
  price: Price;
  /** Completion tokens per token of visible output. */
  verbosity: number;
  /** Hidden reasoning tokens added to every completion. */
  reasoningTokens: number;
  /** Simulated latency: fixed part plus a per-completion-token part. */
  latency: { baseMs: number; msPerToken: number };
  /** Latent probability of success per skill, for every skill of every mode it serves. */
  competence: Record<string, number>;
}
