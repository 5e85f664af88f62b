import { open, readFile, stat } from "node:fs/promises";
import type { BaseStore } from "@langchain/langgraph";
import { InputError } from "../core/errors.js";
import { withFileLock } from "../core/file-lock.js";
import {
  checkRunRecord,
  collectRunRecords,
  outcomeKey,
  parseRunRecords,
  RUN_OUTCOME_KIND,
  RUN_STEP_KIND,
  type OutcomeRecord,
  type RunRecord,
  type RunRecords,
  type StepRecord,
} from "./run-records.js";

/**
 * Where run records go: a JSONL file, or a LangGraph store (`store:NAME`: the items of the namespace
 * ["skillorchestra", "records", NAME]). Both are append-only: a record, once written, is never changed.
 */
export interface RunRecordsSink {
  /** For messages: the file, or `store:NAME`. */
  readonly where: string;
  /** Append a run's steps and outcomes (one thread). */
  appendRun(thread: string, records: readonly RunRecord[]): Promise<void>;
  /** Every step and outcome, each key once (the first written wins). */
  read(): Promise<RunRecords>;
  /**
   * Add one outcome unless one with its key (thread, step or run, source) is there: `check` sees the thread's steps
   * first (and throws to refuse). Never two with one key, whoever writes at the same time.
   */
  addOutcome(
    o: OutcomeRecord,
    check: (steps: StepRecord[]) => void,
  ): Promise<{ added: boolean; existing?: OutcomeRecord }>;
}

export const RECORDS_NAMESPACE = ["skillorchestra", "records"] as const;
/** The prefix of a `records` target that names a store's records: `store:NAME`. */
export const RECORDS_STORE_PREFIX = "store:";
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The name of a `store:NAME` records target, or undefined for a file; a malformed name is an InputError. */
export function recordsStoreName(target: string, where = "records"): string | undefined {
  if (!target.startsWith(RECORDS_STORE_PREFIX)) return undefined;
  const name = target.slice(RECORDS_STORE_PREFIX.length);
  if (!NAME.test(name))
    throw new InputError(`${where}: "${target}": want store:NAME (NAME of letters, digits, _ and -) or a JSONL path`);
  return name;
}

const lines = (records: readonly RunRecord[], where: string) =>
  records.map((r, i) => `${JSON.stringify(checkRunRecord(r, `${where} (record ${i + 1} to append)`))}\n`).join("");

/** Byte length of a file up to and including its last "\n" (a torn last line starts there). */
function committed(text: Buffer): number {
  return text.lastIndexOf(0x0a) + 1;
}

/** A run-records JSONL file. Appends hold `FILE.lock`, cut a torn last line off first, and write whole lines. */
export class FileRunRecords implements RunRecordsSink {
  constructor(readonly path: string) {}

  get where(): string {
    return this.path;
  }

  private async appendLocked(text: string): Promise<void> {
    const fh = await open(this.path, "a+");
    try {
      const { size } = await fh.stat();
      if (size > 0) {
        const tail = Buffer.alloc(Math.min(size, 1 << 20));
        await fh.read(tail, 0, tail.length, size - tail.length);
        if (tail[tail.length - 1] !== 0x0a) {
          // A writer was killed mid-line: that line was never committed. Cut it off before appending.
          const keep = committed(tail);
          if (keep === 0 && tail.length < size) {
            const whole = await readFile(this.path);
            await fh.truncate(committed(whole));
          } else await fh.truncate(size - tail.length + keep);
        }
      }
      const buf = Buffer.from(text, "utf8");
      const { bytesWritten } = await fh.write(buf, 0, buf.length);
      if (bytesWritten !== buf.length) throw new Error(`${this.path}: short write (${bytesWritten} of ${buf.length})`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async appendRun(_thread: string, records: readonly RunRecord[]): Promise<void> {
    if (records.length === 0) return;
    const text = lines(records, this.path);
    await withFileLock(this.path, () => this.appendLocked(text));
  }

  async read(): Promise<RunRecords> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new InputError(`${this.path}: no such run-records file`);
      throw new InputError(`${this.path}: cannot read the run-records file (${code ?? err})`);
    }
    return parseRunRecords(text, this.path);
  }

  async addOutcome(o: OutcomeRecord, check: (steps: StepRecord[]) => void) {
    await stat(this.path).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(
        err.code === "ENOENT"
          ? `${this.path}: no such run-records file`
          : `${this.path}: cannot read the run-records file (${err.code})`,
      );
    });
    const text = lines([o], this.path);
    return withFileLock(this.path, async () => {
      const all = await this.read();
      check(all.steps.filter((s) => s.thread === o.thread));
      const key = outcomeKey(o);
      const existing = all.outcomes.find((x) => outcomeKey(x) === key);
      if (existing) return { added: false, existing };
      await this.appendLocked(text);
      return { added: true };
    });
  }
}

