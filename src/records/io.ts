import { open, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { InputError, parseOrThrow } from "../core/errors.js";
import { ExecutionRecordSchema, recordKey, type ExecutionRecord, type ExecutionRecordInput } from "./schema.js";

/**
 * Execution records are stored as JSONL: one JSON object per line, each line ending in "\n".
 * A line without its "\n" was never committed (see RecordWriter) and is called torn.
 */

/** Parse and validate one line of a records file; `source` is `path:LINE`. */
export function parseRecordLine(line: string, source: string): ExecutionRecord {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw new InputError(`${source}: invalid JSON: ${(err as Error).message}`);
  }
  return parseOrThrow(ExecutionRecordSchema, data, source);
}

/** One record as a line of the records file (with its trailing newline). */
export function formatRecordLine(record: ExecutionRecord): string {
  return `${JSON.stringify(record)}\n`;
}

async function endsWithNewline(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size === 0) return true;
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, size - 1);
    return buf[0] === 0x0a;
  } finally {
    await fh.close();
  }
}

function readError(path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  return new InputError(`${path}: cannot read records file${code ? ` (${code})` : ""}: ${(err as Error).message}`);
}

/** Bytes read per chunk while streaming a records file. */
const READ_CHUNK = 1 << 20;

/**
 * The lines of a file, streamed in chunks of bytes: each complete line (its "\n" and a "\r" before it cut off)
 * with its 1-based number, and last the bytes after the final "\n" (the file's last line when it has no newline).
 * Lines are split as bytes and decoded one by one, so an ASCII line stays a one-byte string whatever the rest of
 * the file holds (a decode of the whole file turns every character two-byte once one line has a non-ASCII one).
 */
async function* fileLines(path: string): AsyncGenerator<{ text: string; no: number }> {
  const fh = await open(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    let rest: Buffer = Buffer.alloc(0);
    let no = 0;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      const data = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
        const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
        yield { text: data.toString("utf8", start, end), no: ++no };
        start = nl + 1;
      }
      // The bytes after the last newline are copied: the next read overwrites the chunk.
      rest = Buffer.from(data.subarray(start));
    }
    if (rest.length > 0) yield { text: rest.toString("utf8"), no: ++no };
  } finally {
    await fh.close();
  }
}

/**
 * Stream the records of a JSONL file, validated one by one. Blank lines are skipped.
 * A bad line throws `InputError("path:LINE: $.field: message")`; so does a torn final line that does not parse.
 */
