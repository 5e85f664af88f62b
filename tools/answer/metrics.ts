/** The answer metrics, by name (a leaf module: reading a tasks file checks names without loading the scorers). */
export const METRICS = ["em", "f1", "containment", "mc", "math", "code_tests"] as const;
export type Metric = (typeof METRICS)[number];
/** The metrics scored synchronously, from text alone (code_tests runs a program and returns a Promise). */
export type TextMetric = Exclude<Metric, "code_tests">;
/** The metrics that score a final answer's text (what a tasks file may name). */
export const TEXT_METRICS: readonly TextMetric[] = METRICS.filter((m): m is TextMetric => m !== "code_tests");

export function isMetric(name: string): name is Metric {
  return (METRICS as readonly string[]).includes(name);
}
