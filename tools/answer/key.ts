import { extractChoice } from "./choice.js";
import { extractProgram } from "./code.js";
import { extractFinalAnswer } from "./extract.js";
import { normalizeAnswer } from "./normalize.js";
import { wordsToNumbers } from "./number-words.js";

/**
 * The normalised form of an answer, for comparing two agents' answers to the same task (do they agree?). Two
 * answers agree when their keys are equal and not null; null means no answer could be read from the response.
 *
 * - `choice`: the option letter chosen ("B", "(b)", "Answer: B", "B) Paris" all give "B"); an echoed option list or
 *   a refusal gives null;
 * - `code`: the program's structure: the first block of the response that defines a function (Python `def`/`class`,
 *   JavaScript `function f(…) {…}` or `const f = (…) =>`), with its top-level example usage (calls, prints, asserts,
 *   `if __name__ …`), comments, docstrings and type annotations dropped, and every name the program binds (functions,
 *   parameters, assigned variables, loop targets, `as` names) renamed by order of first use. Names it does not bind
 *   (builtins, modules, methods and attributes) are kept, and so is the indentation structure. So two functions that
 *   differ only in names, comments and layout agree, and `s.isdigit()` and `s.isalpha()` do not;
 * - `text`: the final answer ("the answer is …", `\boxed{…}`, or the whole response), SQuAD-normalised, number
 *   words as digits and numbers canonical ("12.0", "twelve" and "The answer is 12." give "12").
 */
export type AnswerKind = "choice" | "code" | "text";

/** An option line: "A) west", "(B) east", "C. north", "D: south". */
const OPTION_LINE = /^\s*\(?([A-H])[).:]\s+\S/;
/** Options on one line: "(A) 3 (B) 4", "A) 3 B) 4". */
const INLINE_OPTIONS = /(?:^|\s)\(?A\)\s*\S.*\s\(?B\)\s*\S/;
const LETTER_INSTRUCTION =
  /\b(?:answer with (?:the|a|one|only the) (?:option )?letter|single (?:choice|letter)|choose (?:one|the correct) (?:option|letter|answer)|letter of the correct (?:answer|option|choice))\b/i;
