import MiniSearch from "minisearch";

/**
 * Text features of a query for the statistical discoverer: terms (minisearch's own tokenizer and term
 * processing, so learned indicators are terms the skill matcher sees the same way) and structure features.
 */

const splitTerms = MiniSearch.getDefault("tokenize") as (text: string, field?: string) => string[];
const processTerm = MiniSearch.getDefault("processTerm") as (term: string, field?: string) => string | null | undefined | false;

/** Common English function words: they separate no skill and would crowd out the distinctive terms. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by " +
    "can could did do does doing down during each few for from further had has have having he her here hers herself him " +
    "himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other " +
    "our ours ourselves out over own same she should so some such than that the their theirs them themselves then there " +
    "these they this those through to too under until up very was we were what when where which while who whom why will " +
    "with would you your yours yourself yourselves s t d ll m re ve"
  ).split(" "),
);

/** Lower-cased terms of a text, stopwords and one-letter non-digit terms dropped. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const raw of splitTerms(text)) {
    if (!raw) continue;
    const t = processTerm(raw);
    if (!t || STOPWORDS.has(t)) continue;
    if (t.length === 1 && !(t >= "0" && t <= "9")) continue;
    out.push(t);
  }
  return out;
}

/** Names of the structure features, in vector order. */
export const STRUCTURE_FEATURES = ["long", "digits", "code", "choices", "math", "question", "list"] as const;
export type StructureFeature = (typeof STRUCTURE_FEATURES)[number];

const CODE = /(^|\n)\s*(def |class |import |from \S+ import|return\b|#include|function\b)|```|>>>|\)\s*->|[{};]\s*\n|\bdef\s+\w+\(/;
const CHOICES = /(^|\n|\s)\(?[A-Ea-e][).:]\s+\S[\s\S]*(\n|\s)\(?[B-Eb-e][).:]\s+\S|\b(options|choices)\s*:/;
const MATH = /\\(frac|boxed|sqrt|cdot|times|le|ge|pi|sum|int)\b|\$[^$\n]+\$|\^\{?\d|\d\s*[+\-*/=]\s*\d/;
const QUESTION = /^\s*(who|what|when|where|which|why|how)\b|\?\s*$/i;
const LIST = /^[^\n.?!]*(,[^,\n.?!]+){4,}$/;
const DIGIT = /\d/;

/** Binary structure features of a query (plus `long`: more than 600 characters). */
export function structure(text: string): Record<StructureFeature, boolean> {
  return {
    long: text.length > 600,
    digits: DIGIT.test(text),
    code: CODE.test(text),
    choices: CHOICES.test(text),
    math: MATH.test(text),
    question: QUESTION.test(text.trim()),
    list: LIST.test(text.trim()),
  };
}

/** What each structure feature means, for descriptions and insights. */
export const FEATURE_TEXT: Record<StructureFeature, string> = {
  long: "long queries (over 600 characters)",
  digits: "queries containing numbers",
  code: "queries containing code",
  choices: "multiple-choice queries",
  math: "queries with mathematical notation",
  question: "short wh-questions",
  list: "comma-separated word lists",
};
