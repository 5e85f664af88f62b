import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { BaseStore } from "@langchain/langgraph";
import { InputError } from "../core/errors.js";
import { withFileLock } from "../core/file-lock.js";
import { FileStore } from "./file-store.js";

/** The local store of published handbooks when no other is named: a JSON file (FileStore). */
export const DEFAULT_STORE_FILE = ".skillorchestra/handbooks.json";
/** The environment variables naming a PostgreSQL database, as the LangGraph server reads them. */
export const STORE_ENV = ["DATABASE_URI", "POSTGRES_URI"] as const;

/** An open store, what to call it in messages (no password), and how to close it. */
export interface OpenStore {
  store: BaseStore;
  where: string;
  kind: "postgres" | "server" | "file";
  close(): Promise<void>;
  /**
   * Run `f` while no other publisher of handbook `name` in this store runs its own (publish, rollback, update): a
   * lock file beside a store file, a PostgreSQL advisory lock (released by the server if the holder dies). A
   * LangGraph server's store offers no lock through its API: there `f` runs unguarded.
   */
  exclusive<T>(name: string, f: () => Promise<T>): Promise<T>;
}

/** The advisory lock key of a handbook name's publishers (one per name and database). */
const LOCK_KEY = (name: string) => `skillorchestra.handbooks:${name}`;

async function withAdvisoryLock<T>(url: string, where: string, name: string, f: () => Promise<T>): Promise<T> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`${where}: cannot lock the store: ${e.code ?? ""}${e.code ? " " : ""}${e.message.split("\n")[0]}`);
  }
  // An error on the idle connection (the server restarted) ends the lock; f's own store calls then fail loudly.
  client.on("error", () => {});
  try {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [LOCK_KEY(name)]);
    return await f();
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [LOCK_KEY(name)]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** A URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** What a store target names, before anything is opened (a bad one is an InputError naming the flag). */
export function storeTarget(
  given: string | undefined,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): { kind: OpenStore["kind"]; target: string } {
  const fromEnv = STORE_ENV.map((k) => env[k]).find((v) => v);
  const t = given ?? fromEnv;
  if (!t) return { kind: "file", target: resolve(cwd, DEFAULT_STORE_FILE) };
  if (/^postgres(ql)?:\/\//i.test(t)) return { kind: "postgres", target: t };
  if (/^https?:\/\//i.test(t)) return { kind: "server", target: t.replace(/\/+$/, "") };
  if (/^file:/i.test(t)) return { kind: "file", target: resolve(cwd, t.slice(5).replace(/^\/\/(?=\/)/, "")) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t))
    throw new InputError(
      `--store: ${redacted(t)}: not a store (give postgres://…, http(s)://… of a LangGraph server, or a JSON file path)`,
    );
  return { kind: "file", target: resolve(cwd, t) };
}

/**
 * Open the store of published handbooks: `given` (`--store`), else DATABASE_URI or POSTGRES_URI, else the local file
 * DEFAULT_STORE_FILE. A `postgres://` URL is LangGraph's PostgresStore (its tables created when missing); an
 * `http(s)://` URL is a running LangGraph server's store, through its API (what its graphs read); anything else is a
 * JSON file (FileStore).
 */
export async function openStore(
  given: string | undefined,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): Promise<OpenStore> {
  const { kind, target } = storeTarget(given, env, cwd);
  if (kind === "file")
    return {
      store: new FileStore(target),
      where: target,
      kind,
      close: async () => {},
      // One lock per store file: its items (versions, pointers, names) are one file rewritten whole.
      exclusive: (_name, f) => {
        mkdirSync(dirname(target), { recursive: true });
        return withFileLock(target, f, { waitMs: 120_000 });
      },
    };
  if (kind === "server") {
    const { Client } = await import("@langchain/langgraph-sdk");
    const { ServerStore } = await import("./server-store.js");
    const client = new Client({ apiUrl: target, callerOptions: { maxRetries: 1 }, timeoutMs: 60_000 });
    return {
      store: new ServerStore(client, target),
      where: target,
      kind,
      close: async () => {},
      exclusive: (_name, f) => f(),
    };
  }
  const { PostgresStore } = await import("@langchain/langgraph-checkpoint-postgres/store");
  const store = PostgresStore.fromConnString(target);
  const where = redacted(target);
  try {
    // Creating the tables is not safe to race (two first openings of a database collide on them): one at a time.
    await withAdvisoryLock(target, where, "(setup)", () => store.setup());
  } catch (err) {
    await store.stop().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    throw new Error(`${where}: cannot open the store: ${e.code ?? ""}${e.code ? " " : ""}${e.message.split("\n")[0]}`);
  }
  return {
    store,
    where,
    kind,
    close: () => store.stop(),
    exclusive: (name, f) => withAdvisoryLock(target, where, name, f),
  };
}
