import { InputError } from "../../src/errors.js";
import { extractFinalAnswer } from "./extract.js";

/** Multiple-choice letter extraction and scoring. */

export interface ChoiceOptions {
  /** The option letters (default "ABCDE"). */
  letters?: string;
}

function escapeClass(letters: string): string {
  return letters.replace(/[\\\]^-]/g, "\\$&");
}

/**
 * The letter alone, possibly decorated: "B", "(B)", "[b]", "B.", "B)", "**B**", "Option B", "B: Paris", "(b) Paris".
 * A bare letter must be upper case (so the article "a" is never read as option A); a bracketed one may be either.
 */
function letterOf(answer: string, letters: string): string | null {
  const L = escapeClass(letters.toUpperCase());
  const l = escapeClass(letters.toLowerCase());
  const s = answer.replace(/\*\*/g, "").trim().replace(/^(?:option|choice)\s+/i, "");
  const bracketed = new RegExp(`^[([]\\s*([${L}${l}])\\s*[)\\]](?=$|[\\s.,:;])`).exec(s);
  if (bracketed) return bracketed[1]!.toUpperCase();
  const bare = new RegExp(`^([${L}])(?=$|[.):,;\\]]|\\s+[-–—:(])`).exec(s);
  return bare ? bare[1]! : null;
}

/**
 * The option letter a response chose, or null. In order: a marked final answer (`\boxed{B}`, `<answer>B</answer>`,
 * "the answer is (B)"); the last "answer/option/choice is B" anywhere; the response being only a letter; the response
 * starting with a letter and a separator ("B. Paris"); the only bracketed letter in it ("I pick (c)."). An upper-case letter is required unless bracketed.
 */
export function extractChoice(response: string, opts: ChoiceOptions = {}): string | null {
  const letters = (opts.letters ?? "ABCDE").toUpperCase();
  const final = extractFinalAnswer(response);
  if (final !== null) {
    const letter = letterOf(final, letters);
    if (letter) return letter;
  }
  const L = escapeClass(letters);
  const l = escapeClass(letters.toLowerCase());
  const phrase = new RegExp(
    `\\b(?:answer|option|choice)\\s*(?:is|:|=)?\\s*(?:option\\s+|choice\\s+)?(?:\\(([${L}${l}])\\)|([${L}]))(?![\\p{L}\\p{N}])`,
    "giu",
  );
  let found: string | null = null;
  for (let m = phrase.exec(response); m; m = phrase.exec(response)) {
    if (m[1]) found = m[1].toUpperCase();
    else if (m[2] && m[2] === m[2].toUpperCase()) found = m[2];
  }
  if (found) return found;
  const leading = letterOf(response, letters);
  if (leading) return leading;
  // One bracketed letter somewhere ("I pick (c)."), and no other: a list of options gives several, hence no choice.
  const bracketed = new Set(
    [...response.matchAll(new RegExp(`\\(([${L}${l}])\\)`, "g"))].map((m) => m[1]!.toUpperCase()),
  );
  return bracketed.size === 1 ? [...bracketed][0]! : null;
}

/** 1 when the response chose the gold letter ("B", "(b)", ...), else 0. A gold that is not a letter is an InputError. */
export function scoreChoice(response: string, gold: string, opts: ChoiceOptions = {}): number {
  const letters = (opts.letters ?? "ABCDE").toUpperCase();
  const g = letterOf(gold.trim().length === 1 ? gold.trim().toUpperCase() : gold, letters);
  if (!g) throw new InputError(`reference: not an option letter (${letters}): ${JSON.stringify(gold)}`);
  return extractChoice(response, opts) === g ? 1 : 0;
}
