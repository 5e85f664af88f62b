import { appendFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { BaseStore } from "@langchain/langgraph";
import { Command } from "commander";
import { drift, foldObservations, type ForgetOptions, type Observation } from "../../handbook/online.js";
import { saveHandbook } from "../../handbook/store.js";
import { writeFileAtomic } from "../core/atomic.js";
import { InputError } from "../core/errors.js";
import { gate, type GateResult } from "../eval/gate.js";
import { renderReport } from "../eval/report-html.js";
import { loadPool } from "../pool/load.js";
import { loadRecords } from "../records/io.js";
import type { ExecutionRecord } from "../records/schema.js";
import { observationsOf } from "../records/observations.js";
import { FileRunRecords, recordsStoreName, StoreRunRecords } from "../records/run-sink.js";
import {
  checkName,
  listVersions,
  publicationSha256,
  publishHandbook,
  resolveVersion,
  versionLabel,
  versionName,
  type ResolvedVersion,
} from "../registry/handbooks.js";
import { DEFAULT_STORE_FILE, type OpenStore, openStore, STORE_ENV, storeTarget } from "../registry/open.js";

/**
 * `skillorchestra update`: fold production outcomes (run records) into the served version of a published handbook,
 * gate the result on held-back replay records, and publish it as the next version only if the gate passes.
 *
 * Nothing is folded twice: the observation keys folded into each version are kept in the store beside it (namespace
 * ["skillorchestra", "updates", NAME], item `vN`: the version it was folded from, the keys, the sha256 of what is
 * published), written BEFORE the version is published. An update folds into the served version only the
 * observations whose keys that version's item does not hold. So a crash before the publish leaves the served
 * version serving and its own keys unchanged, and a rerun folds the same observations into the same base (and
 * writes the same item again); a crash after it leaves the new version serving with its keys.
 */

export const UPDATES_NAMESPACE = ["skillorchestra", "updates"] as const;
const KEYS_KIND = "skillorchestra.update.keys";
/** Exit code when the gate keeps the new version unpublished (bad input is 2, as for every command). */
export const GATE_REFUSED_EXIT = 3;
/** Test hook: after the keys item is written and before the publish, create this file and wait (to be killed). */
export const PAUSE_ENV = "SKILLORCHESTRA_UPDATE_PAUSE_FILE";

interface KeysItem {
  kind: typeof KEYS_KIND;
  name: string;
  /** The version these keys belong to, the version it was folded from (absent: none), and its content's sha256. */
  version: number;
  base?: number;
  sha256: string;
  keys: string[];
  at: string;
}

export interface UpdateFlags {
  name: string;
  records: string;
  store?: string;
  halfLifeRecords?: string;
  halfLifeDays?: string;
  gateRecords?: string;
  pool?: string;
  lambda?: string;
  tolerance?: string;
  dryRun?: boolean;
  log?: string;
  drift?: string;
  report?: string;
  json?: boolean;
}

const shown = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r : p;
};

function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(v.trim() !== "" && Number.isFinite(x) && x > 0))
    throw new InputError(`${flag}: must be a number > 0, got "${v}"`);
  return x;
}

function nonNegative(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(v.trim() !== "" && Number.isFinite(x) && x >= 0))
    throw new InputError(`${flag}: must be a number >= 0, got "${v}"`);
  return x;
}

function readableFile(path: string, flag: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new InputError(`${flag}: ${path}: no such file`);
  if (!statSync(p).isFile()) throw new InputError(`${flag}: ${path}: not a file`);
  return p;
}

/** Every flag checked, before any store is opened or record read. */
export interface CheckedUpdate {
  name: string;
  records: { kind: "file"; path: string } | { kind: "store"; name: string };
  forget?: ForgetOptions;
  gate?: { records: string; pool: string; lambda: number; tolerance: number };
  dryRun: boolean;
  log: string;
  top: number;
  /** The HTML report to write (drift and the new handbook), when asked. */
  report?: string;
}

