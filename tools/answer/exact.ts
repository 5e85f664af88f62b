import { all, create, type FactoryFunctionMap, type MathNode } from "mathjs";

/**
 * Exact rational arithmetic for math answers: an expression made only of number literals, + − × ÷, integer powers and
 * parentheses has an exact value, computed here with BigInt (any size up to MAX_BITS), so 1000000000 ≠ 1000000001 and
 * 2^{1000} ≠ 2^{1000}+1. Anything else (roots, π, functions, variables) has no exact value here.
 */

/** A fraction n/d with d > 0, not necessarily reduced: comparisons cross-multiply, so no gcd is ever needed. */
export interface Rational {
  n: bigint;
  d: bigint;
}

/** Numerators and denominators beyond this many bits (about 20,000 digits) are "too big" rather than computed. */
const MAX_BITS = 65_536;

/** The answer parsed with BigNumber literals, so every literal keeps all its digits. */
const bigMath = create(all as FactoryFunctionMap, { number: "BigNumber" });

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function bits(x: bigint): number {
  return x === 0n ? 0 : abs(x).toString(16).length * 4;
}

function make(n: bigint, d: bigint): Rational {
  if (d < 0n) [n, d] = [-n, -d];
  if (bits(n) > MAX_BITS || bits(d) > MAX_BITS) throw new TooBig();
  return { n, d };
}

class TooBig extends Error {}

export const add = (a: Rational, b: Rational): Rational => make(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => make(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => make(a.n * b.n, a.d * b.d);
export const absR = (a: Rational): Rational => ({ n: abs(a.n), d: a.d });
export function cmp(a: Rational, b: Rational): number {
  const x = a.n * b.d;
  const y = b.n * a.d;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A decimal literal ("-12.50", "1e-9", "3.2E4") as an exact rational, or null when it is not one. */
export function parseDecimal(text: string): Rational | null {
  const m = /^([-+]?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i.exec(text.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const frac = m[3] ?? "";
  const exp = Number(m[4] ?? 0) - frac.length;
  if (Math.abs(exp) > MAX_BITS) return null;
  let n = BigInt(`${m[2]}${frac}` || "0");
  if (m[1] === "-") n = -n;
  const scale = 10n ** BigInt(Math.abs(exp));
  try {
    return exp >= 0 ? make(n * scale, 1n) : make(n, scale);
  } catch {
    return null;
  }
}

function power(base: Rational, exponent: Rational): Rational {
  if (exponent.n % exponent.d !== 0n) throw new NotRational();
  const e = exponent.n / exponent.d;
  if (e === 0n) return { n: 1n, d: 1n };
  if (base.n === 0n) {
    if (e < 0n) throw new NotRational(); // division by zero
    return { n: 0n, d: 1n };
  }
  if (abs(base.n) === base.d) return { n: e % 2n === 0n || base.n > 0n ? 1n : -1n, d: 1n }; // ±1
  if (abs(e) * BigInt(Math.max(bits(base.n), bits(base.d))) > BigInt(MAX_BITS) * 4n) throw new TooBig();
  const k = abs(e);
  const r = make(base.n ** k, base.d ** k);
  return e > 0n ? r : make(r.d, r.n);
}

class NotRational extends Error {}

function value(node: MathNode): Rational {
  const n = node as unknown as {
    type: string;
    value?: unknown;
    content?: MathNode;
    fn?: string;
    args?: MathNode[];
  };
  switch (n.type) {
    case "ConstantNode": {
      const v = n.value as { toFixed?: () => string } | undefined;
      if (bigMath.typeOf(v) !== "BigNumber" || !v?.toFixed) throw new NotRational();
      const r = parseDecimal(v.toFixed());
      if (!r) throw new NotRational();
      return r;
    }
    case "ParenthesisNode":
      return value(n.content!);
    case "OperatorNode": {
      const args = (n.args ?? []).map(value);
      const [a, b] = args;
      if (args.length === 1 && n.fn === "unaryMinus") return { n: -a!.n, d: a!.d };
      if (args.length === 1 && n.fn === "unaryPlus") return a!;
      if (args.length !== 2) throw new NotRational();
      switch (n.fn) {
        case "add":
          return add(a!, b!);
        case "subtract":
          return sub(a!, b!);
        case "multiply":
          return mul(a!, b!);
        case "divide":
          if (b!.n === 0n) throw new NotRational();
          return make(a!.n * b!.d, a!.d * b!.n);
        case "pow":
          return power(a!, b!);
        default:
          throw new NotRational();
      }
    }
    default:
      throw new NotRational();
  }
}

/**
 * The exact value of a (mathjs-syntax) expression: a Rational, "big" when it is rational but too large to compute,
 * or null when it is not a rational expression (or does not parse).
 */
export function exactValue(expression: string): Rational | "big" | null {
  let node: MathNode;
  try {
    node = bigMath.parse(expression);
  } catch {
    return null;
  }
  try {
    return value(node);
  } catch (e) {
    if (e instanceof TooBig) return "big";
    return null;
  }
}

const LITERAL = /(?<![\w.])(\d+\.?\d*|\.\d+)(?:e([-+]?\d+))?(?![\w.])/gi;

/** Whether an expression has a decimal literal: a point ("2.5", "3.") or a negative exponent ("5e-3"). */
export function hasDecimalLiteral(expression: string): boolean {
  for (const m of expression.matchAll(LITERAL)) if (m[1]!.includes(".") || Number(m[2] ?? 0) < 0) return true;
  return false;
}

/**
 * When the whole expression is one decimal literal (optionally signed), half a unit in its last written place
 * ("2.50" → 0.005, "1.5e9" → 5e7); null otherwise. A decimal means every value that rounds to it.
 */
export function halfLastPlace(expression: string): Rational | null {
  const m = /^[-+]?\s*(\d*)\.(\d*)(?:e([-+]?\d+))?$|^[-+]?\s*\d+e(-\d+)$/i.exec(expression.trim());
  if (!m) return null;
  const exp = m[4] !== undefined ? Number(m[4]) : Number(m[3] ?? 0) - (m[2] ?? "").length;
  return parseDecimal(`5e${exp - 1}`);
}
