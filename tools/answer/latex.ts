/**
 * Simple LaTeX (and plain-text math) to an expression mathjs parses: `\frac{a}{b}`, `\dfrac`, `\tfrac`, `\frac12`,
 * `\sqrt{x}`, `\sqrt[n]{x}`, `^{...}`, `\cdot`, `\times`, `\div`, `\left( \right)`, `$...$`, `\pi`, `\infty`,
 * thousands separators, degrees, `\text{units}`. Returns the expression and whether a percent sign was removed.
 * Null when something is left that is not simple maths (an unknown command, unbalanced braces).
 */
export interface MathText {
  expression: string;
  percent: boolean;
}

const COMMANDS: Record<string, string> = {
  cdot: "*",
  times: "*",
  ast: "*",
  div: "/",
  pi: "pi",
  infty: "Infinity",
  sin: "sin",
  cos: "cos",
  tan: "tan",
  ln: "log",
  log: "log10",
  exp: "exp",
  le: "<=",
  ge: ">=",
  leq: "<=",
  geq: ">=",
};

/** Read one argument of a command at `i`: a `{group}`, a `\command`, or one character. */
function readArgument(s: string, i: number): { text: string; end: number } | null {
  while (s[i] === " ") i++;
  if (i >= s.length) return null;
  if (s[i] === "{") {
    let depth = 1;
    let j = i + 1;
    for (; j < s.length && depth > 0; j++) {
      if (s[j] === "\\") j++;
      else if (s[j] === "{") depth++;
      else if (s[j] === "}") depth--;
    }
    if (depth !== 0) return null;
    return { text: s.slice(i + 1, j - 1), end: j };
  }
  if (s[i] === "\\") {
    const m = /^\\[a-zA-Z]+/.exec(s.slice(i));
    if (m) return { text: m[0], end: i + m[0].length };
  }
  return { text: s[i]!, end: i + 1 };
}

/** Rewrite `\frac`, `\sqrt` and `^{}` into function-call and parenthesis form, recursively. */
function rewrite(s: string): string | null {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const rest = s.slice(i);
    const cmd = /^\\([a-zA-Z]+)/.exec(rest);
    if (cmd) {
      const name = cmd[1]!;
      i += cmd[0].length;
      if (name === "frac" || name === "dfrac" || name === "tfrac") {
        const num = readArgument(s, i);
        if (!num) return null;
        const den = readArgument(s, num.end);
        if (!den) return null;
        const a = rewrite(num.text);
        const b = rewrite(den.text);
        if (a === null || b === null) return null;
        out += `((${a})/(${b}))`;
        i = den.end;
      } else if (name === "sqrt") {
        let index: string | null = null;
        while (s[i] === " ") i++;
        if (s[i] === "[") {
          const close = s.indexOf("]", i);
          if (close < 0) return null;
          index = rewrite(s.slice(i + 1, close));
          if (index === null) return null;
          i = close + 1;
        }
        const arg = readArgument(s, i);
        if (!arg) return null;
        const inner = rewrite(arg.text);
        if (inner === null) return null;
        out += index === null ? `sqrt(${inner})` : `nthRoot(${inner}, ${index})`;
        i = arg.end;
      } else if (name in COMMANDS) {
        out += ` ${COMMANDS[name]} `;
      } else {
        return null;
      }
      continue;
    }
    const c = s[i]!;
    if (c === "{") {
      const group = readArgument(s, i);
      if (!group) return null;
      const inner = rewrite(group.text);
      if (inner === null) return null;
      out += `(${inner})`;
      i = group.end;
      continue;
    }
    if (c === "}") return null;
    out += c;
    i++;
  }
  return out;
}

/** Units of one letter that may follow a plain number in text ("5 m", "3 s", "2 kg" is covered by longer words). */
const ONE_LETTER_UNITS = "mgshlLKNJWV";
const UNIT_WORD = `(?:[a-zA-Z]{2,}|[${ONE_LETTER_UNITS}])(?:\\s*\\^\\s*\\(?\\s*-?\\d\\s*\\)?)?`;
/** A plain number followed by unit words: "5 cm", "12 apples", "3.5 square meters", "5 m", "8 m^2", "9.8 m/s^2". */
const NUMBER_WITH_UNITS = new RegExp(
  `^([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?)\\s+${UNIT_WORD}(?:\\s*(?:/|\\s)\\s*${UNIT_WORD})*\\.?$`,
);

/** Typographic signs that mean plain ASCII ones in an answer: the minus sign U+2212, superscript two and three. */
export function asciiMath(s: string): string {
  return s
    .replace(/\u2212/g, "-")
    .replace(/²/g, "^2")
    .replace(/³/g, "^3");
}

export function latexToExpression(input: string): MathText | null {
  let s = asciiMath(input).normalize("NFKC").trim();
  s = s.replace(/(\d)\\,(?=\d{3}(?!\d))/g, "$1"); // 1\,000 (thin-space thousands separator)
  // Delimiters and spacing.
  s = s
    .replace(/^\$+|\$+$/g, "")
    .replace(/^\\\(|\\\)$/g, "")
    .replace(/^\\\[|\\\]$/g, "");
  s = s.replace(/\\displaystyle|\\left\.?|\\right\.?|\\[!,;: ]|~/g, (m) =>
    m.startsWith("\\left") || m.startsWith("\\right") ? "" : " ",
  );
  // A unit in text after a number, at the end: 5\text{ m}, 8\ \text{m}^2, \frac{1}{2}\,\mathrm{kg}.
  s = s.replace(/([\d}])\s*\\(?:text|mbox|textrm|mathrm)\s*\{[^{}]*\}(?:\s*\^\s*(?:\{[^{}]*\}|\d))?\s*\.?\s*$/, "$1");
  s = s.replace(/\\(?:text|mbox|textrm|mathrm|textbf|mathbf|operatorname)\s*\{([^{}]*)\}/g, (_m, inner: string) =>
    /^\s*[a-zA-Z]\s*$/.test(inner) ? inner : " ",
  ); // \text{cm} (units, words) dropped; \mathrm{x} (one letter) kept
  s = s.replace(/\\\$/g, ""); // a currency sign: "\$5" is 5
  // Degrees and percent.
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?|°/g, "");
  let percent = false;
  s = s.replace(/\\?%/g, () => {
    percent = true;
    return "";
  });
  // Thousands separators: 1,234,567 (not inside a tuple like (1,2)).
  s = s.replace(/(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])/g, (m) => m.replace(/,/g, ""));
  s = s.replace(/\\\{/g, "{").replace(/\\\}/g, "}"); // set braces are grouping to us
  const rewritten = rewrite(s);
  if (rewritten === null) return null;
  s = rewritten.replace(/\s+/g, " ").trim();
  // "x = 5" → "5" when the left side is one variable.
  const assign = /^[a-zA-Z]\s*=\s*(.+)$/.exec(s);
  if (assign) s = assign[1]!.trim();
  // Trailing unit words after a plain number: "5 cm", "12 apples", "3.5 square meters".
  const unit = NUMBER_WITH_UNITS.exec(s);
  if (unit) s = unit[1]!;
  if (s === "") return null;
  return { expression: s, percent };
}