export function checkUpdateFlags(f: UpdateFlags, env: Record<string, string | undefined> = process.env): CheckedUpdate {
  const name = checkName(f.name);
  const storeName = recordsStoreName(f.records, "--records");
  const records =
    storeName !== undefined
      ? { kind: "store" as const, name: storeName }
      : { kind: "file" as const, path: readableFile(f.records, "--records") };
  if (f.halfLifeRecords !== undefined && f.halfLifeDays !== undefined)
    throw new InputError("--half-life-records: give it or --half-life-days, not both");
  const halfLifeRecords = positive(f.halfLifeRecords, "--half-life-records");
  const halfLifeDays = positive(f.halfLifeDays, "--half-life-days");
  const forget =
    halfLifeRecords !== undefined ? { halfLifeRecords } : halfLifeDays !== undefined ? { halfLifeDays } : undefined;
  let g: CheckedUpdate["gate"];
  if (f.gateRecords !== undefined) {
    const held = readableFile(f.gateRecords, "--gate-records");
    if (f.pool === undefined) throw new InputError("--pool: the gate needs the pool serving now (--gate-records)");
    const pool = readableFile(f.pool, "--pool");
    const lambda = nonNegative(f.lambda, "--lambda");
    if (lambda === undefined) throw new InputError("--lambda: the gate needs λ (--gate-records)");
    const tolerance = nonNegative(f.tolerance, "--tolerance");
    if (tolerance === undefined) throw new InputError("--tolerance: the gate needs a tolerance (--gate-records)");
    g = { records: held, pool, lambda, tolerance };
  } else
    for (const flag of ["pool", "lambda", "tolerance"] as const)
      if (f[flag] !== undefined) throw new InputError(`--${flag}: only with --gate-records`);
  const top = f.drift === undefined ? 5 : Number(f.drift);
  if (!(Number.isInteger(top) && top >= 0))
    throw new InputError(`--drift: must be a whole number >= 0, got "${f.drift}"`);
  // The log lives beside the store file, else beside the records file, else in .skillorchestra/.
  const target = storeTarget(f.store, env);
  const logDir =
    target.kind === "file"
      ? dirname(target.target)
      : records.kind === "file"
        ? dirname(records.path)
        : resolve(dirname(DEFAULT_STORE_FILE));
  const log = f.log !== undefined ? resolve(f.log) : join(logDir, "update-log.jsonl");
  return {
    name,
    records,
    ...(forget ? { forget } : {}),
    ...(g ? { gate: g } : {}),
    dryRun: f.dryRun === true,
    log,
    top,
    ...(f.report !== undefined ? { report: reportPath(f.report) } : {}),
  };
}

function reportPath(v: string): string {
  if (v.trim() === "") throw new InputError("--report: give the HTML file to write");
  const p = resolve(v);
  if (existsSync(p) && statSync(p).isDirectory()) throw new InputError(`--report: ${v} is a directory`);
  return p;
}

const keysNamespace = (name: string) => [...UPDATES_NAMESPACE, name];

/** The keys folded into a version: its keys item when it belongs to that content (else none: published by hand). */
async function keysOf(store: BaseStore, served: ResolvedVersion): Promise<string[]> {
  const item = await store.get(keysNamespace(served.name), versionLabel(served.version));
  const v = item?.value as Partial<KeysItem> | undefined;
  if (!v || v.kind !== KEYS_KIND || v.sha256 !== served.sha256 || !Array.isArray(v.keys)) return [];
  return v.keys;
}

function appendLog(path: string, entry: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  // One whole line per update, appended (the log is never rewritten).
  appendFileSync(path, `${JSON.stringify(entry)}\n`);
}

const f4 = (x: number) => x.toFixed(4);

/** Drift rows in the HTML report (at least; more when --drift asks for more). */
const REPORT_DRIFT_ROWS = 50;

function gateFigures(g: GateResult | undefined): string {
  if (!g) return "gate: not run (no --gate-records)";
  return (
    `gate ${g.pass ? "passed" : "failed"}: utility ${f4(g.next.utility)} against ${f4(g.current.utility)} ` +
    `(drop ${f4(g.drop)}, tolerance ${g.tolerance}) on ${g.points} held-back points at λ=${g.lambda}` +
    (g.costEstimated ? " (cost estimated)" : "")
  );
}

