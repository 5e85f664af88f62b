import type { RouterComparison, RouterRow } from "./evaluate.js";
import type { Stat } from "./metrics.js";

/**
 * Results tables: plain text for the terminal, markdown for BENCHMARKS.md and the README. Every router side by
 * side; cost columns say "(estimated)" / "(simulated)" whenever the recorded costs are.
 */

export type TableFormat = "text" | "markdown";

export interface FormatOptions {
  format?: TableFormat;
  /** Digits after the point for accuracies and shares (default 3). */
  digits?: number;
}

/** USD with three significant figures, in plain decimal notation down to 1e-6. */
export function formatUsd(x: number): string {
  if (x === 0) return "0";
  if (Math.abs(x) >= 0.01) return x.toFixed(4);
  return Math.abs(x) >= 1e-6 ? x.toFixed(Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))))) : x.toPrecision(3);
}

/** A figure over seeds: the mean, and "± std" when there was more than one seed. */
export function formatStat(s: Stat, format: (x: number) => string): string {
  return s.n > 1 ? `${format(s.mean)} ± ${format(s.std)}` : format(s.mean);
}

/** The qualifier for costs: "(estimated)", "(simulated)", both, or "". */
export function costQualifier(flags: { costEstimated: boolean; simulated: boolean }): string {
  const q = [flags.costEstimated ? "estimated" : "", flags.simulated ? "simulated" : ""].filter(Boolean);
  return q.length > 0 ? `(${q.join(", ")})` : "";
}

