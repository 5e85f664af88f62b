import { wordsToNumbers } from "./number-words.js";

/**
 * Answer normalisation, SQuAD style, with two documented extensions:
 * - Unicode: text is NFKC-normalised (full-width letters, ligatures, compatibility forms), and accents are folded by
 *   default, so "Café" == "cafe" and "Zürich" == "Zurich". A model writing an answer without its diacritics has the
 *   right answer; distinct words that differ only by an accent are far rarer in QA gold sets than dropped accents.
 *   Pass `foldAccents: false` for the strict behaviour.
 * - `numbersAsWords: true` turns English number words into digits first ("twelve" == "12").
 * Then, as in SQuAD: lowercase; delete punctuation (every Unicode punctuation and symbol character: "U.S." → "us");
 * drop the articles a, an, the; collapse whitespace.
 */
export interface NormalizeOptions {
  foldAccents?: boolean;
  numbersAsWords?: boolean;
}

const MARKS = /\p{M}+/gu;
const PUNCTUATION = /[\p{P}\p{S}]/gu;
const ARTICLES = new Set(["a", "an", "the"]);

export function normalizeAnswer(text: string, opts: NormalizeOptions = {}): string {
  let s = text.normalize("NFKC");
  if (opts.foldAccents ?? true) s = s.normalize("NFKD").replace(MARKS, "").normalize("NFKC");
  s = s.toLowerCase();
  if (opts.numbersAsWords) s = wordsToNumbers(s);
  s = s.replace(PUNCTUATION, "");
  return s
    .split(/\s+/)
    .filter((w) => w.length > 0 && !ARTICLES.has(w))
    .join(" ");
}

/** The normalised answer's tokens: SQuAD's rules, not a tokenizer's, so that EM and F1 compare with published figures. */
export function answerTokens(text: string, opts: NormalizeOptions = {}): string[] {
  const s = normalizeAnswer(text, opts);
  return s === "" ? [] : s.split(" ");
}