/** Run an update; returns the exit code (0 published or nothing to do, GATE_REFUSED_EXIT kept unpublished). */
export async function runUpdate(
  f: UpdateFlags,
  io: { out?: (t: string) => void; env?: Record<string, string | undefined> } = {},
): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const env = io.env ?? process.env;
  const c = checkUpdateFlags(f, env);
  const held = c.gate ? await loadRecords(c.gate.records) : undefined;
  const poolIds = c.gate ? loadPool(c.gate.pool).agents.map((a) => a.id) : undefined;
  if (held && held.length === 0) throw new InputError(`--gate-records: ${shown(c.gate!.records)}: no records`);
  const s = await openStore(f.store, env);
  try {
    // From reading the served version to publishing the next, no other update or publish of the name runs.
    return await s.exclusive(c.name, () => foldAndPublish(c, s, held, poolIds, out, env[PAUSE_ENV]));
  } finally {
    await s.close();
  }
}

async function foldAndPublish(
  c: CheckedUpdate,
  s: OpenStore,
  held: ExecutionRecord[] | undefined,
  poolIds: string[] | undefined,
  out: (t: string) => void,
  /** Tests only: a file to write once the keys are stored, then wait there forever (to be killed). */
  pause: string | undefined,
): Promise<number> {
  const served = await resolveVersion(s.store, c.name, "current");
  const sink =
    c.records.kind === "store" ? new StoreRunRecords(s.store, c.records.name) : new FileRunRecords(c.records.path);
  const read = await sink.read();
  const set = observationsOf(read);
  const seenKeys = await keysOf(s.store, served);
  const seen = new Set(seenKeys);
  const now = new Date().toISOString();
  const r = foldObservations(served.handbook, set.observations as Observation[], {
    seen,
    ...(c.forget ? { forget: { ...c.forget, now } } : {}),
  });
  const already = r.skipped.filter((x) => x.reason === "already folded").length;
  const bad = r.skipped.length - already;
  const counts =
    `${r.applied - r.costOnly} scored + ${r.costOnly} cost-only observation(s) folded, ${bad} skipped, ` +
    `${already} already folded (from ${read.steps.length} step(s) and ${read.outcomes.length} outcome(s) in ${c.records.kind === "store" ? sink.where : shown(sink.where)}` +
    `${set.orphans.length ? `; ${set.orphans.length} outcome(s) for unknown steps left out` : ""})`;
  const rows = drift(served.handbook, r.handbook, c.top);
  const driftLines = rows.map(
    (d) =>
      `  drift ${d.agent} ${d.skill}: ${f4(d.before)} → ${f4(d.after)} (${d.delta >= 0 ? "+" : ""}${f4(d.delta)}; evidence ${d.evidenceBefore.toFixed(2)} → ${d.evidenceAfter.toFixed(2)})`,
  );
  const base = {
    at: now,
    name: c.name,
    from: served.label,
    records: sink.where,
    applied: r.applied,
    costOnly: r.costOnly,
    skipped: bad,
    alreadyFolded: already,
  };
  const selectionNote = served.selection
    ? `; ${served.label}'s selection of ${served.selection.handbooks.size} candidate(s) is not carried over (the chosen handbook is published alone)`
    : "";
  if (r.applied === 0) {
    out(`${counts}; nothing new to fold: ${served.label} keeps serving\n`);
    appendLog(c.log, { ...base, result: "nothing to fold" });
    return 0;
  }
  const g = c.gate
    ? gate({
        current: served.handbook,
        next: r.handbook,
        records: held!,
        pool: poolIds!,
        lambda: c.gate.lambda,
        tolerance: c.gate.tolerance,
      })
    : undefined;
  const report = (to: string) => {
    if (!c.report) return "";
    mkdirSync(dirname(c.report), { recursive: true });
    const html = renderReport({
      title: `skillorchestra update: ${c.name}`,
      subtitle: `${served.label} → ${to}; records ${sink.where}`,
      generatedAt: now,
      handbook: r.handbook,
      drift: { from: served.label, to, rows: drift(served.handbook, r.handbook, Math.max(c.top, REPORT_DRIFT_ROWS)) },
    });
    writeFileAtomic(c.report, html);
    return `; report ${shown(c.report)}`;
  };
  const print = (tail: string, to: string) =>
    out(`${counts}; ${gateFigures(g)}; ${tail}${report(to)}\n${driftLines.join("\n")}${driftLines.length ? "\n" : ""}`);
  if (g && !g.pass && c.dryRun) {
    print(`dry run: the gate would keep it unpublished; ${served.label} keeps serving`, "dry run (kept unpublished)");
    return GATE_REFUSED_EXIT;
  }
  if (g && !g.pass) {
    const file = join(
      dirname(c.log),
      `update-${c.name}-from-${versionLabel(served.version)}-${now.replace(/[:.]/g, "-")}.json`,
    );
    mkdirSync(dirname(file), { recursive: true });
    saveHandbook(file, r.handbook, now);
    appendLog(c.log, { ...base, result: "kept unpublished", reason: g.reason, handbook: file, gate: g });
    print(
      `kept unpublished (${shown(file)}); ${served.label} keeps serving; logged to ${shown(c.log)}`,
      "kept unpublished",
    );
    return GATE_REFUSED_EXIT;
  }
  if (c.dryRun) {
    print(`dry run: nothing published, ${served.label} keeps serving`, "dry run");
    return 0;
  }
  const publication = { handbook: r.handbook, source: `update of ${served.label} with ${sink.where}` };
  const versions = (await listVersions(s.store, c.name)).versions;
  const sha256 = publicationSha256({ handbook: r.handbook });
  // A run killed after writing the version and before serving it left that version latest: publish serves it.
  const latest = versions.at(-1);
  const next = latest && latest.sha256 === sha256 ? latest.version : (latest?.version ?? 0) + 1;
  const item: KeysItem = {
    kind: KEYS_KIND,
    name: c.name,
    version: next,
    base: served.version,
    sha256,
    keys: [...seenKeys, ...r.folded],
    at: now,
  };
  // The keys first: a crash from here on leaves the served version serving, with its own keys.
  await s.store.put(keysNamespace(c.name), versionLabel(next), { ...item });
  if (pause) {
    writeFileAtomic(pause, `${process.pid}\n`);
    await new Promise(() => setInterval(() => {}, 60_000));
  }
  const p = await publishHandbook(s.store, c.name, publication, { now });
  if (p.version !== next || p.sha256 !== item.sha256)
    throw new Error(
      `store:${c.name}: published as ${versionLabel(p.version)}, not ${versionLabel(next)}: another publisher wrote at the same time; rerun the update`,
    );
  appendLog(c.log, {
    ...base,
    result: "published",
    version: versionName(c.name, p.version),
    ...(g ? { reason: g.reason, gate: g } : {}),
  });
  print(
    `published ${versionName(c.name, p.version)} (was ${served.label})${selectionNote}`,
    versionName(c.name, p.version),
  );
  return 0;
}

