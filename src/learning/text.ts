/**
 * Text features of a query for the statistical discoverer: terms (minisearch's own tokenizer and term
 * processing, so learned indicators are terms the skill matcher sees the same way) and structure features.
 */

export { STOPWORDS, STRUCTURE_FEATURES, structure, terms, type StructureFeature } from "../../handbook/text.js";
import type { StructureFeature } from "../../handbook/text.js";

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
