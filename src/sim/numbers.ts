/**
 * The one way the world writes a number: whole numbers without a decimal point, others rounded to 2 decimals.
 * The world's programs print with the same rule (see PY_FMT), so a program's output and a gold answer compare as text.
 */
export function formatNumber(x: number): string {
  const r = Math.round(x * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** Python helper every program of the world starts with: prints like `formatNumber`. */
export const PY_FMT = [
  "def fmt(x):",
  "    x = round(x, 2)",
  "    return str(int(x)) if x == int(x) else str(x)",
  "",
].join("\n");