const STORE_HELP =
  `where the versions live: postgres://…, http(s)://… (a running LangGraph server's store), or a JSON file; ` +
  `default ${STORE_ENV.join(" or ")} when set, else ${DEFAULT_STORE_FILE}`;

export function updateCommand(): Command {
  return new Command("update")
    .description(
      "Fold production outcomes (run records) into the served version of a handbook, gate it, publish the next version",
    )
    .requiredOption("--name <name>", "the published handbook's name")
    .requiredOption("--records <file|store:NAME>", "the run records: a JSONL file, or store:NAME in the store")
    .option("--store <url>", STORE_HELP)
    .option("--half-life-records <n>", "forget: old evidence halves every N records of an agent in a mode")
    .option("--half-life-days <d>", "forget: old evidence halves every D days between an agent's records")
    .option("--gate-records <held.jsonl>", "held-back execution records to gate the new version on (replay)")
    .option("--pool <pool.json>", "the pool serving now (with --gate-records)")
    .option("--lambda <λ>", "the gate's price of cost (with --gate-records)")
    .option("--tolerance <t>", "utility the new version may lose and still pass (with --gate-records)")
    .option("--log <file>", "the update log (JSONL, appended); default update-log.jsonl beside the store file")
    .option("--drift <n>", "drift rows to print (default 5)")
    .option("--report <file.html>", "write an HTML report: the drift since the served version, and the new handbook")
    .option("--dry-run", "fold and gate, publish nothing")
    .action(async (flags: UpdateFlags) => {
      const code = await runUpdate(flags);
      if (code !== 0) process.exitCode = code;
    });
}
