import type { FamilySpec, SkillSpec } from "./types.js";

/** The latent skills of the simulated world (dotted ids: mode.category.skill). */
export const SKILLS: readonly SkillSpec[] = [
  {
    id: "search.entity.lookup",
    mode: "search",
    description: "Write a query that names the one entity whose fact is asked for.",
  },
  {
    id: "search.entity.multi_hop",
    mode: "search",
    description: "Chain queries: find a bridge entity, then search for it.",
  },
  {
    id: "code.arith.word_problem",
    mode: "code",
    description: "Turn a word problem into the right arithmetic expression.",
  },
  { id: "code.stats.aggregate", mode: "code", description: "Compute a mean or median over listed values correctly." },
  {
    id: "answer.extract.single_fact",
    mode: "answer",
    description: "Read one fact off a retrieved document, ignoring lures.",
  },
  { id: "answer.compose.multi_hop", mode: "answer", description: "Combine facts from two documents into the answer." },
  {
    id: "answer.report.numeric",
    mode: "answer",
    description: "Report the value a program computed as the final answer.",
  },
  { id: "answer.recall.general", mode: "answer", description: "Answer a general-knowledge question from memory." },
  { id: "answer.convert.units", mode: "answer", description: "Convert a quantity between metric units mentally." },
];

/** A latent plan: a step per skill, in the skill's mode. */
function plan(...skills: string[]): FamilySpec["steps"] {
  return skills.map((skill) => ({ mode: SKILLS.find((s) => s.id === skill)!.mode, skill }));
}

/** The task families and their latent plans. */
export const FAMILY_SPECS: readonly FamilySpec[] = [
  {
    name: "capital_lookup",
    description: "The capital of an invented country: search for it, then read it off the document.",
    steps: plan("search.entity.lookup", "answer.extract.single_fact"),
  },
  {
    name: "founder_birth_year",
    description: "The birth year of an invented company's founder: search the company, then the founder, then answer.",
    steps: plan("search.entity.multi_hop", "search.entity.multi_hop", "answer.compose.multi_hop"),
  },
  {
    name: "arithmetic",
    description: "A word problem over a few numbers: write a program, then report its result.",
    steps: plan("code.arith.word_problem", "answer.report.numeric"),
  },
  {
    name: "statistics",
    description: "The mean or median of values listed in the question: write a program, then report its result.",
    steps: plan("code.stats.aggregate", "answer.report.numeric"),
  },
  {
    name: "definition",
    description: "A general-knowledge question answered directly.",
    steps: plan("answer.recall.general"),
  },
  {
    name: "unit_conversion",
    description: "A metric unit conversion answered directly.",
    steps: plan("answer.convert.units"),
  },
];
