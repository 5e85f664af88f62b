import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "../src/errors.js";
import { writeFileAtomic } from "../src/fs/atomic.js";
import { importReferenceHandbook, type ImportOptions, type ImportResult } from "./import-reference.js";
import type { Handbook } from "./schema.js";
import { validateHandbook } from "./validate.js";
import { processAlive } from "../src/fs/alive.js";

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
  const saved: Handbook = {
    ...h,
    metadata: { ...h.metadata, handbookVersion: h.metadata.handbookVersion + 1, updatedAt: now },
  };
  validateHandbook(saved, path);
  removeStaleTemps(path);
  writeFileAtomic(path, `${JSON.stringify(saved, null, 2)}\n`);
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
export function loadReferenceHandbook(path: string, opts: ImportOptions = {}): ImportResult {
  return importReferenceHandbook(readJson(path), path, opts);
}
