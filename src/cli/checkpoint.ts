/**
 * Where the orchestrator's threads are checkpointed: a SQLite file (the zero-setup default, `--db FILE`) or a
 * PostgreSQL database (`--checkpoint postgres://…`, else DATABASE_URI or POSTGRES_URI in the environment).
 *
 * A bad URL is refused before anything connects (InputError, naming the flag or the variable); a server that cannot
 * be reached, or refuses the login, fails `openCheckpointer` with one line naming it too, so no agent is called. A
 * query that fails later (the server restarted, the connection dropped) becomes a CheckpointStoreError: one line
 * naming the database and the thread, which keeps its last checkpoint and resumes with `--thread` once the server is
 * back.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type { RunnableConfig } from "@langchain/core/runnables";
import { InputError } from "../core/errors.js";

/** The environment variables that name a PostgreSQL database for the threads, in the order they are read. */
export const POSTGRES_ENV = ["DATABASE_URI", "POSTGRES_URI"] as const;

/** How long a connection to PostgreSQL may take before the command gives up (an unreachable host, not a refusal). */
const CONNECT_TIMEOUT_MS = 10_000;

export type CheckpointTarget =
  | { kind: "sqlite"; path: string }
  /** `source`: the flag or variable the URL came from; `shown`: the URL without its password. */
  | { kind: "postgres"; url: string; source: string; shown: string };

/** The URL with its password replaced by `***` (for messages); otherwise as given. */
export function redactUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)/.exec(url);
  if (!m) return url;
  const authority = m[2]!;
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  if (at < 0 || colon < 0 || colon > at) return url;
  return `${m[1]}${authority.slice(0, colon)}:***${authority.slice(at)}${url.slice(m[0].length)}`;
}

function postgresTarget(url: string, source: string): CheckpointTarget {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`${source}: "${shown}" is not a URL: give postgres://user:password@host:5432/database`);
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:")
    throw new InputError(
      `${source}: "${shown}" is not a PostgreSQL URL: give postgres://user:password@host:5432/database` +
        (source === "--checkpoint" ? " (for a SQLite file, use --db FILE)" : ""),
    );
  return { kind: "postgres", url, source, shown };
}

/**
 * The checkpoint store a command's flags and environment choose: `--checkpoint URL` (PostgreSQL), else `--db FILE`
 * (SQLite), else DATABASE_URI or POSTGRES_URI (PostgreSQL), else the SQLite file `defaultDb`. Throws InputError on a
 * URL that is not a PostgreSQL one.
 */
export function checkpointTarget(
  flags: { checkpoint?: string | undefined; db?: string | undefined },
  defaultDb: string,
  env: NodeJS.ProcessEnv = process.env,
): CheckpointTarget {
  if (flags.checkpoint !== undefined && flags.db !== undefined)
    throw new InputError("--checkpoint and --db: give one (a PostgreSQL URL or a SQLite file)");
  if (flags.checkpoint !== undefined) return postgresTarget(flags.checkpoint, "--checkpoint");
  if (flags.db !== undefined) return { kind: "sqlite", path: resolve(flags.db) };
  for (const name of POSTGRES_ENV) {
    const v = env[name]?.trim();
    if (v) return postgresTarget(v, name);
  }
  return { kind: "sqlite", path: resolve(defaultDb) };
}

/** A checkpoint store that failed after it was opened (a PostgreSQL server that went away mid-run). */
export class CheckpointStoreError extends Error {
  override name = "CheckpointStoreError";
}

export interface OpenCheckpointer {
  saver: BaseCheckpointSaver;
  /** For messages: the SQLite file, or `PostgreSQL postgres://…` (no password). */
  where: string;
  /** Close the file or the connection pool (so the process can exit). */
  close(): Promise<void>;
}

/** One line for an error of `pg` or of the socket under it (a refused connection's AggregateError has no message). */
export function pgErrorLine(err: unknown): string {
  const parts = (e: unknown): string[] => {
    if (e instanceof AggregateError && !e.message) return e.errors.flatMap(parts);
    if (e instanceof Error) return [e.message || (e as NodeJS.ErrnoException).code || e.name];
    return [String(e)];
  };
  const text = [...new Set(parts(err))].join("; ") || "unknown error";
  return text.split("\n")[0]!.trim();
}

