import { existsSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../src/core/errors.js";
import { writeFileAtomic, writeFileAtomicAsync } from "../src/core/atomic.js";
import { importReferenceHandbook, type ImportOptions, type ReferenceImport } from "./import-reference.js";
import type { Handbook } from "./schema.js";
import { checkHandbook, plainlyValidMemory, validateHandbook } from "./validate.js";
import { chooseFor, type Choice, type ServableSelection } from "./serve.js";
import { processAlive } from "../src/core/process.js";

/**
 * The only I/O of the handbook: versioned JSON files, written atomically (a crash leaves the old or the new file,
 * never a torn one) and validated on load (schema and referential integrity). A killed save can leave its temp
 * file beside the target: the next save or load of that target removes the stale ones (see removeStaleTemps).
 */

/**
 * How old a temp file of a handbook may be before it is stale whoever wrote it. A save writes and renames its temp
 * file within a second or so; ten minutes also covers a slow disk, and bounds what a reused pid could keep alive.
 */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * Remove the stale temp files of a handbook file: those writeFileAtomic left beside it (`.NAME.PID.MS.tmp`) when a
 * save was killed between writing its temp file and renaming it over the target. A temp file is stale when its
 * writer's pid is not a live process, or when it was started more than STALE_TEMP_MS ago (a live pid by then is
 * taken to be reused). A temp file of a live writer still within that time is left alone: it may be a save under
 * way in another process. Only this target's temp files are touched. Best effort: a directory that cannot be
 * listed, or a file already gone, is skipped. Returns the paths removed.
 */
export function removeStaleTemps(path: string, now: number = Date.now()): string[] {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const m = /^(\d+)\.(\d+)\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    const started = Number(m[2]);
    if (processAlive(pid) && now - started <= STALE_TEMP_MS) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      // removed by another process meanwhile, or not ours to remove
    }
  }
  return removed;
}

/**
 * Save a handbook: bumps `metadata.handbookVersion`, sets `metadata.updatedAt`, validates, and writes the file
 * atomically. Returns the handbook as saved (the input is not modified).
 */
