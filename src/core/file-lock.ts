import { randomUUID } from "node:crypto";
import { linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive } from "./process.js";

/**
 * A lock beside a file (`FILE.lock`), between processes of one host: created whole (a temp file hard-linked to its name), holding the owner's pid
 * and a token. A lock whose owner is dead (a process killed while it held it) is broken by the next taker: renamed
 * away, checked to be the stale one it read, then removed (a live owner's lock renamed by mistake is put back).
 */
export interface FileLockOptions {
  /** How long to wait for a live owner (default 60 s); then an Error naming the lock file. */
  waitMs?: number;
}

const POLL_MS = 5;

function readOwner(path: string): { pid: number; text: string } | undefined {
  try {
    const text = readFileSync(path, "utf8");
    const pid = Number(text.split(" ")[0]);
    return { pid, text };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Create the lock with its content in one step: a temp file beside it, hard-linked to the lock's name (EEXIST: held). */
function tryCreate(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const fd = openSync(tmp, "wx", 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Remove a lock whose owner is dead; true when it is gone (by us or another taker). */
function breakStale(path: string, seen: string): boolean {
  const aside = `${path}.stale.${randomUUID()}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw err;
  }
  const moved = readOwner(aside);
  if (moved && moved.text !== seen && processAlive(moved.pid)) {
    // Another taker's fresh lock, not the stale one: put it back where its owner expects it.
    try {
      linkSync(aside, path);
    } catch {
      // A third taker holds the lock now; the moved one's owner still finishes its short append.
    }
  }
  unlinkSync(aside);
  return true;
}

/** Run `f` holding the lock of `file`. */
export async function withFileLock<T>(file: string, f: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const path = `${file}.lock`;
  const content = `${process.pid} ${randomUUID()}\n`;
  const waitMs = opts.waitMs ?? 60_000;
  const started = Date.now();
  for (;;) {
    if (tryCreate(path, content)) break;
    const owner = readOwner(path);
    if (owner && !(owner.pid > 0 && processAlive(owner.pid))) {
      breakStale(path, owner.text);
      continue;
    }
    if (Date.now() - started > waitMs)
      throw new Error(`${path}: still locked by process ${owner?.pid ?? "?"} after ${waitMs} ms`);
    await sleep(POLL_MS);
  }
  try {
    return await f();
  } finally {
    if (readOwner(path)?.text === content) unlinkSync(path);
  }
}
