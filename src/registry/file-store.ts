import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { InMemoryStore, type Item, type Operation, type OperationResults } from "@langchain/langgraph";
import { writeFileAtomic } from "../core/atomic.js";
import { InputError } from "../core/errors.js";

/** The `kind` of a file store's JSON. */
export const FILE_STORE_KIND = "skillorchestra.store";

interface StoredItem {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** InMemoryStore's items: namespace labels joined by ":" → key → item (its own layout, which this store fills). */
type ItemMap = Map<string, Map<string, Item>>;

/**
 * A LangGraph store in one JSON file, for zero-setup local use (the CLI's default store of published handbooks).
 * It is LangGraph's InMemoryStore (same semantics: get, put, delete, search with filters, namespaces; no vector
 * search), read from the file when the file has changed since it was last read, and written back whole, atomically
 * (src/core/atomic.ts), after every batch that puts or deletes. So a server reading the file sees another process's
 * publish on its next read, and a crash leaves the old file or the new one. Writers in several processes at once may
 * lose each other's writes: use one writer at a time, or PostgreSQL.
 */
export class FileStore extends InMemoryStore {
  readonly path: string;
  /** Size, mtime and inode of the file when it was last read or written; undefined: not read yet. */
  private stamp: string | undefined;

  constructor(path: string) {
    super();
    this.path = path;
  }

  private get items(): ItemMap {
    const data = (this as unknown as { data?: unknown }).data;
    if (!(data instanceof Map)) throw new Error("FileStore: InMemoryStore no longer keeps its items in `data`");
    return data as ItemMap;
  }

  private currentStamp(): string {
    try {
      const s = statSync(this.path);
      return `${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
      throw new InputError(`${this.path}: cannot read the store: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }

  /** Read the file when it changed since it was last read (a missing file is an empty store). */
  private reload(): void {
    const stamp = this.currentStamp();
    if (stamp === this.stamp) return;
    const items = this.items;
    items.clear();
    if (stamp !== "missing") {
      let parsed: { kind?: unknown; items?: unknown };
      try {
        parsed = JSON.parse(readFileSync(this.path, "utf8"));
      } catch (err) {
        throw new InputError(`${this.path}: $: not a store file: ${(err as Error).message.split("\n")[0]}`);
      }
      if (parsed?.kind !== FILE_STORE_KIND || !Array.isArray(parsed.items))
        throw new InputError(`${this.path}: $.kind: not a store file (want "${FILE_STORE_KIND}")`);
      for (const it of parsed.items as StoredItem[]) {
        const ns = it.namespace.join(":");
        if (!items.has(ns)) items.set(ns, new Map());
        items.get(ns)!.set(it.key, {
          namespace: it.namespace,
          key: it.key,
          value: it.value,
          createdAt: new Date(it.createdAt),
          updatedAt: new Date(it.updatedAt),
        });
      }
    }
    this.stamp = stamp;
  }

  private save(): void {
    const items: StoredItem[] = [];
    for (const byKey of this.items.values())
      for (const it of byKey.values())
        items.push({
          namespace: it.namespace,
          key: it.key,
          value: it.value,
          createdAt: it.createdAt.toISOString(),
          updatedAt: it.updatedAt.toISOString(),
        });
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, `${JSON.stringify({ kind: FILE_STORE_KIND, items })}\n`);
    this.stamp = this.currentStamp();
  }

  override async batch<Op extends readonly Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    this.reload();
    const results = await super.batch(operations);
    if (operations.some((op) => "value" in op)) this.save();
    return results;
  }
}
