/**
 * English cardinal numbers written as words, turned into digits: "twelve" → "12", "one hundred and five" → "105",
 * "twenty-five" → "25", "a thousand" → "1000", "two million three hundred thousand" → "2300000". Ordinals
 * ("first"), fractions ("half") and decimals ("point five") are left as they are. Input is expected lowercased.
 * No installed library does this, hence this small converter.
 */

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
};
const TEENS: Record<string, number> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };

const WORD = [...Object.keys(UNITS), ...Object.keys(TEENS), ...Object.keys(TENS), "hundred", ...Object.keys(SCALES)]
  .sort((a, b) => b.length - a.length)
  .join("|");
const SCALE_WORD = `hundred|${Object.keys(SCALES).join("|")}`;
/** A run of number words joined by spaces, hyphens or "and"; may start with "a" before a scale word. */
const RUN = new RegExp(
  `\\b(?:a\\s+(?=(?:${SCALE_WORD})\\b))?(?:${WORD})(?:(?:\\s+and\\s+|\\s+|-)(?:${WORD}))*\\b`,
  "g",
);

type Kind = "unit" | "teen" | "ten" | "hundred" | "scale";

/** Parse one run of number words into the numbers (and stray "and"s) it holds, as text pieces. */
function parseRun(run: string): string[] {
  const out: string[] = [];
  let total = 0;
  let current = 0;
  let last: Kind | null = null;
  let smallestScale = Infinity;
  let pendingAnd = false;

  const flush = () => {
    if (last !== null) out.push(String(total + current));
    total = 0;
    current = 0;
    last = null;
    smallestScale = Infinity;
    if (pendingAnd) out.push("and");
    pendingAnd = false;
  };

  for (const token of run.split(/[\s-]+/)) {
    if (token === "a") {
      current = 1;
      last = "unit";
      continue;
    }
    if (token === "and") {
      if (last === "hundred" || last === "scale") pendingAnd = true;
      else {
        flush();
        out.push("and");
      }
      continue;
    }
    let kind: Kind;
    let value: number;
    if (token in UNITS) [kind, value] = ["unit", UNITS[token]!];
    else if (token in TEENS) [kind, value] = ["teen", TEENS[token]!];
    else if (token in TENS) [kind, value] = ["ten", TENS[token]!];
    else if (token === "hundred") [kind, value] = ["hundred", 100];
    else [kind, value] = ["scale", SCALES[token]!];

    // "and" only joins a hundred or scale to a following unit, teen or ten ("one hundred and five").
    if (pendingAnd && kind !== "unit" && kind !== "teen" && kind !== "ten") flush();
    pendingAnd = false;

    if (kind === "unit" || kind === "teen" || kind === "ten") {
      const fits =
        last === null || last === "hundred" || last === "scale" || (last === "ten" && kind === "unit" && value > 0);
      if (!fits || (value === 0 && last !== null)) flush();
      current += value;
      last = kind;
    } else if (kind === "hundred") {
      if (last === "hundred" || current >= 100) flush();
      current = (current || 1) * 100;
      last = "hundred";
    } else {
      if (value >= smallestScale) flush();
      total += (current || 1) * value;
      current = 0;
      smallestScale = value;
      last = "scale";
    }
  }
  flush();
  return out;
}

/** Replace every run of English number words in (lowercased) text by its digits. */
export function wordsToNumbers(text: string): string {
  return text.replace(RUN, (run) => parseRun(run).join(" "));
}