/** The part of PostgresSaver's pg.Pool this module uses (the saver keeps it in a field of its own). */
interface PgPool {
  options: { connectionTimeoutMillis?: number };
  on(event: "error", listener: (err: Error) => void): unknown;
}

/** The pg.Pool under a PostgresSaver (PostgresSaver.fromConnString builds it and keeps it private). */
export function poolOf(saver: PostgresSaver): PgPool & {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
} {
  return (saver as unknown as { pool: ReturnType<typeof poolOf> }).pool;
}

const threadOf = (config: RunnableConfig | undefined): string | undefined =>
  config?.configurable?.thread_id as string | undefined;

/** `saver` with every read and write rethrowing its error as `fail(error, thread)`. */
function guarded<T extends BaseCheckpointSaver>(saver: T, fail: (err: unknown, thread?: string) => Error): T {
  const { getTuple, list, put, putWrites, deleteThread } = saver;
  saver.getTuple = async (config) => {
    try {
      return await getTuple.call(saver, config);
    } catch (err) {
      throw fail(err, threadOf(config));
    }
  };
  saver.list = async function* (config, options) {
    try {
      yield* list.call(saver, config, options);
    } catch (err) {
      throw fail(err, threadOf(config));
    }
  };
  saver.put = async (config, checkpoint, metadata, versions) => {
    try {
      return await put.call(saver, config, checkpoint, metadata, versions);
    } catch (err) {
      throw fail(err, threadOf(config));
    }
  };
  saver.putWrites = async (config, writes, taskId) => {
    try {
      return await putWrites.call(saver, config, writes, taskId);
    } catch (err) {
      throw fail(err, threadOf(config));
    }
  };
  saver.deleteThread = async (threadId) => {
    try {
      return await deleteThread.call(saver, threadId);
    } catch (err) {
      throw fail(err, threadId);
    }
  };
  return saver;
}

/** SQLSTATEs of a lost race between two processes creating the same tables (CREATE … IF NOT EXISTS is not atomic). */
const SETUP_RACE = new Set(["23505", "42P07", "42710"]);

async function openPostgres(t: Extract<CheckpointTarget, { kind: "postgres" }>): Promise<OpenCheckpointer> {
  const where = `PostgreSQL ${t.shown}`;
  const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
  const saver = PostgresSaver.fromConnString(t.url);
  const pool = poolOf(saver);
  pool.options.connectionTimeoutMillis = CONNECT_TIMEOUT_MS;
  // An idle connection the server closed (a restart) is dropped from the pool and reported here; without a listener
  // it would crash the process. The next query opens a new connection, or fails and says so.
  pool.on("error", () => {});
  const close = async () => {
    await saver.end().catch(() => {});
  };
  try {
    try {
      await saver.setup();
    } catch (err) {
      if (!SETUP_RACE.has(String((err as { code?: unknown }).code))) throw err;
      await saver.setup();
    }
  } catch (err) {
    await close();
    throw new CheckpointStoreError(
      `${t.source} ${t.shown}: cannot use PostgreSQL for the threads: ${pgErrorLine(err)}`,
    );
  }
  guarded(saver, (err, thread) => {
    const which = thread ? ` of thread ${thread}` : "";
    const resume = thread ? `; the thread keeps its last checkpoint: resume it with --thread ${thread}` : "";
    return new CheckpointStoreError(
      `${where}: the checkpoint${which} could not be read or written: ${pgErrorLine(err)}${resume}`,
    );
  });
  return { saver, where, close };
}

/**
 * Open the store `target` names: create the SQLite file's folder, or connect to PostgreSQL and create its tables.
 * The saver's package loads here, so a command loads only the one it uses.
 */
export async function openCheckpointer(target: CheckpointTarget): Promise<OpenCheckpointer> {
  if (target.kind === "postgres") return openPostgres(target);
  mkdirSync(dirname(target.path), { recursive: true });
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const saver = SqliteSaver.fromConnString(target.path);
  return {
    saver,
    where: target.path,
    close: async () => saver.db.close(),
  };
}