export async function* readRecords(path: string): AsyncGenerator<ExecutionRecord> {
  // Hold one line back so the final line is known to be final when it is parsed.
  let held: { text: string; no: number } | undefined;
  try {
    for await (const line of fileLines(path)) {
      if (held) yield parseRecordLine(held.text, `${path}:${held.no}`);
      held = line.text.trim() === "" ? undefined : line;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw readError(path, err);
  }
  if (!held) return;
  try {
    yield parseRecordLine(held.text, `${path}:${held.no}`);
  } catch (err) {
    if (err instanceof InputError && !(await endsWithNewline(path)))
      throw new InputError(`${err.message} (torn final line: no trailing newline)`);
    throw err;
  }
}

/** Read a whole records file into memory. */
export async function loadRecords(path: string): Promise<ExecutionRecord[]> {
  const out: ExecutionRecord[] = [];
  for await (const r of readRecords(path)) out.push(r);
  return out;
}

/** Thrown by RecordWriter.append for a record whose key (query, agent, mode, step) is already in the file. */
export class DuplicateRecordError extends Error {
  override readonly name = "DuplicateRecordError";
}

export interface RecordWriterOptions {
  /**
   * fsync after every `syncEvery` appends (default 1: every append is durable when its promise resolves).
   * With n > 1, a power loss or OS crash may lose up to n − 1 acknowledged records; a killed process loses none,
   * since each line is already handed to the kernel. `close()` always fsyncs.
   */
  syncEvery?: number;
  /** Keep the records already in the file (`existing`), read once with their keys, for callers that need them. */
  keepExisting?: boolean;
}

const TAIL_CHUNK = 64 * 1024;

/** Byte offset just past the last "\n" in the file (0 when there is none). */
async function committedLength(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(TAIL_CHUNK);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Append-only writer of a records file, resumable after a crash.
 *
 * Durability: each record is written as one full line by one `write` on an O_APPEND descriptor, then the file is
 * fsynced (every append by default; see `syncEvery`). When `append` resolves, the line is on disk. A crash during
 * a write can leave at most one torn final line (no "\n"); `open` removes it. Only one writer per file at a time.
 */
export class RecordWriter {
  private readonly keys: Set<string>;
  private readonly syncEvery: number;
  private unsynced = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    keys: Set<string>,
    syncEvery: number,
    /** The records in the file when it was opened (with `keepExisting`; else empty). */
    readonly existing: readonly ExecutionRecord[],
  ) {
    this.keys = keys;
    this.syncEvery = syncEvery;
  }

  /**
   * Open (or create) a records file for appending. An existing file is resumed: a torn final line is cut off
   * (kept, with its newline added, only when it is a complete valid record), then every complete line is validated
   * and its key loaded so callers can skip finished work with `has`. A bad complete line or a duplicated key in
   * the file throws an InputError naming the line.
   */
  static async open(path: string, options: RecordWriterOptions = {}): Promise<RecordWriter> {
    const syncEvery = options.syncEvery ?? 1;
    if (!Number.isInteger(syncEvery) || syncEvery < 1) throw new RangeError("syncEvery must be a positive integer");
    const existed = await stat(path).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return false;
        throw readError(path, err);
      },
    );
    if (existed) await repairTail(path);
    const keys = new Set<string>();
    const kept: ExecutionRecord[] = [];
    if (existed) {
      let n = 0;
      for await (const r of readRecords(path)) {
        n++;
        if (options.keepExisting) kept.push(r);
        const key = recordKey(r);
        if (keys.has(key))
          throw new InputError(
            `${path}: record ${n}: duplicate key (queryId ${r.queryId}, agent ${r.agent}, mode ${r.mode}, step ${r.step ?? "-"})`,
          );
        keys.add(key);
      }
    }
    const fh = await open(path, "a");
    if (!existed) {
      await fh.sync();
      await fsyncDir(dirname(path));
    }
    return new RecordWriter(path, fh, keys, syncEvery, kept);
  }

  /** Whether a record with this key (see `recordKey`) is already in the file or queued. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Number of records in the file, counting those already there when it was opened. */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Validate and append one record. Throws InputError for an invalid record and DuplicateRecordError for a key
   * already present. Appends are serialised in call order.
   */
  append(record: ExecutionRecordInput): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: record writer is closed`));
    if (this.failure) return Promise.reject(this.failure);
    let parsed: ExecutionRecord;
    try {
      parsed = parseOrThrow(ExecutionRecordSchema, record, `${this.path} (record to append)`);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = recordKey(parsed);
    if (this.keys.has(key))
      return Promise.reject(
        new DuplicateRecordError(
          `${this.path}: a record for queryId ${parsed.queryId}, agent ${parsed.agent}, mode ${parsed.mode}, step ${parsed.step ?? "-"} is already written`,
        ),
      );
    this.keys.add(key);
    const line = Buffer.from(formatRecordLine(parsed), "utf8");
    const run = this.chain.then(async () => {
      if (this.failure) throw this.failure;
      try {
        const { bytesWritten } = await this.fh.write(line, 0, line.length);
        // A regular file takes the whole buffer in one write; anything else is a failure, not a retry,
        // so that a line is never assembled from two writes.
        if (bytesWritten !== line.length) throw new Error(`short write (${bytesWritten} of ${line.length} bytes)`);
        if (++this.unsynced >= this.syncEvery) {
          await this.fh.datasync();
          this.unsynced = 0;
        }
      } catch (err) {
        this.failure = new Error(`${this.path}: append failed, writer stopped: ${(err as Error).message}`);
        throw this.failure;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Wait for pending appends, fsync and close. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    try {
      if (!this.failure) await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }
}

/** Cut a torn final line off a records file (or terminate it when it is a complete, valid record). */
async function repairTail(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    const { size } = await fh.stat();
    const keep = await committedLength(fh, size);
    if (keep === size) return;
    const tail = Buffer.alloc(size - keep);
    await fh.read(tail, 0, tail.length, keep);
    let valid = false;
    try {
      ExecutionRecordSchema.parse(JSON.parse(tail.toString("utf8")));
      valid = true;
    } catch {
      valid = false;
    }
    if (valid) await fh.write("\n", size);
    else await fh.truncate(keep);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
