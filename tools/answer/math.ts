import { all, create, type FactoryFunctionMap, type MathNode } from "mathjs";
import seedrandom from "seedrandom";
import {
  absR,
  add,
  cmp,
  exactValue,
  halfLastPlace,
  hasDecimalLiteral,
  mul,
  parseDecimal,
  type Rational,
  sub,
} from "./exact.js";
import { asciiMath, latexToExpression } from "./latex.js";
import { wordsToNumbers } from "./number-words.js";

const math = create(all as FactoryFunctionMap);

/** Functions an answer may call; anything else (matrices, imports, assignments...) makes the answer unparseable. */
const FUNCTIONS = new Set([
  "sqrt",
  "nthRoot",
  "cbrt",
  "abs",
  "exp",
  "log",
  "log10",
  "log2",
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "sinh",
  "cosh",
  "tanh",
  "pow",
  "factorial",
  "gamma",
]);
const CONSTANTS = new Set(["pi", "e", "i", "Infinity", "tau", "phi", "PI", "E"]);
const NODE_TYPES = new Set(["ConstantNode", "SymbolNode", "OperatorNode", "ParenthesisNode", "FunctionNode"]);
const MAX_LENGTH = 500;

export interface MathOptions {
  /** Relative tolerance for numeric comparison (default 1e-9: "3.14159" is not pi). */
  relTol?: number;
  /** Absolute tolerance, for values near zero (default 1e-9). */
  absTol?: number;
  /** Seed of the random points expressions are compared at (default "math"). */
  seed?: string;
  /** How many random points (default 8); at least 3 must evaluate on both sides, and all of those agree. */
  points?: number;
}

export interface MathComparison {
  equal: boolean;
  /** How the verdict was reached: identical text, numbers compared, expressions compared at random points. */
  how: "text" | "numeric" | "points" | "unparsed";
  prediction: string | null;
  reference: string | null;
}

interface Parsed {
  node: MathNode;
  symbols: string[];
  percent: boolean;
  text: string;
  /** The expression in mathjs syntax, for exact evaluation. */
  expression: string;
}

function parseAnswer(answer: string): Parsed | null {
  if (answer.length > MAX_LENGTH) return null;
  let input = answer;
  if (/^[a-z\s-]+$/i.test(input.trim())) {
    const converted = wordsToNumbers(input.trim().toLowerCase()); // "twelve" → "12"
    if (/^\d+$/.test(converted)) input = converted;
  }
  const latex = latexToExpression(input);
  if (!latex) return null;
  let node: MathNode;
  try {
    node = math.parse(latex.expression);
  } catch {
    return null;
  }
  const symbols = new Set<string>();
  let ok = true;
  node.traverse((n, path, parent) => {
    if (!NODE_TYPES.has(n.type)) ok = false;
    if (n.type === "FunctionNode") {
      const fn = (n as unknown as { fn: { name?: string } }).fn;
      if (!fn.name || !FUNCTIONS.has(fn.name)) ok = false;
    }
    if (n.type === "SymbolNode" && !(parent?.type === "FunctionNode" && path === "fn")) {
      const name = (n as unknown as { name: string }).name;
      if (!CONSTANTS.has(name)) symbols.add(name);
    }
  });
  if (!ok) return null;
  return {
    node,
    symbols: [...symbols].sort(),
    percent: latex.percent,
    text: latex.expression.replace(/\s+/g, ""),
    expression: latex.expression,
  };
}

type Value = { re: number; im: number };

function evaluate(node: MathNode, scope: Record<string, number>): Value | null {
  try {
    const v: unknown = node.compile().evaluate({ ...scope });
    if (typeof v === "number") return Number.isNaN(v) ? null : { re: v, im: 0 };
    if (math.typeOf(v) === "Complex") {
      const c = v as { re: number; im: number };
      return { re: c.re, im: c.im };
    }
    return null; // booleans, units, matrices...
  } catch {
    return null;
  }
}