export function saveHandbook(path: string, h: Handbook, now: string = new Date().toISOString()): Handbook {
  const saved = nextVersion(path, h, now);
  removeStaleTemps(path);
  writeFileAtomic(path, jsonBytes(saved));
  return saved;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: $: invalid JSON: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** Load and validate a handbook file; errors are one line: `path: $.json.path: message`. */
export function loadHandbook(path: string): Handbook {
  removeStaleTemps(path);
  return validateHandbook(readJson(path), path);
}

/** Read a handbook file in the reference implementation's native format and convert it (see import-reference.ts). */
export function loadReferenceHandbook(path: string, opts: ImportOptions = {}): ReferenceImport {
  return importReferenceHandbook(readJson(path), path, opts);
}

/**
 * A learned selection as the orchestrator uses it: the candidates' validation curves and their deployed handbooks,
 * so a run's λ or budget picks its candidate (and, for a budget, the λ that meets it on validation).
 */
export interface LoadedSelection {
  path: string;
  selection: ServableSelection & { kind?: string };
  handbooks: Map<string, Handbook>;
}

/** Read `H.selection.json` and every candidate handbook it names (paths relative to it). One-line errors. */
export function loadSelection(path: string): LoadedSelection {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(
      `${path}: cannot read the selection: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const sel = raw as Partial<ServableSelection> & { kind?: string };
  if (sel.kind !== "skillorchestra.learning.selection")
    throw new InputError(`${path}: $.kind: not a selection file (want "skillorchestra.learning.selection")`);
  if (!Array.isArray(sel.candidates) || sel.candidates.length === 0)
    throw new InputError(`${path}: $.candidates: missing or empty`);
  const handbooks = new Map<string, Handbook>();
  sel.candidates.forEach((c, i) => {
    if (typeof c?.id !== "string") throw new InputError(`${path}: $.candidates[${i}].id: missing`);
    if (c.deployed === false) return;
    if (typeof c.file !== "string")
      throw new InputError(
        `${path}: $.candidates[${i}].file: missing (a selection written before candidates were saved: learn again)`,
      );
    const file = resolve(dirname(path), c.file);
    if (!existsSync(file)) throw new InputError(`${path}: $.candidates[${i}].file: ${c.file} does not exist`);
    handbooks.set(c.id, loadHandbook(file));
  });
  return { path, selection: sel as ServableSelection, handbooks };
}

/** The selection file of a learned handbook: the one its metadata names, else `H.selection.json` beside it. */
export function selectionPathOf(handbookPath: string, h: Handbook): string | undefined {
  const named = (h.metadata.learning.selection as { file?: unknown } | undefined)?.file;
  const candidates = [
    ...(typeof named === "string" ? [resolve(dirname(handbookPath), named)] : []),
    `${handbookPath.replace(/\.json$/i, "")}.selection.json`,
  ];
  return candidates.find((p) => existsSync(p));
}

/** The handbook (and λ) that serves a run: by budget when one is given, else by λ. */
export function servingChoice(
  s: LoadedSelection,
  want: { lambda: number; budgetUsd?: number },
): Choice & { handbook: Handbook } {
  const c = chooseFor(
    s.selection,
    want.budgetUsd !== undefined ? { budgetUsd: want.budgetUsd } : { lambda: want.lambda },
  );
  const handbook = s.handbooks.get(c.candidate);
  if (!handbook) throw new InputError(`${s.path}: $.candidates: no handbook for candidate ${c.candidate}`);
  return { ...c, handbook };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON files as JSON.stringify(value, null, 2) writes them, encoded piece by piece into one reused buffer.

/** `h` as saveHandbook saves it: the next version, stamped `now`, checked. */
function nextVersion(path: string, h: Handbook, now: string): Handbook {
  const saved: Handbook = {
    ...h,
    metadata: { ...h.metadata, handbookVersion: h.metadata.handbookVersion + 1, updatedAt: now },
  };
  checkHandbook(saved, path);
  return saved;
}

/** Files a WriteBehind has in flight at most (each in a buffer of its own, reused). */
const WRITE_SLOTS = 2;

/**
 * Saves of many files whose writes run behind the caller (writeFileAtomicAsync): each save checks its handbook at
 * once (a bad one throws there) and encodes it on this thread when a slot is free; the kernel's copy and the fsyncs
 * then run on libuv's threads while the caller goes on computing. At most WRITE_SLOTS files are in flight, one write
 * per path at a time (a second waits for the first); each file is atomic as with saveHandbook. `flush` waits for
 * every write and rethrows the first failure: call it before relying on the files.
 */
export class WriteBehind {
  private readonly slots: { buf: Buffer; busy: Promise<void> }[] = [];
  private next = 0;
  private failure: unknown;
  private readonly writing = new Map<string, Promise<void>>();

  /** saveHandbook, written behind. Resolves (with the handbook as saved) once its bytes are queued. */
  async saveHandbook(path: string, h: Handbook, now: string = new Date().toISOString()): Promise<Handbook> {
    const saved = nextVersion(path, h, now);
    removeStaleTemps(path);
    await this.write(path, () => jsonBytes(saved));
    return saved;
  }

  /** `JSON.stringify(data, null, 2)` and a newline, written behind. */
  async writeJson(path: string, data: unknown): Promise<void> {
    await this.write(path, () => jsonBytes(data));
  }

  /** Wait for every write started; throws the first that failed. */
  async flush(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.busy));
    if (this.failure) throw this.failure;
  }

  /** Encode (when a slot is free, and copy out of the encoder's buffer at once) and start the write. */
  private async write(path: string, encode: () => Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    const i = this.next++ % WRITE_SLOTS;
    const slot = (this.slots[i] ??= { buf: Buffer.allocUnsafe(0), busy: Promise.resolve() });
    await slot.busy;
    await this.writing.get(path);
    if (this.failure) throw this.failure;
    const bytes = encode();
    if (slot.buf.length < bytes.length) slot.buf = Buffer.allocUnsafe(Math.max(bytes.length, 2 * slot.buf.length));
    slot.buf.set(bytes);
    const done = writeFileAtomicAsync(path, slot.buf.subarray(0, bytes.length))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        if (this.writing.get(path) === done) this.writing.delete(path);
      });
    this.writing.set(path, done);
    slot.busy = done;
  }
}

/**
 * Where JSON files are encoded: grown as needed and kept, so writing a large file touches memory already mapped
 * (on some hosts a first touch of fresh pages costs more than the encoding).
 */
let scratch = Buffer.allocUnsafe(0);
let used = 0;

function put(s: string): void {
  const need = used + 3 * s.length;
  if (need > scratch.length) {
    const grown = Buffer.allocUnsafe(Math.max(need, 2 * scratch.length, 1 << 16));
    scratch.copy(grown, 0, 0, used);
    scratch = grown;
  }
  used += scratch.write(s, used, "utf8");
}

function putBytes(b: Uint8Array): void {
  if (used + b.length > scratch.length) {
    const grown = Buffer.allocUnsafe(Math.max(used + b.length, 2 * scratch.length, 1 << 16));
    scratch.copy(grown, 0, 0, used);
    scratch = grown;
  }
  scratch.set(b, used);
  used += b.length;
}

/** Containers at least this deep are written whole (JSON.stringify of the value); shallower ones piece by piece. */
const PIECE_DEPTH = 3;
/** Leaf elements of an array written by one JSON.stringify call. */
const BATCH = 32;

const indents: string[] = [];
const ind = (level: number) => (indents[level] ??= "  ".repeat(level));

function plainContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) return proto === Array.prototype && typeof (v as { toJSON?: unknown }).toJSON !== "function";
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== "function";
}

/** JSON.stringify(x, null, 2) of x wrapped in `depth` arrays: x's own text then sits at `depth`. */
function wrapped(x: unknown, depth: number): string {
  let w = x;
  for (let l = 0; l < depth; l++) w = [w];
  return JSON.stringify(w, null, 2);
}

/** The text of a value as an element at `depth` (its first line unindented): `depth` wrapping arrays cut off. */
function elementText(v: unknown, depth: number): string {
  const s = wrapped(v, depth);
  const cut = depth * depth + depth;
  return s.slice(cut + 2 * depth, s.length - cut);
}

/** Write a value as JSON.stringify(…, null, 2) renders it nested at `depth` (its first line unindented). */
function putValue(v: unknown, depth: number): void {
  if (!plainContainer(v)) {
    put(elementText(v, depth));
    return;
  }
  if (depth >= PIECE_DEPTH) {
    put(elementText(v, depth));
    return;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      put("[]");
      return;
    }
    put("[\n");
    // Elements that are written whole go BATCH at a time: the batch array at `depth`, its elements one deeper.
    const whole = depth + 1 >= PIECE_DEPTH;
    for (let i = 0; i < v.length; ) {
      if (i > 0) put(",\n");
      if (whole) {
        const batch = v.slice(i, i + BATCH);
        const s = wrapped(batch, depth);
        const cut = (depth + 1) * (depth + 2);
        put(s.slice(cut, s.length - cut));
        i += batch.length;
      } else {
        put(ind(depth + 1));
        putValue(v[i], depth + 1);
        i++;
      }
    }
    put(`\n${ind(depth)}]`);
    return;
  }
  let first = true;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
    if (x !== null && typeof x === "object" && typeof (x as { toJSON?: unknown }).toJSON === "function") {
      // toJSON is called with the property's key: keep it (an object around the one property).
      const s = wrapped({ [k]: x }, depth);
      const cut = (depth + 1) * (depth + 2);
      put(first ? "{\n" : ",\n");
      put(s.slice(cut, s.length - cut));
      first = false;
      continue;
    }
    put(first ? "{\n" : ",\n");
    first = false;
    put(`${ind(depth + 1)}${JSON.stringify(k)}: `);
    if (depth === 0 && k === "memory" && plainlyValidMemory(x)) putMemory(x as Memory, depth + 1);
    else putValue(x, depth + 1);
  }
  put(first ? "{}" : `\n${ind(depth)}}`);
}

type Memory = Record<string, { skills: string[]; idx: number[]; val: number[]; outcomes: Record<string, number> }[]>;

/**
 * The bytes of a neighbours memory's frozen parts (its points' vectors and scores, shared by every candidate
 * profiled on the same queries: memoryPoint freezes them), per object and depth; and of its skill lists, by content.
 * Frozen objects cannot change, so each is encoded once.
 */
const frozenBytes = new WeakMap<object, Uint8Array[]>();
/** A memory point's bytes after its skills (idx, val, outcomes, the closing brace), per frozen val array. */
const pointTails = new WeakMap<object, { depth: number; idx: object; outcomes: object; bytes: Uint8Array }>();
const skillListBytes = new Map<string, Uint8Array>();
const SKILL_LISTS_MAX = 10_000;
const constants = new Map<string, Uint8Array>();

function constant(s: string): Uint8Array {
  let b = constants.get(s);
  if (!b) constants.set(s, (b = Buffer.from(s, "utf8")));
  return b;
}

function leafBytes(v: object, depth: number): Uint8Array {
  if (!Object.isFrozen(v)) return Buffer.from(elementText(v, depth), "utf8");
  let byDepth = frozenBytes.get(v);
  if (!byDepth) frozenBytes.set(v, (byDepth = []));
  return (byDepth[depth] ??= Buffer.from(elementText(v, depth), "utf8"));
}

function skillsBytes(skills: readonly string[], depth: number): Uint8Array {
  const key = `${depth}\u0000${skills.join("\u0000")}`;
  let b = skillListBytes.get(key);
  if (!b) {
    if (skillListBytes.size >= SKILL_LISTS_MAX) skillListBytes.clear();
    skillListBytes.set(key, (b = Buffer.from(elementText(skills, depth), "utf8")));
  }
  return b;
}

/**
 * A plainly valid memory (plainlyValidMemory: modes to arrays of points with exactly the keys skills, idx, val,
 * outcomes, in that order, all plain) at `depth`, as JSON.stringify(…, null, 2) renders it.
 */
function putMemory(memory: Memory, depth: number): void {
  const modes = Object.keys(memory);
  if (modes.length === 0) {
    put("{}");
    return;
  }
  const d = depth + 2;
  const open = constant(`{\n${ind(d + 1)}"skills": `);
  const idx = constant(`,\n${ind(d + 1)}"idx": `);
  const val = constant(`,\n${ind(d + 1)}"val": `);
  const outcomes = constant(`,\n${ind(d + 1)}"outcomes": `);
  const close = constant(`\n${ind(d)}}`);
  const first = constant(`\n${ind(d)}`);
  const next = constant(`,\n${ind(d)}`);
  put("{");
  modes.forEach((mode, m) => {
    put(`${m > 0 ? "," : ""}\n${ind(depth + 1)}${JSON.stringify(mode)}: `);
    const points = memory[mode]!;
    if (points.length === 0) {
      put("[]");
      return;
    }
    put("[");
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      putBytes(i > 0 ? next : first);
      putBytes(open);
      putBytes(skillsBytes(p.skills, d + 1));
      // A point's vector and scores are the same objects in every candidate: their bytes (with the keys between
      // them) are kept per val array, with the idx array and scores they were made with.
      const tail = Object.isFrozen(p.val) ? pointTails.get(p.val) : undefined;
      if (tail && tail.depth === d && tail.idx === p.idx && tail.outcomes === p.outcomes) {
        putBytes(tail.bytes);
        continue;
      }
      const from = used;
      putBytes(idx);
      putBytes(leafBytes(p.idx, d + 1));
      putBytes(val);
      putBytes(leafBytes(p.val, d + 1));
      putBytes(outcomes);
      putBytes(leafBytes(p.outcomes, d + 1));
      putBytes(close);
      if (Object.isFrozen(p.val) && Object.isFrozen(p.idx) && Object.isFrozen(p.outcomes))
        pointTails.set(p.val, {
          depth: d,
          idx: p.idx,
          outcomes: p.outcomes,
          bytes: Buffer.from(scratch.subarray(from, used)),
        });
    }
    put(`\n${ind(depth + 1)}]`);
  });
  put(`\n${ind(depth)}}`);
}

/**
 * `${JSON.stringify(value, null, 2)}\n` as UTF-8 bytes, the same bytes, encoded piece by piece into a reused
 * buffer. The result is a view of that buffer: valid until the next call.
 */
export function jsonBytes(value: unknown): Uint8Array {
  used = 0;
  if (!plainContainer(value)) put(JSON.stringify(value, null, 2) ?? "undefined");
  else putValue(value, 0);
  put("\n");
  return scratch.subarray(0, used);
}
