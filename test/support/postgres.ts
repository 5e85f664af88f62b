/**
 * PostgreSQL for the integration tests: the server `.ci/run` starts (SKILLORCHESTRA_TEST_POSTGRES_URL), or a
 * throwaway cluster of the test's own in a temporary folder, on 127.0.0.1 and a free port (Debian's binaries: on
 * PATH, or under /usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root, so as root the cluster runs
 * as the `postgres` user.
 *
 * Without either, a test needing PostgreSQL fails under CI=true and is skipped, with the reason printed, elsewhere.
 */
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import type { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { describe, it } from "vitest";
import { poolOf } from "../../src/cli/checkpoint.js";

const run = promisify(execFile);

export const TEST_POSTGRES_ENV = "SKILLORCHESTRA_TEST_POSTGRES_URL";

/** The folder holding initdb and pg_ctl: PATH first, then Debian's newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(): string | undefined {
  const has = (dir: string) =>
    ["initdb", "pg_ctl", "postgres"].every((b) => {
      try {
        accessSync(join(dir, b), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && has(dir)) return dir;
  const debian = "/usr/lib/postgresql";
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(debian, v, "bin")).find(has);
}

/** A free TCP port on 127.0.0.1 (free when asked: the cluster takes it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? res(a.port) : rej(new Error("no port"))));
    });
  });
}

export interface Cluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, 127.0.0.1 only). */
  url: string;
  /** Stop the server (fast shutdown: open connections are terminated); its data stays. */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  /** Stop it and remove its folder. */
  destroy(): Promise<void>;
}

/** A throwaway PostgreSQL cluster in a temporary folder, started on 127.0.0.1 and a free port. */
export async function startCluster(): Promise<Cluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)");
  const dir = mkdtempSync(join(tmpdir(), "so-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const ids = await run("id", ["-u", "postgres"]).then(
      async (u) => [Number(u.stdout), Number((await run("id", ["-g", "postgres"])).stdout)] as const,
      () => {
        throw new Error("running as root and there is no postgres user to run PostgreSQL as");
      },
    );
    chownSync(dir, ids[0], ids[1]);
  }
  chmodSync(dir, 0o700);
  const pg = (cmd: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  await pg("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = async () => {
    await pg("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"]);
  };
  const stop = async () => {
    await pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  };
  await start();
  let running = true;
  // A watchdog outside this process stops the server and removes its folder if this process dies without doing it
  // (a killed test run), so no cluster outlives its test.
  const stopCmd = [...(asRoot ? ["runuser", "-u", "postgres", "--"] : []), join(bin, "pg_ctl"), "-D", data]
    .map((a) => `'${a}'`)
    .join(" ");
  const watchdog = spawn(
    "sh",
    [
      "-c",
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopCmd} -m immediate stop >/dev/null 2>&1; rm -rf '${dir}'`,
    ],
    { detached: true, stdio: "ignore" },
  );
  watchdog.unref();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await stop();
      running = false;
    },
    start: async () => {
      await start();
      running = true;
    },
    destroy: async () => {
      if (running) await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      watchdog.kill();
    },
  };
}

/** Why PostgreSQL is unavailable to the tests, or undefined when it is (a URL given, or binaries to start one). */
export function postgresUnavailable(): string | undefined {
  if (process.env[TEST_POSTGRES_ENV]) return undefined;
  if (postgresBinDir()) return undefined;
  return `PostgreSQL is not available: set ${TEST_POSTGRES_ENV} (as .ci/run does) or install Debian's postgresql`;
}

/**
 * `describe` for tests that need PostgreSQL: as is when it is available; without it, a failing test under CI=true,
 * and a skipped suite (the reason printed) elsewhere. `needs`: a server or binaries to start one (default), the
 * binaries themselves, or the server named by SKILLORCHESTRA_TEST_POSTGRES_URL (tests that start no process).
 */
export function describePostgres(
  name: string,
  body: () => void,
  needs: "server" | "binaries" | "url" = "server",
): void {
  const reason =
    needs === "binaries"
      ? postgresBinDir()
        ? undefined
        : "PostgreSQL's binaries (initdb, pg_ctl) are not installed: install Debian's postgresql"
      : needs === "url"
        ? process.env[TEST_POSTGRES_ENV]
          ? undefined
          : `${TEST_POSTGRES_ENV} is not set (as .ci/run sets it)`
        : postgresUnavailable();
  if (!reason) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true" || process.env.CI === "1") {
    describe(name, () => {
      it("has PostgreSQL", () => {
        throw new Error(`${reason} (CI=${process.env.CI}: tests needing PostgreSQL fail instead of skipping)`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${reason}`);
  describe.skip(name, body);
}

export interface TestDatabase {
  url: string;
  /** Drop the database (and stop the cluster started for it). */
  dispose(): Promise<void>;
}

/** The URL with another database name. */
const withDatabase = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

/**
 * A fresh database of its own for one test file: created on SKILLORCHESTRA_TEST_POSTGRES_URL's server when set
 * (so test files sharing it never see each other's threads), else on a cluster started for it.
 */
export async function testDatabase(): Promise<TestDatabase> {
  const shared = process.env[TEST_POSTGRES_ENV];
  const cluster = shared ? undefined : await startCluster();
  const base = shared ?? cluster!.url;
  const name = `so_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const { PostgresSaver: Saver } = await import("@langchain/langgraph-checkpoint-postgres");
  const admin: PostgresSaver = Saver.fromConnString(base);
  try {
    await poolOf(admin).query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(base, name),
    dispose: async () => {
      if (cluster) return cluster.destroy();
      const a = Saver.fromConnString(base);
      try {
        await poolOf(a).query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