/** Render a table of string cells; the first row is the header. Numeric columns (after the first) align right. */
export function renderTable(
  rows: ReadonlyArray<ReadonlyArray<string>>,
  format: TableFormat,
  rightAlign: ReadonlyArray<boolean> = [],
): string {
  const header = rows[0] ?? [];
  if (format === "markdown") {
    const esc = (c: string) => c.replace(/\|/g, "\\|");
    const lines = [
      `| ${header.map(esc).join(" | ")} |`,
      `|${header.map((_, i) => (rightAlign[i] ? "---:" : "---")).join("|")}|`,
    ];
    for (const r of rows.slice(1)) lines.push(`| ${r.map(esc).join(" | ")} |`);
    return `${lines.join("\n")}\n`;
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  const pad = (c: string, i: number) => {
    const fill = " ".repeat(widths[i]! - [...c].length);
    return rightAlign[i] ? fill + c : c + fill;
  };
  const line = (r: ReadonlyArray<string>) => r.map(pad).join("  ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of rows.slice(1)) out.push(line(r));
  return `${out.join("\n")}\n`;
}

const KIND_NOTE: Record<RouterRow["kind"], string> = {
  ours: "",
  baseline: "",
  bound: "bound",
  hindsight: "hindsight",
};

/** Queries routed to an agent with no record on them, over the seeds ("" for a row that never did). */
function missingCell(r: RouterRow): string {
  const m = r.missing;
  if (!m || m.max === 0) return "0";
  const count = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  return formatStat(m, count);
}

/** True when some router chose an agent with no record on a query. */
export function anyMissing(ev: RouterComparison): boolean {
  return ev.rows.some((r) => (r.missing?.max ?? 0) > 0);
}

/** True when the row made other than one call per query (a multi-step router) at some seed. */
export function isMultiStep(r: RouterRow): boolean {
  return r.callsPerQuery.min !== 1 || r.callsPerQuery.max !== 1;
}

/** True when some router made other than one call per query. */
export function anyMultiStep(ev: RouterComparison): boolean {
  return ev.rows.some(isMultiStep);
}

/** The share of queries answered after exactly 1, 2, … calls, mean over seeds, in whole percent: "62/30/8 %". */
export function acceptedShares(r: RouterRow): string {
  return `${r.acceptedAtStep.map((s) => Math.round(100 * s.mean)).join("/")} %`;
}

/** Calls per query, and for a multi-step row the shares answered at each call: "1.46 (62/30/8 %)". */
function callsCell(r: RouterRow): string {
  if (!isMultiStep(r)) return "1";
  return `${formatStat(r.callsPerQuery, (x) => x.toFixed(2))} (${acceptedShares(r)})`;
}

/**
 * The main comparison: one line per router (and per λ), every figure on the same test queries. When some router
 * chose an agent with no record on a query, a "missing" column gives each router's count of such queries (each
 * scored as a miss: score 0, cost 0). When some router is multi-step, a "calls/q" column gives each router's calls
 * per query and, for the multi-step ones, the shares of queries answered after 1, 2, … calls.
 */
export function formatResultsTable(ev: RouterComparison, opts: FormatOptions = {}): string {
  const format = opts.format ?? "text";
  const d = opts.digits ?? 3;
  const num = (x: number) => x.toFixed(d);
  const q = costQualifier(ev);
  const withMissing = anyMissing(ev);
  const withCalls = anyMultiStep(ev);
  const rows: string[][] = [
    [
      "router",
      "accuracy",
      `USD/query${q ? ` ${q}` : ""}`,
      ...(withCalls ? ["calls/q"] : []),
      "gap recovered",
      "top agent share",
      "most expensive share",
      "entropy",
      ...(withMissing ? ["missing"] : []),
      "note",
    ],
  ];
  for (const r of ev.rows) {
    const note = [KIND_NOTE[r.kind], r.note ?? "", r.seeds.length > 1 ? `${r.seeds.length} seeds` : ""]
      .filter(Boolean)
      .join("; ");
    rows.push([
      r.label,
      formatStat(r.accuracy, num),
      formatStat(r.meanCostUsd, formatUsd),
      ...(withCalls ? [callsCell(r)] : []),
      r.gapRecovered ? formatStat(r.gapRecovered, num) : "-",
      formatStat(r.topShare, num),
      formatStat(r.expensiveShare, num),
      formatStat(r.entropy, num),
      ...(withMissing ? [missingCell(r)] : []),
      note,
    ]);
  }
  return renderTable(rows, format, [
    false,
    true,
    true,
    ...(withCalls ? [true] : []),
    true,
    true,
    true,
    true,
    ...(withMissing ? [true] : []),
    false,
  ]);
}

/** Call shares per agent, one line per router; agents are numbered in the header, with a legend below. */
export function formatCallShares(ev: RouterComparison, opts: FormatOptions = {}): string {
  const format = opts.format ?? "text";
  const d = opts.digits ?? 3;
  const rows: string[][] = [["router", ...ev.pool.map((_, i) => `A${i + 1}`)]];
  for (const r of ev.rows) rows.push([r.label, ...ev.pool.map((a) => (r.shares[a] ?? 0).toFixed(d))]);
  const legend = ev.pool.map((a, i) => `A${i + 1} = ${a}`);
  return `${renderTable(rows, format, [false, ...ev.pool.map(() => true)])}\n${legend.join(format === "markdown" ? "; " : "\n")}\n`;
}

/** The whole evaluation as text or markdown: a header, the comparison, frontiers with AUC, call shares, notes. */
export function formatEvaluation(ev: RouterComparison, opts: FormatOptions = {}): string {
  const format = opts.format ?? "text";
  const q = costQualifier(ev);
  const h = (t: string) => (format === "markdown" ? `### ${t}\n\n` : `${t}\n\n`);
  const parts: string[] = [];
  parts.push(
    `${ev.queries} test queries, ${ev.trainQueries} train queries, pool of ${ev.pool.length} agents; ` +
      `best single agent (chosen on train) ${ev.bestSingle.agent} ${ev.bestSingle.accuracy.toFixed(3)}, ` +
      `per-query oracle ${ev.oracle.toFixed(3)}.\n` +
      `λ: ${ev.lambdas.join(", ")}; seeds: ${ev.seeds.join(", ")}; kNN k = ${ev.k}.\n`,
  );
  parts.push(h("Routers") + formatResultsTable(ev, opts));
  if (ev.frontiers.length > 0) {
    const rows: string[][] = [
      [
        "router",
        `frontier (λ: accuracy @ USD/query ${q})`.trim(),
        `AUC over [0, ${formatUsd(ev.aucRange.hi)}] USD ${q}`.trim(),
      ],
    ];
    for (const f of ev.frontiers)
      rows.push([
        f.label,
        f.frontier.map((p) => `${p.lambda}: ${p.accuracy.toFixed(3)} @ ${formatUsd(p.cost)}`).join("; "),
        f.auc.toFixed(3),
      ]);
    parts.push(h("Accuracy–cost frontiers over λ") + renderTable(rows, format, [false, false, true]));
  }
  parts.push(h("Call shares") + formatCallShares(ev, opts));
  const notes = [
    "gap recovered = (accuracy − best single) / (oracle − best single).",
    "entropy: of the agent-choice distribution, divided by ln(pool size).",
    "AUC: mean best accuracy attainable within a budget, over budgets uniform on the range (frontier step function).",
  ];
  if (anyMultiStep(ev))
    notes.push(
      "calls/q: calls per query (every call paid); for a multi-step router, in brackets, the shares of queries answered after 1, 2, … calls.",
    );
  notes.push(
    anyMissing(ev)
      ? "missing: test queries for which the router chose an agent with no record on them, each scored 0 at cost 0."
      : "missing records: none (every router's choice had a recorded outcome on every test query).",
  );
  if (ev.costEstimated) notes.push("Every USD figure is estimated: tokens or costs were not reported by the provider.");
  if (ev.simulated) notes.push("Every outcome and USD figure is simulated, not from real models.");
  parts.push(`${h("Notes") + notes.map((n) => (format === "markdown" ? `- ${n}` : `  ${n}`)).join("\n")}\n`);
  return parts.join("\n");
}
