/**
 * Text stored as the Python repr of a list of strings (`['…']`, `["…", "…"]`), as RouterBench stores prompts and
 * responses. `unwrapListLiteral` turns such a cell into its text; anything that is not exactly such a literal is
 * kept as it is.
 */

const SIMPLE: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

const isHex = (s: string) => /^[0-9A-Fa-f]+$/.test(s);

/**
 * Parse one Python (non-raw, non-bytes, single-line) string literal starting at `at` (the opening quote). Returns
 * the decoded text and the index after the closing quote, or null when the text there is not a valid literal.
 * Escapes follow Python: \\ \' \" \a \b \f \n \r \t \v, \<newline> (dropped), \ooo (octal), \xhh, \uhhhh,
 * \Uhhhhhhhh; an unknown escape keeps its backslash. \N{name} is not supported (null).
 */
export function parsePythonString(text: string, at: number): { value: string; end: number } | null {
  const quote = text[at];
  if (quote !== "'" && quote !== '"') return null;
  // Triple-quoted strings never come out of repr(); treat them as not-a-literal rather than misread them.
  if (text[at + 1] === quote && text[at + 2] === quote) return null;
  let out = "";
  let i = at + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === quote) return { value: out, end: i + 1 };
    if (c === "\n" || c === "\r") return null;
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) return null;
    if (e in SIMPLE) {
      out += SIMPLE[e];
      i += 2;
    } else if (e === "\n") {
      i += 2;
    } else if (e >= "0" && e <= "7") {
      let j = i + 1;
      while (j < i + 4 && text[j]! >= "0" && text[j]! <= "7") j++;
      out += String.fromCodePoint(parseInt(text.slice(i + 1, j), 8));
      i = j;
    } else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + n);
      if (hex.length !== n || !isHex(hex)) return null;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) return null;
      out += String.fromCodePoint(cp);
      i += 2 + n;
    } else if (e === "N") {
      return null;
    } else {
      out += `\\${e}`;
      i += 2;
    }
  }
  return null;
}

const WS = /\s/;

/**
 * The strings of a Python list literal of string literals (the whole text, surrounding whitespace allowed), or
 * null when the text is anything else. Adjacent literals concatenate as in Python; a trailing comma is allowed.
 */
export function parseStringList(text: string): string[] | null {
  let i = 0;
  const skip = () => {
    while (i < text.length && WS.test(text[i]!)) i++;
  };
  skip();
  if (text[i] !== "[") return null;
  i++;
  const items: string[] = [];
  for (;;) {
    skip();
    if (text[i] === "]") {
      i++;
      break;
    }
    let item: string | undefined;
    for (;;) {
      const s = parsePythonString(text, i);
      if (!s) break;
      item = (item ?? "") + s.value;
      i = s.end;
      skip();
    }
    if (item === undefined) return null;
    items.push(item);
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "]") {
      i++;
      break;
    }
    return null;
  }
  skip();
  return i === text.length ? items : null;
}

/** A list-literal cell as text (its strings joined by a newline); any other cell unchanged. */
export function unwrapListLiteral(cell: string): string {
  const items = parseStringList(cell);
  return items === null ? cell : items.join("\n");
}