function close(a: Value, b: Value, relTol: number, absTol: number): boolean {
  const near = (x: number, y: number) =>
    x === y || Math.abs(x - y) <= absTol + relTol * Math.max(Math.abs(x), Math.abs(y));
  return near(a.re, b.re) && near(a.im, b.im);
}

/**
 * Split a tuple, interval, set or list into its brackets and parts: "(1, 2]", "\{1, 2\}" (open "{"), "1, 2" (no
 * brackets). Null when there is no top-level comma, or when the text is one number with thousands separators ("1,000").
 */
function tupleOf(text: string): { open: string; close: string; parts: string[] } | null {
  let s = text.trim();
  if (/^\\\{[\s\S]*\\\}$/.test(s)) s = `{${s.slice(2, -2)}}`; // \{1, 2\}: a set
  const open = /^[([{]/.exec(s)?.[0] ?? "";
  const closing = /[)\]}]$/.exec(s)?.[0] ?? "";
  const body = open && closing ? s.slice(1, -1) : s;
  if (!(open && closing) && /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(body)) return null;
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (parts.length === 0) return null;
  parts.push(body.slice(start));
  return { open, close: closing, parts };
}

/** An answer's text before it is split or parsed: no $ delimiters, ASCII signs, no \left \right sizing. */
function prepare(s: string): string {
  return stripDollars(asciiMath(s))
    .replace(/\\(?:left|right)\./g, "")
    .replace(/\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])/g, "")
    .trim();
}

/**
 * Whether two math answers are equal: numbers, fractions, simple LaTeX, percentages, and expressions in the same
 * variables. Integers and fractions of integers compare exactly, decimals within a tolerance (see compareExact), and
 * irrational values (roots, π) in floating point within the tolerance; so 0.5 == 1/2 == \frac{1}{2}. Expressions with
 * variables compare at seeded random points (so x+1 == 1+x). A percent sign on one side also accepts the value
 * divided by 100 ("50%" == "50" == "0.5"). Tuples and intervals compare part by part with the same brackets; sets
 * (`\{1, 2\}`) and bare lists ("1, 2", as in "all solutions, separated by commas") compare without regard to order.
 */
export function compareMath(prediction: string, reference: string, opts: MathOptions = {}): MathComparison {
  const tp = tupleOf(prepare(prediction));
  const tr = tupleOf(prepare(reference));
  if (tp && tr) {
    const equalParts = (a: string, b: string) => compareMath(a, b, opts).equal;
    const unordered = tp.open === "{" || tp.open === "";
    const equal =
      tp.open === tr.open &&
      tp.close === tr.close &&
      tp.parts.length === tr.parts.length &&
      (unordered
        ? sameMultiset(tp.parts, tr.parts, equalParts)
        : tp.parts.every((p, i) => equalParts(p, tr.parts[i]!)));
    return { equal, how: "numeric", prediction: prediction.trim(), reference: reference.trim() };
  }
  const p = parseAnswer(prediction);
  const r = parseAnswer(reference);
  if (!p || !r) {
    const equal = stripDollars(prediction).replace(/\s+/g, "") === stripDollars(reference).replace(/\s+/g, "");
    return { equal, how: "unparsed", prediction: p?.text ?? null, reference: r?.text ?? null };
  }
  const base = { prediction: p.text, reference: r.text };
  if (p.text === r.text && p.percent === r.percent) return { equal: true, how: "text", ...base };
  const relTol = opts.relTol ?? 1e-9;
  const absTol = opts.absTol ?? 1e-9;
  // Candidate scalings when exactly one side carried a percent sign.
  const scales = p.percent !== r.percent ? [1, 0.01] : [1];
  const symbols = [...new Set([...p.symbols, ...r.symbols])];
  if (symbols.length === 0) {
    const exact = compareExact(p, r, relTol, absTol);
    if (exact !== null) return { equal: exact, how: "numeric", ...base };
    const a = evaluate(p.node, {});
    const b = evaluate(r.node, {});
    if (!a || !b) return { equal: false, how: "numeric", ...base };
    const equal = scales.some((k) => {
      const [x, y] = p.percent ? [{ re: a.re * k, im: a.im * k }, b] : [a, { re: b.re * k, im: b.im * k }];
      return close(x, y, relTol, absTol);
    });
    return { equal, how: "numeric", ...base };
  }
  if (p.symbols.join() !== r.symbols.join()) return { equal: false, how: "points", ...base };
  const rng = seedrandom(opts.seed ?? "math");
  const points = opts.points ?? 8;
  let agreed = 0;
  for (let n = 0; n < points; n++) {
    const scope: Record<string, number> = {};
    for (const s of symbols) scope[s] = 0.3 + 2.4 * rng();
    const a = evaluate(p.node, scope);
    const b = evaluate(r.node, scope);
    if (!a || !b || !Number.isFinite(a.re) || !Number.isFinite(b.re)) continue;
    if (!close(a, b, relTol, absTol)) return { equal: false, how: "points", ...base };
    agreed++;
  }
  return { equal: agreed >= 3, how: "points", ...base };
}