/** A line that gives an example's answer ("Answer: B"), or a bare letter after an "Answer:" line. */
const ANSWERED = /^\s*(?:the\s+)?answer\s*(?:is\s*)?[:：]?\s*\(?[A-H]\)?\.?\s*$/i;
const BARE_LETTER = /^\s*\(?[A-H]\)?\.?\s*$/;
const ENDS_WITH_ANSWER = /\banswer\s*[:：]?\s*$/i;
/** "Write a (python) function to …", "implement the method", "complete the code"; not "write a sentence about …". */
const CODE_TASK =
  /\b(?:(?:write|implement|complete|create|code)\s+(?:(?:a|an|the)\s+)?|define\s+an?\s+)(?:(?!(?:about|on|of|for|describing|explaining|that|which|to|in|with)\b)[\w+#-]+\s+){0,2}?(?:functions?|programs?|methods?|class(?:es)?|scripts?|code|lambda|procedure)\b/i;

/**
 * The kind of answer a task asks for, from its text. The task's own question is its last part: in a few-shot prompt
 * the examples come first, each closed by its answer ("Answer: B", or a bare "B" after "Answer:"), so only the lines
 * after the last answered example count. Choice: option lines in that part, the last one close to its end (only an
 * instruction or "Answer:" after it), options inline on one of its last lines, or an instruction to answer with a
 * letter ("Print only a single choice from "A" or "B"") in its last lines. Code: a request to write a function or
 * program, or a prompt that ends in a function signature to complete. Otherwise text.
 */
export function answerKind(taskText: string): AnswerKind {
  const all = taskText
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((l) => l.trim() !== "");
  let start = 0;
  all.forEach((l, i) => {
    if (ANSWERED.test(l) || (i > 0 && BARE_LETTER.test(l) && ENDS_WITH_ANSWER.test(all[i - 1]!))) start = i + 1;
  });
  const lines = all.slice(start);
  const last = lines.findLastIndex((l) => OPTION_LINE.test(l));
  if (last >= 0 && lines.length - 1 - last <= 3) {
    const letters = new Set<string>();
    for (let i = last; i >= 0 && OPTION_LINE.test(lines[i]!); i--) letters.add(OPTION_LINE.exec(lines[i]!)![1]!);
    if (letters.has("A") && letters.has("B")) return "choice";
  }
  const tail = lines.slice(-3);
  if (tail.some((l) => INLINE_OPTIONS.test(l)) || LETTER_INSTRUCTION.test(tail.join("\n"))) return "choice";
  if (CODE_TASK.test(taskText)) return "code";
  // A function signature (and docstring) to complete: the last top-level line defines a function.
  const topLevel = all.filter((l) => /^\S/.test(l));
  if (/^(?:async\s+)?def\s+\w+\s*\(|^(?:export\s+)?(?:async\s+)?function\s*\w*\s*\(/.test(topLevel.at(-1) ?? ""))
    return "code";
  return "text";
}

// ---------------------------------------------------------------------------------------------------------------
// code

type Language = "python" | "javascript";

/** A block that defines a function or class, in Python or JavaScript. */
const PY_DEFINITION = /^[ \t]*(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(|^[ \t]*class[ \t]+\w+[ \t]*[(:]/m;
const JS_DEFINITION =
  /^[ \t]*(?:export[ \t]+(?:default[ \t]+)?)?(?:(?:async[ \t]+)?function\b[ \t]*\*?[ \t]*[\w$]*[ \t]*\(|(?:const|let|var)[ \t]+[\w$]+[ \t]*=[ \t]*(?:async[ \t]*)?(?:function\b|\([^)\n]*\)[ \t]*=>|[\w$]+[ \t]*=>)|class[ \t]+[\w$]+[ \t]*(?:extends[ \t]+[\w$.]+[ \t]*)?\{)/m;
const DEFINES = new RegExp(`${PY_DEFINITION.source}|${JS_DEFINITION.source}`, "m");

/** Fenced blocks (```lang … ```, an unclosed last fence running to the end) and [PYTHON] … [/PYTHON] tags. */
const BLOCK = /```[^\n]*\n([\s\S]*?)(?:```|$)|\[PYTHON\]([\s\S]*?)(?:\[\/PYTHON\]|$)/gi;

/** Tokens, matched where the lexer stands (sticky): names and numbers, multi-character operators, string openings. */
const WORD = /[A-Za-z_$][\w$]*|0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*(?:\.\d[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?/y;
const OPERATOR =
  /===|!==|\*\*=|\/\/=|>>=|<<=|\.\.\.|=>|->|:=|==|!=|<=|>=|\*\*|\/\/|<<|>>|[-+*/%&|^@]=|&&|\|\||\+\+|--|\?\.|\?\?/y;
const PY_STRING = /([rRbBuUfF]{0,2})('''|"""|'|")/y;
const JS_STRING = /()(['"`])/y;
const AUGMENTED = new Set(["=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=", ">>=", "<<=", "@="]);
/** Words never renamed (keywords of either language that can stand where a name is bound). */
const KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for from global if " +
    "import in is lambda nonlocal not or pass raise return try while with yield let const var function new this typeof " +
    "instanceof of null undefined true false switch case default do catch throw export extends static get set"
  ).split(" "),
);

const isName = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_$][\w$]*$/.test(t);
const isString = (t: string): boolean => /^[a-z]*["`]/.test(t) && !isName(t);

interface LogicalLine {
  indent: number;
  tokens: string[];
}

/** A string literal in one canonical spelling: 'z' and "z" give the same token; prefixes other than u are kept. */
function stringToken(prefix: string, quote: string, inner: string): string {
  if (quote === "`") return `\`${inner}\``;
  const body = inner.replace(/\\(['"])/g, "$1").replace(/"/g, '\\"');
  return `${prefix.toLowerCase().replace("u", "")}"${body}"`;
}

/**
 * The program as logical lines of tokens, comments dropped. A Python line continues while brackets are open (or
 * after a backslash); a JavaScript line ends at its newline (braces do not join lines) and `;` is dropped.
 */
function lex(program: string, lang: Language): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let tokens: string[] = [];
  let indent = 0;
  let depth = 0;
  let lineStart = true;
  const n = program.length;
  const endLine = () => {
    if (tokens.length > 0) lines.push({ indent, tokens });
    tokens = [];
    lineStart = true;
  };
  let i = 0;
  while (i < n) {
    if (lineStart) {
      let w = 0;
      while (i < n && (program[i] === " " || program[i] === "\t")) w += program[i++] === "\t" ? 4 : 1;
      indent = w;
      lineStart = false;
      continue;
    }
    const c = program[i]!;
    if (c === "\n") {
      i++;
      if (depth === 0) endLine();
      continue;
    }
    if (c === "\\" && program[i + 1] === "\n") {
      i += 2;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (lang === "python" && c === "#") {
      while (i < n && program[i] !== "\n") i++;
      continue;
    }
    if (lang === "javascript" && c === "/" && program[i + 1] === "/") {
      while (i < n && program[i] !== "\n") i++;
      continue;
    }
    if (lang === "javascript" && c === "/" && program[i + 1] === "*") {
      const end = program.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    // String literals, with an optional Python prefix (r, b, f, u, rb, …).
    const strRe = lang === "python" ? PY_STRING : JS_STRING;
    strRe.lastIndex = i;
    const str = strRe.exec(program);
    if (str) {
      const prefix = str[1] ?? "";
      const quote = str[2]!;
      let j = strRe.lastIndex;
      const start = j;
      const multiline = quote.length === 3 || quote === "`";
      while (j < n && !program.startsWith(quote, j) && (multiline || program[j] !== "\n"))
        j += program[j] === "\\" ? 2 : 1;
      tokens.push(stringToken(prefix, quote[0]!, program.slice(start, Math.min(j, n))));
      i = program.startsWith(quote, j) ? j + quote.length : j;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(program);
    if (word) {
      tokens.push(word[0]);
      i += word[0].length;
      continue;
    }
    OPERATOR.lastIndex = i;
    const op = OPERATOR.exec(program)?.[0] ?? c;
    i += op.length;
    if (op === ";" && lang === "javascript") continue;
    if (op === ";" && depth === 0) {
      // Python: "a = 1; b = 2" is two statements.
      const keep = indent;
      endLine();
      indent = keep;
      lineStart = false;
      continue;
    }
    if (op === "(" || op === "[" || (op === "{" && lang === "python")) depth++;
    else if ((op === ")" || op === "]" || (op === "}" && lang === "python")) && depth > 0) depth--;
    tokens.push(op);
  }
  endLine();
  return lines;
}

/** Whether a top-level logical line starts a definition (kept) rather than example usage (dropped). */
function definesAtTopLevel(t: string[]): boolean {
  const [a, b, c] = t;
  if (a === "def" || a === "class" || a === "@" || (a === "async" && (b === "def" || b === "function"))) return true;
  if (a === "import" || (a === "from" && t.includes("import"))) return !(b === "typing" || b === "__future__");
  if (a === "function" || (a === "export" && (b === "function" || b === "default" || b === "async" || b === "const")))
    return true;
  if ((a === "const" || a === "let" || a === "var") && c === "=") return t.includes("=>") || t.includes("function");
  // Module constants: UPPER_CASE = …
  return isName(a) && /^[A-Z_][A-Z0-9_]*$/.test(a) && (b === "=" || b === ":");
}

/** The top-level blocks that define something; a block runs over its indented lines, `}` and `else:` lines. */
function definitionsOnly(lines: LogicalLine[]): LogicalLine[] {
  const out: LogicalLine[] = [];
  let keep = false;
  for (const line of lines) {
    const first = line.tokens[0]!;
    const continues =
      line.indent > 0 || /^[)\]}]$/.test(first) || ["else", "elif", "except", "finally"].includes(first);
    if (!continues) keep = definesAtTopLevel(line.tokens);
    if (keep) out.push(line);
  }
  return out;
}

/** Python type annotations dropped from a `def` line: `def f(a: List[int] = x) -> int:` → `def f(a = x):`. */
function withoutAnnotations(t: string[]): string[] {
  const def = t.indexOf("def");
  const open = t.indexOf("(", def);
  if (def < 0 || open < 0) return t;
  const out = t.slice(0, open + 1);
  let depth = 1;
  let skipping = false;
  let i = open + 1;
  for (; i < t.length && depth > 0; i++) {
    const x = t[i]!;
    if (x === "(" || x === "[" || x === "{") depth++;
    if (x === ")" || x === "]" || x === "}") depth--;
    if (depth === 1 && x === ":" && !skipping) skipping = true;
    else if (depth === 1 && (x === "," || x === "=")) skipping = false;
    else if (depth === 0) skipping = false;
    if (!skipping) out.push(x);
  }
  const rest = t.slice(i);
  const arrow = rest.indexOf("->");
  if (arrow < 0) return [...out, ...rest];
  // The annotation runs to the def's own colon, the first one outside brackets ("-> Dict[str, int]:").
  let colon = arrow + 1;
  for (let d = 0; colon < rest.length && !(d === 0 && rest[colon] === ":"); colon++) {
    if (rest[colon] === "(" || rest[colon] === "[" || rest[colon] === "{") d++;
    else if (rest[colon] === ")" || rest[colon] === "]" || rest[colon] === "}") d--;
  }
  return [...out, ...rest.slice(0, arrow), ...rest.slice(colon)];
}

/** The index of the bracket that closes the one at `open` (or the end). */
function closing(t: string[], open: number): number {
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    if (t[i] === "(" || t[i] === "[" || t[i] === "{") depth++;
    else if (t[i] === ")" || t[i] === "]" || t[i] === "}") if (--depth === 0) return i;
  }
  return t.length;
}

/**
 * The names an assignment statement binds ("a, b = …", "x += 1", "n: int = 0", "if c: y = 1" binds y), not
 * attributes ("self.x = …") nor subscripted or called containers ("a[i] = …"); none when the line assigns nothing.
 */
function assignmentTargets(t: string[]): string[] {
  let depth = 0;
  let from = 0;
  let annotation = -1;
  for (let i = 0; i < t.length; i++) {
    const x = t[i]!;
    if (x === "(" || x === "[" || x === "{") depth++;
    else if (x === ")" || x === "]" || x === "}") depth--;
    else if (depth === 0 && x === ":") {
      if (i === from + 1 && isName(t[from]) && !KEYWORDS.has(t[from]!)) annotation = i;
      else from = i + 1;
    } else if (depth === 0 && AUGMENTED.has(x)) {
      const lhs = t.slice(from, annotation > from ? annotation : i);
      return lhs.filter((_, j) => lhs[j - 1] !== "." && ![".", "?.", "[", "("].includes(lhs[j + 1] ?? ""));
    }
  }
  return [];
}

/** The names a program binds: what it defines, its parameters, assignment and loop targets, `as` names. */
function boundNames(lines: LogicalLine[]): Set<string> {
  const bound = new Set<string>();
  const bind = (t: string | undefined) => {
    if (isName(t) && !KEYWORDS.has(t)) bound.add(t);
  };
  /** Parameters: names right after "(", ",", "*", "**" or "..." at the first level inside the brackets. */
  const params = (t: string[], open: number, close: number) => {
    let depth = 0;
    for (let i = open; i < close; i++) {
      const x = t[i]!;
      if (x === "(" || x === "[" || x === "{") depth++;
      else if (x === ")" || x === "]" || x === "}") depth--;
      else if (depth === 1 && ["(", ",", "*", "**", "..."].includes(t[i - 1]!)) bind(x);
    }
  };
  for (const { tokens: t } of lines) {
    for (const name of assignmentTargets(t)) bind(name);
    for (let i = 0; i < t.length; i++) {
      const x = t[i]!;
      const next = t[i + 1];
      if (x === "def" || x === "class" || x === "function") {
        let open = i + 1;
        if (isName(next)) {
          bind(next);
          open = i + 2;
        }
        if (x !== "class" && t[open] === "(") params(t, open, closing(t, open));
      } else if (x === "lambda") {
        const end = t.indexOf(":", i);
        for (let j = i + 1; j < (end < 0 ? t.length : end); j++)
          if (["lambda", ",", "*", "**"].includes(t[j - 1]!)) bind(t[j]);
      } else if (x === "=>") {
        const prev = t[i - 1];
        if (isName(prev)) bind(prev);
        else if (prev === ")") {
          let open = i - 1;
          for (let depth = 0; open >= 0; open--) {
            if (t[open] === ")") depth++;
            else if (t[open] === "(" && --depth === 0) break;
          }
          if (open >= 0) params(t, open, i - 1);
        }
      } else if (x === "for") {
        // "for a, (b, c) in …", "for (const x of …)"; a C-style JS loop binds through its let.
        for (let j = i + 1; j < t.length && !["in", "of", "=", ":"].includes(t[j]!); j++)
          if (t[j - 1] !== ".") bind(t[j]);
      } else if (x === "as" || x === "let" || x === "const" || x === "var") {
        if (next === "[" || next === "{") {
          const close = closing(t, i + 1);
          for (let j = i + 2; j < close; j++) bind(t[j]);
        } else bind(next);
      } else if (x === ":=") bind(t[i - 1]);
    }
  }
  return bound;
}

/**
 * The key of a program: its tokens, with the bound names renamed v0, v1, … by order of first use (an attribute,
 * after ".", keeps its name), ⏎ at the end of each logical line and ⇥/⇤ where the indentation deepens or returns.
 */
function programKey(lines: LogicalLine[]): string {
  const bound = boundNames(lines);
  const names = new Map<string, string>();
  const out: string[] = [];
  const levels = [0];
  for (const line of lines) {
    while (line.indent < levels.at(-1)!) {
      levels.pop();
      out.push("⇤");
    }
    if (line.indent > levels.at(-1)!) {
      levels.push(line.indent);
      out.push("⇥");
    }
    line.tokens.forEach((t, i) => {
      const prev = line.tokens[i - 1];
      if (!bound.has(t) || prev === "." || prev === "?.") {
        out.push(t);
        return;
      }
      let v = names.get(t);
      if (!v) names.set(t, (v = `v${names.size}`));
      out.push(v);
    });
    out.push("⏎");
  }
  return out.join(" ");
}

/** Common leading whitespace removed (a block indented in a markdown list). */
function dedent(code: string): string {
  const widths = code
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => /^[ \t]*/.exec(l)![0].length);
  const w = widths.length > 0 ? Math.min(...widths) : 0;
  return w === 0 ? code : code.replace(new RegExp(`^[ \\t]{0,${w}}`, "gm"), "");
}

function codeKey(response: string): string | null {
  const text = response.replace(/\r\n?/g, "\n");
  // The first fenced (or [PYTHON]-tagged) block that defines a function; else the program as code mode reads it.
  const blocks = [...text.matchAll(BLOCK)].map((m) => m[1] ?? m[2] ?? "");
  const program = blocks.find((b) => DEFINES.test(b)) ?? extractProgram(text, "python");
  if (program === null) return null;
  const code = dedent(program);
  const lang: Language = !PY_DEFINITION.test(code) && JS_DEFINITION.test(code) ? "javascript" : "python";
  const lines = definitionsOnly(
    lex(code, lang)
      .filter((l) => !l.tokens.every(isString)) // docstrings and other bare strings
      .map((l) => (lang === "python" && l.tokens.includes("def") ? { ...l, tokens: withoutAnnotations(l.tokens) } : l)),
  );
  return lines.length === 0 ? null : programKey(lines);
}

// ---------------------------------------------------------------------------------------------------------------
// text

/** A number: "12", "-3.5", "1,000" (thousands groups), not part of a word or a dotted version. */
const NUMBER = /(?<![\w.,])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)/g;

function textKey(response: string): string | null {
  const final = extractFinalAnswer(response) ?? response;
  const s = wordsToNumbers(final.normalize("NFKC").toLowerCase());
  // Numbers canonical before punctuation is dropped ("12.50" → "12.5", "12.0" → "12", "1,000" → "1000"): dropping
  // it first would read "12.5" as "125".
  const parts: string[] = [];
  let at = 0;
  for (const m of s.matchAll(NUMBER)) {
    parts.push(normalizeAnswer(s.slice(at, m.index)));
    const v = Number(m[0].replace(/,/g, "").replace("−", "-"));
    parts.push(Number.isFinite(v) ? String(v) : m[0]);
    at = m.index + m[0].length;
  }
  parts.push(normalizeAnswer(s.slice(at)));
  const key = parts.filter((p) => p !== "").join(" ");
  return key === "" ? null : key;
}

/** The key of a response for a task of this kind (see AnswerKind), or null when no answer can be read. */
export function answerKey(response: string, kind: AnswerKind): string | null {
  if (response.trim() === "") return null;
  if (kind === "choice") return extractChoice(response, { letters: "ABCDEFGH" });
  if (kind === "code") return codeKey(response);
  return textKey(response);
}

/** Whether two keys agree: equal and both read. */
export function keysAgree(a: string | null | undefined, b: string | null | undefined): boolean {
  return a !== null && a !== undefined && a === b;
}
