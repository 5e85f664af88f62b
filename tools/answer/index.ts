export { normalizeAnswer, answerTokens, type NormalizeOptions } from "./normalize.js";
export { wordsToNumbers } from "./number-words.js";
export { exactMatch, tokenF1, containment } from "./qa.js";
export {
  extractBoxed,
  extractAnswerTag,
  extractAnswerPhrase,
  extractHashAnswer,
  extractFinalAnswer,
} from "./extract.js";
export { extractChoice, scoreChoice, type ChoiceOptions } from "./choice.js";
export { latexToExpression, type MathText } from "./latex.js";
export { compareMath, mathEquivalent, type MathComparison, type MathOptions } from "./math.js";
export {
  score,
  answerOf,
  isMetric,
  METRICS,
  type Metric,
  type TextMetric,
  type ScoreResult,
  type ScoreOptions,
  type CodeScoreOptions,
} from "./score.js";
export { extractProgram, type CodeLanguage } from "./code.js";
