/** Which checkpoint store `run` uses: its flags, then DATABASE_URI / POSTGRES_URI, then the SQLite default. */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkpointTarget, pgErrorLine, redactUrl } from "../src/cli/checkpoint.js";
import { InputError } from "../src/core/errors.js";

const DEFAULT = ".skillorchestra/threads.sqlite";
const PG = "postgres://me:secret@db.example:5432/threads";

describe("checkpointTarget", () => {
  it("is the SQLite default with no flag and no variable; --db names another file", () => {
    expect(checkpointTarget({}, DEFAULT, {})).toEqual({ kind: "sqlite", path: resolve(DEFAULT) });
    expect(checkpointTarget({ db: "t.sqlite" }, DEFAULT, {})).toEqual({ kind: "sqlite", path: resolve("t.sqlite") });
  });

  it("--checkpoint is PostgreSQL, shown without its password; postgresql:// too", () => {
    expect(checkpointTarget({ checkpoint: PG }, DEFAULT, {})).toEqual({
      kind: "postgres",
      url: PG,
      source: "--checkpoint",
      shown: "postgres://me:***@db.example:5432/threads",
    });
    expect(checkpointTarget({ checkpoint: "postgresql://h/db" }, DEFAULT, {})).toMatchObject({ kind: "postgres" });
  });

  it("with no flag, DATABASE_URI then POSTGRES_URI; a flag wins over both; an empty variable is unset", () => {
    const env = { DATABASE_URI: "postgres://a/one", POSTGRES_URI: "postgres://b/two" };
    expect(checkpointTarget({}, DEFAULT, env)).toMatchObject({ url: "postgres://a/one", source: "DATABASE_URI" });
    expect(checkpointTarget({}, DEFAULT, { POSTGRES_URI: "postgres://b/two" })).toMatchObject({
      source: "POSTGRES_URI",
    });
    expect(checkpointTarget({}, DEFAULT, { DATABASE_URI: " ", POSTGRES_URI: "postgres://b/two" })).toMatchObject({
      source: "POSTGRES_URI",
    });
    expect(checkpointTarget({ db: "t.sqlite" }, DEFAULT, env)).toMatchObject({ kind: "sqlite" });
    expect(checkpointTarget({ checkpoint: PG }, DEFAULT, env)).toMatchObject({ source: "--checkpoint" });
  });

  it("refuses, naming the flag or the variable, a URL that is not PostgreSQL's, and both flags at once", () => {
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return (err as Error).message;
      }
      throw new Error("not refused");
    };
    expect(refused(() => checkpointTarget({ checkpoint: "mysql://u:pw@h/db" }, DEFAULT, {}))).toBe(
      '--checkpoint: "mysql://u:***@h/db" is not a PostgreSQL URL: give postgres://user:password@host:5432/database (for a SQLite file, use --db FILE)',
    );
    expect(refused(() => checkpointTarget({ checkpoint: "threads.sqlite" }, DEFAULT, {}))).toMatch(
      /^--checkpoint: "threads\.sqlite" is not a URL/,
    );
    expect(refused(() => checkpointTarget({}, DEFAULT, { POSTGRES_URI: "http://x" }))).toMatch(
      /^POSTGRES_URI: "http:\/\/x" is not a PostgreSQL URL: give postgres:\/\/user:password@host:5432\/database$/,
    );
    expect(refused(() => checkpointTarget({ checkpoint: PG, db: "t.sqlite" }, DEFAULT, {}))).toMatch(
      /^--checkpoint and --db: give one/,
    );
  });

  it("messages keep no password, and a refused connection's AggregateError becomes one line", () => {
    expect(redactUrl("postgres://u:p%40ss@h:1/d")).toBe("postgres://u:***@h:1/d");
    expect(redactUrl("postgres://u@h/d")).toBe("postgres://u@h/d");
    expect(redactUrl("postgres://u:p@ss:w@h/d?x=a:b@c")).toBe("postgres://u:***@h/d?x=a:b@c");
    expect(redactUrl("postgres://h:5432/d")).toBe("postgres://h:5432/d");
    const refusedBoth = new AggregateError(
      [new Error("connect ECONNREFUSED ::1:5432"), new Error("connect ECONNREFUSED 127.0.0.1:5432")],
      "",
    );
    expect(pgErrorLine(refusedBoth)).toBe("connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432");
    expect(pgErrorLine(new Error("first\nsecond"))).toBe("first");
  });
});