const PAGE = 500;
const keyOf = (r: RunRecord) =>
  r.kind === RUN_STEP_KIND
    ? `step/${r.thread}/${r.step}`
    : `${RUN_OUTCOME_KIND}/${r.thread}/${r.step ?? "run"}/${r.source}`;

/**
 * Run records in a LangGraph store: one item per record, keyed by its identity (`step/THREAD/N`,
 * `outcome/THREAD/N|run/SOURCE`), so writing a record twice leaves one item, and a thread item
 * (`thread/THREAD`, written after its steps) that tells feedback the thread exists.
 */
export class StoreRunRecords implements RunRecordsSink {
  readonly namespace: string[];
  constructor(
    readonly store: BaseStore,
    readonly name: string,
  ) {
    if (!NAME.test(name)) throw new InputError(`store:${name}: not a records name (letters, digits, _ and -)`);
    this.namespace = [...RECORDS_NAMESPACE, name];
  }

  get where(): string {
    return `store:${this.name}`;
  }

  async appendRun(thread: string, records: readonly RunRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const [i, r] of records.entries()) checkRunRecord(r, `${this.where} (record ${i + 1} to append)`);
    for (const r of records) {
      const key = keyOf(r);
      // Append-only: a record already there (a node run again after a crash) is left as it was.
      if (!(await this.store.get(this.namespace, key))) await this.store.put(this.namespace, key, { ...r });
    }
    const steps = records.filter((r): r is StepRecord => r.kind === RUN_STEP_KIND).map((s) => s.step);
    await this.store.put(this.namespace, `thread/${thread}`, { thread, steps });
  }

  async read(): Promise<RunRecords> {
    const out: RunRecord[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const items = await this.store.search(this.namespace, { limit: PAGE, offset });
      for (const it of items) {
        if (it.key.startsWith("thread/")) continue;
        out.push(checkRunRecord(it.value, `${this.where}: item ${it.key}`));
      }
      if (items.length < PAGE) break;
    }
    // Items come back in the store's order: put them in the order they were made.
    out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return collectRunRecords(out);
  }

  async addOutcome(o: OutcomeRecord, check: (steps: StepRecord[]) => void) {
    const t = await this.store.get(this.namespace, `thread/${o.thread}`);
    const steps: StepRecord[] = [];
    for (const n of ((t?.value as { steps?: number[] } | undefined)?.steps ?? []) as number[]) {
      const s = await this.store.get(this.namespace, `step/${o.thread}/${n}`);
      if (s) steps.push(checkRunRecord(s.value, `${this.where}: item step/${o.thread}/${n}`) as StepRecord);
    }
    check(steps);
    const key = keyOf(o);
    const existing = await this.store.get(this.namespace, key);
    if (existing) return { added: false, existing: checkRunRecord(existing.value, key) as OutcomeRecord };
    await this.store.put(this.namespace, key, { ...checkRunRecord(o, this.where) });
    return { added: true };
  }
}