const HUNDREDTH: Rational = { n: 1n, d: 100n };

/**
 * Compare two constant answers exactly when both are rational expressions (see exact.ts); null when either is not, so
 * the caller compares them in floating point. With integer literals only, equality is exact. A side with a decimal
 * literal ("0.3333333333", "2.5e9") is a float: it matches within the tolerance, and when the side is that one
 * literal, never beyond half a unit in its last written place (so "1000000000.0" is not 1000000001).
 */
function compareExact(p: Parsed, r: Parsed, relTol: number, absTol: number): boolean | null {
  const a = exactValue(p.expression);
  const b = exactValue(r.expression);
  if (a === null || b === null) return null;
  if (a === "big" || b === "big") return false; // too large to compare exactly, and floats would say Infinity == Infinity
  const rel = parseDecimal(String(relTol));
  const abs = parseDecimal(String(absTol));
  const pFloat = hasDecimalLiteral(p.expression);
  const rFloat = hasDecimalLiteral(r.expression);
  const scales = p.percent !== r.percent ? [false, true] : [false];
  return scales.some((scaled) => {
    // A percent sign on one side also accepts that side's value divided by 100.
    const kp = scaled && p.percent;
    const kr = scaled && r.percent;
    const x = kp ? mul(a, HUNDREDTH) : a;
    const y = kr ? mul(b, HUNDREDTH) : b;
    const diff = absR(sub(x, y));
    if (diff.n === 0n) return true;
    if (!(pFloat || rFloat) || !rel || !abs) return false;
    let limit = add(abs, mul(rel, cmp(absR(x), absR(y)) > 0 ? absR(x) : absR(y)));
    // The coarser of the written precisions, when every decimal side is a single literal.
    const caps = [pFloat ? capOf(p.expression, kp) : undefined, rFloat ? capOf(r.expression, kr) : undefined];
    const known = caps.filter((c): c is Rational | null => c !== undefined);
    if (known.every((c) => c !== null)) {
      const coarsest = (known as Rational[]).reduce((m, c) => (cmp(c, m) > 0 ? c : m));
      if (cmp(coarsest, limit) < 0) limit = coarsest;
    }
    return cmp(diff, limit) <= 0;
  });
}

function capOf(expression: string, scaled: boolean): Rational | null {
  const cap = halfLastPlace(expression);
  return cap && scaled ? mul(cap, HUNDREDTH) : cap;
}

/** True when two math answers are equal (see compareMath). */
export function mathEquivalent(prediction: string, reference: string, opts: MathOptions = {}): boolean {
  return compareMath(prediction, reference, opts).equal;
}

/** Whether every part of `a` pairs with a distinct equal part of `b` (same length). */
function sameMultiset(a: readonly string[], b: readonly string[], equal: (x: string, y: string) => boolean): boolean {
  const used = new Set<number>();
  return a.every((x) => {
    const j = b.findIndex((y, k) => !used.has(k) && equal(x, y));
    if (j < 0) return false;
    used.add(j);
    return true;
  });
}

function stripDollars(s: string): string {
  return s
    .trim()
    .replace(/^\$+|\$+$/g, "")
    .trim();
}
