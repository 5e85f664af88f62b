import { resolve } from "node:path";
import { writeFileAtomic } from "../core/atomic.js";
import { savePool } from "../pool/load.js";
import type { Pool, Price } from "../pool/schema.js";
import { formatRecordLine } from "./io.js";
import type { ExecutionRecord } from "./schema.js";
import { formatSummary, summarize } from "./summary.js";

/** An agent found in imported data, with the price its pool entry gets. */
export interface ImportedAgent {
  /** Pool agent id (the model name, with characters a pool id does not allow replaced by "-"). */
  id: string;
  /** Agent name in the records (the source's model name). */
  recordedAs: string;
  /** Model name for the pool entry. */
  model: string;
  price: Price;
  /** How the price was obtained, when it is not simply the source's list price. */
  priceNote?: string;
}

/** What an importer produced from its source files (nothing written yet). */
export interface ImportResult {
  format: "llmrouter" | "routerbench";
  split?: string;
  /** Input rows read (score rows for llmrouter, CSV data rows for routerbench). */
  rows: number;
  records: ExecutionRecord[];
  agents: ImportedAgent[];
  /**
   * Rows whose source id repeats an earlier row's and that were kept under a new, stable id (`id#2`, `id#3`, …);
   * nothing is dropped for it.
   */
  repeatedIds: number;
  /** What was skipped and why; counts are of rows (llmrouter) or of (row, model) cells (routerbench). */
  skipped: { reason: string; count: number }[];
  /** Other facts the user should know (e.g. ambiguous joins), one line each. */
  notes: string[];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

/** A pool agent id for a source model name: unchanged when allowed, else invalid characters become "-". */
export function poolAgentId(name: string): string {
  if (ID_RE.test(name)) return name;
  const id = name.replace(/[^A-Za-z0-9._:/@-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return id === "" ? "agent" : id;
}

/** The replay pool for an import whose records live at `recordsPath`. */
export function importPool(result: ImportResult, recordsPath: string): Pool {
  return {
    version: 1,
    name: result.split ? `${result.format}-${result.split}` : result.format,
    agents: result.agents.map((a) => ({
      id: a.id,
      modes: ["answer"],
      provider: "replay",
      model: a.model,
      price: a.price,
      replay: { records: resolve(recordsPath), ...(a.recordedAs !== a.id ? { recordedAs: a.recordedAs } : {}) },
    })),
  };
}

/**
 * Write an import: the records file (atomically, one record per line), then the pool file pointing at it
 * (atomically; the replay path is stored relative to the pool file).
 */
export function writeImport(result: ImportResult, recordsPath: string, poolPath: string): void {
  writeFileAtomic(recordsPath, result.records.map(formatRecordLine).join(""));
  savePool(poolPath, importPool(result, recordsPath));
}

/** The summary printed after an import. */
export function formatImportReport(result: ImportResult): string {
  const s = summarize(result.records);
  const lines = [
    `import ${result.format}${result.split ? ` (split ${result.split})` : ""}: ${result.rows} rows read, ` +
      `${s.records} records, ${s.queries} queries, ${s.agents.length} agents, ${s.tasks.length} tasks`,
  ];
  const skippedTotal = result.skipped.reduce((n, x) => n + x.count, 0);
  lines.push(
    `repeated ids: ${result.repeatedIds === 0 ? "none" : `${result.repeatedIds} rows renamed id#2, id#3, … (none dropped)`}`,
  );
  lines.push(skippedTotal === 0 ? "skipped: none" : `skipped: ${skippedTotal}`);
  for (const x of result.skipped) if (x.count > 0) lines.push(`  ${x.count} ${x.reason}`);
  for (const a of result.agents) if (a.priceNote) lines.push(`price of ${a.id}: ${a.priceNote}`);
  for (const n of result.notes) lines.push(`note: ${n}`);
  return `${lines.join("\n")}\n\n${formatSummary(s)}`;
}
