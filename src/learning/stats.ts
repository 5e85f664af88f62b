import { chiSquareCdf } from "./jstat.js";

/**
 * Likelihood-ratio (G) tests over (fractional) outcome counts, with p-values from the chi-square distribution.
 * Counts may be fractional: a trace active on two skills with weights 0.6/0.4 adds 0.6 and 0.4 observations.
 */

export interface TestResult {
  /** The G statistic 2·Σ O·ln(O/E). */
  g: number;
  df: number;
  p: number;
}

const NONE: TestResult = Object.freeze({ g: 0, df: 0, p: 1 }) as TestResult;

/** G-test of independence on a rows × columns table; empty rows and columns are dropped. */
export function gTest(table: readonly (readonly number[])[]): TestResult {
  const rows = table.filter((r) => r.reduce((a, b) => a + b, 0) > 0);
  if (rows.length < 2) return NONE;
  const cols = rows[0]!.length;
  const colSums = new Array<number>(cols).fill(0);
  for (const r of rows)
    r.forEach((x, j) => {
      colSums[j]! += x;
    });
  const keepCols = colSums.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0);
  if (keepCols.length < 2) return NONE;
  const total = colSums.reduce((a, b) => a + b, 0);
  let g = 0;
  for (const r of rows) {
    const rowSum = keepCols.reduce((a, j) => a + r[j]!, 0);
    for (const j of keepCols) {
      const o = r[j]!;
      if (o <= 0) continue;
      const e = (rowSum * colSums[j]!) / total;
      g += o * Math.log(o / e);
    }
  }
  g = Math.max(0, 2 * g);
  const df = (rows.length - 1) * (keepCols.length - 1);
  return { g, df, p: chiSquareSurvival(g, df) };
}

/** P(X ≥ x) for X ~ χ²(df). */
export function chiSquareSurvival(x: number, df: number): number {
  if (df <= 0) return 1;
  if (!(x > 0)) return 1;
  return Math.min(1, Math.max(0, 1 - chiSquareCdf(x, df)));
}

/** Per-group, per-agent outcome counts: successes[g][a], failures[g][a]. */
export interface OutcomeTable {
  successes: number[][];
  failures: number[][];
}

/**
 * Do the agents' outcome profiles differ between groups? A G-test of group × agent independence on the success
 * counts plus one on the failure counts (statistics and degrees of freedom summed). Under the null, every agent's
 * share of a group's successes (and failures) is the same in every group: a group that is merely harder for
 * everyone is not "different"; one where the ranking of agents changes is.
 */
export function profileTest(t: OutcomeTable): TestResult {
  const a = gTest(t.successes);
  const b = gTest(t.failures);
  const df = a.df + b.df;
  if (df === 0) return NONE;
  const g = a.g + b.g;
  return { g, df, p: chiSquareSurvival(g, df) };
}

/** Per-agent 2×2 test (group × success/failure) between two groups; p-value per agent (NaN when untested). */
export function perAgentTests(
  a: { successes: number[]; failures: number[] },
  b: { successes: number[]; failures: number[] },
  minCount: number,
): { p: number[]; tested: number } {
  const p: number[] = [];
  let tested = 0;
  for (let j = 0; j < a.successes.length; j++) {
    const na = a.successes[j]! + a.failures[j]!;
    const nb = b.successes[j]! + b.failures[j]!;
    if (na < minCount || nb < minCount) {
      p.push(NaN);
      continue;
    }
    tested++;
    p.push(
      gTest([
        [a.successes[j]!, a.failures[j]!],
        [b.successes[j]!, b.failures[j]!],
      ]).p,
    );
  }
  return { p, tested };
}
