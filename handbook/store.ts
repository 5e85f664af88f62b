import { readFileSync } from "node:fs";
import { InputError } from "../src/errors.js";
import { writeFileAtomic } from "../src/fs/atomic.js";
import { importReferenceHandbook, type ImportOptions, type ImportResult } from "./import-reference.js";
import type { Handbook } from "./schema.js";
import { validateHandbook } from "./validate.js";

/**
 * The only I/O of the handbook: versioned JSON files, written atomically (a crash leaves the old or the new file,
 * never a torn one) and validated on load (schema and referential integrity).
 */

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
  return validateHandbook(readJson(path), path);
}

/** Read a handbook file in the reference implementation's native format and convert it (see import-reference.ts). */
export function loadReferenceHandbook(path: string, opts: ImportOptions = {}): ImportResult {
  return importReferenceHandbook(readJson(path), path, opts);
}
