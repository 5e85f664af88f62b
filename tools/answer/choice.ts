import { InputError } from "../../src/core/errors.js";
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
 * The letter alone, possibly decorated: "B", "(B)", "[b]", "B.", "B)", "**B**", "\text{B}", "Option B", "B: Paris",
 * "(b) Paris", "b) Paris". A bare letter must be upper case (so the article "a" is never read as option A), unless it
 * is all there is ("b", "b.") or closed by a parenthesis ("a) 12"); a bracketed one may be either.
 */
function letterOf(answer: string, letters: string): string | null {
  const L = escapeClass(letters.toUpperCase());
  const l = escapeClass(letters.toLowerCase());
  const s = answer
    .replace(/\*\*/g, "")
    .replace(/\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox)\s*\{([^{}]*)\}/g, "$1")
    .trim()
    .replace(/^\$+|\$+$/g, "")
    .trim()
    .replace(/^(?:option|choice)\s+/i, "");
  const bracketed = new RegExp(`^[([]\\s*([${L}${l}])\\s*[)\\]](?=$|[\\s.,:;])`).exec(s);
  if (bracketed) return bracketed[1]!.toUpperCase();
  const bare = new RegExp(`^([${L}])(?=$|[.):,;\\]]|\\s+[-–—:(])`).exec(s);
  if (bare) return bare[1]!;
  const lower = new RegExp(`^([${l}])(?:[.)]?$|\\)(?=\\s))`).exec(s);
  return lower ? lower[1]!.toUpperCase() : null;
}

/**
 * Words after which a letter is the choice: "the answer is B", "option C", and a speaker choosing: "I'd say C",
 * "I pick (d)", "we'll go with A", "I'm going with B". The speaker is required, so "let's say A is the area" is no choice.
 */
const CHOICE_LEAD = String.raw`\b(?:(?:answer|option|choice)\s*(?:is|:|=)?|(?:(?:I|we)(?:'d|'ll|\s+would|\s+will)?\s+(?:say|pick|choose|chose|select|go\s+with|opt\s+for|guess)|(?:I'm|I\s+am|we're|we\s+are)\s+going\s+with)\s)`;
/** After a verb, a letter that is then called wrong is no choice: "I'd say A is wrong". */
const NOT_CHOSEN = String.raw`(?!\s+(?:is|are|was|seems)\s+(?:not|wrong|incorrect|false)\b)`;

/**
 * The option letter a response chose, or null. In order: a marked final answer (`\boxed{B}`, `<answer>B</answer>`,
 * "the answer is (B)", "Answer: b"); the last "answer/option/choice is B" or "I'd say / I pick / I choose B" anywhere;
 * then, unless the response lists several options ("(A) 3 (B) 4 ...", lines "A. 3" "B. 4": an echoed option list gives
 * no choice), the response being only a letter, starting with a letter and a separator ("B. Paris", "a) 12"), or its one
 * bracketed letter ("I think (c)."). An upper-case letter is required unless bracketed, alone, or closed by ")".
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
    `${CHOICE_LEAD}\\s*(?:option\\s+|choice\\s+)?(?:\\(([${L}${l}])\\)|([${L}]))(?![\\p{L}\\p{N}])${NOT_CHOSEN}`,
    "giu",
  );
  let found: string | null = null;
  for (let m = phrase.exec(response); m; m = phrase.exec(response)) {
    if (m[1]) found = m[1].toUpperCase();
    else if (m[2] && m[2] === m[2].toUpperCase()) found = m[2];
  }
  if (found) return found;
  // Option markers: bracketed letters anywhere, and letters opening a line ("B. 4", "c) 5").
  const markers = new Set(
    [
      ...response.matchAll(new RegExp(`\\(([${L}${l}])\\)`, "g")),
      ...response.matchAll(new RegExp(`^[ \\t]*(?:([${L}])[.)]|([${l}])\\))[ \\t]`, "gm")),
    ].map((m) => (m[1] ?? m[2])!.toUpperCase()),
  );
  if (markers.size > 1) return null;
  const leading = letterOf(response, letters);
  if (leading) return leading;
  // One bracketed letter somewhere ("I think (c).").
  const bracketed = [...response.matchAll(new RegExp(`\\(([${L}${l}])\\)`, "g"))];
  return bracketed.length > 0 ? bracketed[0]![1]!.toUpperCase() : null;
}

/** 1 when the response chose the gold letter ("B", "(b)", ...), else 0. A gold that is not a letter is an InputError. */
export function scoreChoice(response: string, gold: string, opts: ChoiceOptions = {}): number {
  const letters = (opts.letters ?? "ABCDE").toUpperCase();
  const g = letterOf(gold.trim().length === 1 ? gold.trim().toUpperCase() : gold, letters);
  if (!g) throw new InputError(`reference: not an option letter (${letters}): ${JSON.stringify(gold)}`);
  return extractChoice(response, opts) === g ? 1 : 0;
}
