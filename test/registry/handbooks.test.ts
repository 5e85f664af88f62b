/**
 * Published handbooks over real LangGraph stores (InMemoryStore, the file store, and PostgreSQL's PostgresStore when
 * SKILLORCHESTRA_TEST_POSTGRES_URL names a server): versions, the served pointer, rollback, what a selection carries,
 * and one-line errors for bad input.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describePostgres } from "../support/postgres.js";
import { AsyncBatchedStore, type BaseStore, InMemoryStore } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook, type Handbook } from "../../handbook/index.js";
import { InputError } from "../../src/core/errors.js";
import { FileStore, FILE_STORE_KIND } from "../../src/registry/file-store.js";
import {
  listVersions,
  parseStoreRef,
  publishedNames,
  publishHandbook,
  readPublication,
  resolveVersion,
  rollback,
  servedVersion,
} from "../../src/registry/handbooks.js";
import { openStore, storeTarget } from "../../src/registry/open.js";
import { ev, handbookWith } from "../handbook/helpers.js";

const POSTGRES_URL = process.env.SKILLORCHESTRA_TEST_POSTGRES_URL;

/** Two handbooks that route differently: in `a` agent x is the stronger, in `b` agent y. */
function handbooks(): { a: Handbook; b: Handbook } {
  const make = (x: number, y: number) =>
    handbookWith(["answer.facts", "answer.facts.capitals"], {
      x: { modes: ["answer"], competence: { "answer.facts.capitals": ev(x, 10 - x) } },
      y: { modes: ["answer"], competence: { "answer.facts.capitals": ev(y, 10 - y) } },
    });
  return { a: make(9, 2), b: make(2, 9) };
}

let dir: string;
let files: { a: string; b: string; learned: string; notHandbook: string; notJson: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "registry-"));
  const { a, b } = handbooks();
  files = {
    a: join(dir, "a.json"),
    b: join(dir, "b.json"),
    learned: join(dir, "learned", "H.json"),
    notHandbook: join(dir, "pool.json"),
    notJson: join(dir, "broken.json"),
  };
  saveHandbook(files.a, a);
  saveHandbook(files.b, b);
  // A learned handbook: H.json, its selection, and the candidates the selection names.
  mkdirSync(join(dir, "learned", "H.candidates"), { recursive: true });
  saveHandbook(files.learned, a);
  saveHandbook(join(dir, "learned", "H.candidates", "strong-x.json"), a);
  saveHandbook(join(dir, "learned", "H.candidates", "strong-y.json"), b);
  writeFileSync(
    join(dir, "learned", "H.selection.json"),
    JSON.stringify({
      kind: "skillorchestra.learning.selection",
      lambda: 0.2,
      candidates: [
        {
          id: "strong-x",
          evaluation: { accuracy: 0.9, meanCostUsd: 0.001, objective: 0.6 },
          file: "H.candidates/strong-x.json",
        },
        {
          id: "strong-y",
          evaluation: { accuracy: 0.8, meanCostUsd: 0.001, objective: 0.7 },
          file: "H.candidates/strong-y.json",
        },
        { id: "dropped", evaluation: { accuracy: 0.1, meanCostUsd: 0.1, objective: 0 }, deployed: false },
      ],
    }),
  );
  writeFileSync(files.notHandbook, JSON.stringify({ agents: [] }));
  writeFileSync(files.notJson, "{ not json");
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The one-line message of the InputError `f` throws (fails the test when it throws anything else). */
async function inputError(f: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await f();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const message = (err as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    return message;
  }
  throw new Error("no error");
}

/** The same behaviour against each store. */
function behavesAsARegistry(kind: string, open: () => Promise<{ store: BaseStore; close: () => Promise<void> }>) {
  describe(`published handbooks in ${kind}`, () => {
    let store: BaseStore;
    let close: () => Promise<void>;
    // A name of this run's own, so a shared PostgreSQL server's earlier runs do not count.
    const name = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(async () => {
      await close?.();
    });

    it("numbers versions from v1, serves the newest, and lists them oldest first", async () => {
      const p1 = await publishHandbook(store, name, readPublication(files.a), { now: "2025-01-01T00:00:00.000Z" });
      expect(p1).toMatchObject({ name, version: 1, created: true, current: 1, previous: undefined });
      const p2 = await publishHandbook(store, name, readPublication(files.b), { now: "2025-01-02T00:00:00.000Z" });
      expect(p2).toMatchObject({ version: 2, created: true, current: 2, previous: 1 });
      expect(p2.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p2.sha256).not.toBe(p1.sha256);

      const list = await listVersions(store, name);
      expect(list.current).toBe(2);
      expect(list.versions.map((v) => [v.version, v.publishedAt, v.source])).toEqual([
        [1, "2025-01-01T00:00:00.000Z", files.a],
        [2, "2025-01-02T00:00:00.000Z", files.b],
      ]);
      expect(await publishedNames(store)).toContain(name);

      const current = await resolveVersion(store, name, "current");
      expect(current.label).toBe(`${name}@v2`);
      expect(current.handbook.agents.y!.competence["answer.facts.capitals"]).toEqual(ev(9, 1));
      const v1 = await resolveVersion(store, name, 1);
      expect(v1.label).toBe(`${name}@v1`);
      expect(v1.handbook.agents.x!.competence["answer.facts.capitals"]).toEqual(ev(9, 1));
      expect(v1.selection).toBeUndefined();
    });

    it("makes no new version for the content of the latest one", async () => {
      const again = await publishHandbook(store, name, readPublication(files.b));
      expect(again).toMatchObject({ version: 2, created: false, current: 2 });
      expect((await listVersions(store, name)).versions).toHaveLength(2);
    });

    it("rolls back to the version before, to any version with --to, and a publish goes on from the highest", async () => {
      expect(await rollback(store, name)).toEqual({ name, from: 2, to: 1 });
      expect((await resolveVersion(store, name, "current")).label).toBe(`${name}@v1`);
      expect(await inputError(() => rollback(store, name))).toBe(
        `store:${name}: v1 is the first version: nothing to roll back to (versions: v1, v2)`,
      );
      expect(await rollback(store, name, 2)).toEqual({ name, from: 1, to: 2 });
      expect(await rollback(store, name, 1)).toEqual({ name, from: 2, to: 1 });
      // Publishing the content of v1 again while v2 is the latest: a new version, v3.
      const p3 = await publishHandbook(store, name, readPublication(files.a));
      expect(p3).toMatchObject({ version: 3, created: true, current: 3, previous: 1 });
      expect((await resolveVersion(store, name, "current")).label).toBe(`${name}@v3`);
    });

    it("publishes without serving with activate: false", async () => {
      const p4 = await publishHandbook(store, name, readPublication(files.learned), { activate: false });
      expect(p4).toMatchObject({ version: 4, created: true, current: 3, previous: 3 });
      expect((await listVersions(store, name)).current).toBe(3);
      expect((await resolveVersion(store, name, "current")).version).toBe(3);
      expect(await rollback(store, name, 4)).toEqual({ name, from: 3, to: 4 });
    });

    it("carries a learned selection: its deployed candidates' handbooks, as the orchestrator loads them", async () => {
      const v4 = await resolveVersion(store, name, 4);
      expect(v4.selection).toBeDefined();
      expect([...v4.selection!.handbooks.keys()].sort()).toEqual(["strong-x", "strong-y"]);
      expect(v4.selection!.selection.candidates.map((c) => c.id)).toEqual(["strong-x", "strong-y", "dropped"]);
      expect(v4.selection!.handbooks.get("strong-y")!.agents.y!.competence["answer.facts.capitals"]).toEqual(ev(9, 1));
      expect((await listVersions(store, name)).versions.at(-1)!.candidates).toBe(2);
      // Without the selection: the chosen handbook alone.
      const bare = readPublication(files.learned, { selection: false });
      expect(bare.selection).toBeUndefined();
    });

    it("serves what a reference names: the current version, a version, or the version a run started with", async () => {
      expect((await servedVersion(store, `store:${name}`)).version).toBe(4);
      expect((await servedVersion(store, `store:${name}@v2`)).version).toBe(2);
      expect((await servedVersion(store, `store:${name}`, `${name}@v1`)).version).toBe(1);
      // A pin of another name does not apply.
      expect((await servedVersion(store, `store:${name}`, `other@v1`)).version).toBe(4);
    });

    it("reads a version once: later runs (each sees the store wrapped anew) get it parsed, with one read of current", async () => {
      const wrapped = () => {
        const w = new AsyncBatchedStore(store);
        w.start();
        return w;
      };
      const [w1, w2] = [wrapped(), wrapped()];
      const a = await resolveVersion(w1, name, "current");
      const b = await resolveVersion(w2, name, "current");
      expect(b).toBe(a);
      expect(await resolveVersion(store, name, a.version)).toBe(a);
      await Promise.all([w1.stop(), w2.stop()]);
    });

    it("refuses an unknown name or version with one line naming it", async () => {
      expect(await inputError(() => resolveVersion(store, `${name}x`, "current"))).toMatch(
        new RegExp(`^store:${name}x: no handbook "${name}x" is published in the store \\(published: .*${name}`),
      );
      expect(await inputError(() => resolveVersion(store, name, 9))).toBe(
        `store:${name}@v9: no version v9 of handbook "${name}" (versions: v1, v2, v3, v4)`,
      );
      expect(await inputError(() => rollback(store, name, 9))).toBe(
        `store:${name}@v9: no version v9 (versions: v1, v2, v3, v4)`,
      );
      expect(await inputError(() => listVersions(store, `${name}x`))).toMatch(/no handbook .* is published/);
    });
  });
}

behavesAsARegistry("LangGraph's InMemoryStore", async () => ({ store: new InMemoryStore(), close: async () => {} }));
behavesAsARegistry("the file store", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "registry-file-")), "nested", "handbooks.json");
  return { store: new FileStore(path), close: async () => {} };
});
describePostgres(
  "PostgreSQL",
  () =>
    behavesAsARegistry("PostgreSQL (PostgresStore)", async () => {
      const s = await openStore(POSTGRES_URL, {});
      expect(s.kind).toBe("postgres");
      return s;
    }),
  "url",
);

describe("the file store", () => {
  it("is one JSON file, written atomically, that another instance (another process) reads when it changes", async () => {
    const d = mkdtempSync(join(tmpdir(), "registry-file-"));
    const path = join(d, "handbooks.json");
    const writer = new FileStore(path);
    const reader = new FileStore(path);
    expect(await publishedNames(reader)).toEqual([]);
    expect(existsSync(path)).toBe(false);
    await publishHandbook(writer, "demo", readPublication(files.a));
    expect(JSON.parse(readFileSync(path, "utf8")).kind).toBe(FILE_STORE_KIND);
    expect((await resolveVersion(reader, "demo", "current")).version).toBe(1);
    await publishHandbook(writer, "demo", readPublication(files.b));
    expect((await resolveVersion(reader, "demo", "current")).version).toBe(2);
    await rollback(reader, "demo");
    expect((await resolveVersion(writer, "demo", "current")).version).toBe(1);
    // No temp file is left beside it, and the items keep their timestamps across a reload.
    expect(readdirSync(d)).toEqual(["handbooks.json"]);
    const item = await new FileStore(path).get(["skillorchestra", "handbooks", "demo"], "v1");
    expect(item?.createdAt).toBeInstanceOf(Date);
    expect(item?.value.version).toBe(1);
    rmSync(d, { recursive: true, force: true });
  });

  it("refuses a file that is not a store, naming it", async () => {
    expect(await inputError(() => new FileStore(files.notHandbook).get(["a"], "b"))).toBe(
      `${files.notHandbook}: $.kind: not a store file (want "${FILE_STORE_KIND}")`,
    );
  });
});

describe("bad input", () => {
  it("a file that is not a handbook, or not JSON, or missing: one line naming it", async () => {
    expect(await inputError(() => readPublication(files.notHandbook))).toMatch(
      new RegExp(`^${files.notHandbook}: \\$\\.`),
    );
    expect(await inputError(() => readPublication(files.notJson))).toMatch(
      new RegExp(`^${files.notJson}: \\$: invalid JSON`),
    );
    expect(await inputError(() => readPublication(join(dir, "missing.json")))).toBe(
      `${join(dir, "missing.json")}: cannot read: ENOENT`,
    );
  });

  it("a handbook that is not valid is refused before anything is written", async () => {
    const store = new InMemoryStore();
    const bad = { ...handbooks().a, agents: { "bad id!": handbooks().a.agents.x! } } as Handbook;
    expect(await inputError(() => publishHandbook(store, "demo", { handbook: bad, source: "bad.json" }))).toMatch(
      /^bad\.json: \$\.agents/,
    );
    expect(await publishedNames(store)).toEqual([]);
  });

  it("a malformed name or reference", async () => {
    const store = new InMemoryStore();
    expect(await inputError(() => publishHandbook(store, "a.b", readPublication(files.a)))).toBe(
      `--name: "a.b" is not a handbook name (letters, digits, _ and -, starting with a letter or digit, at most 64)`,
    );
    for (const ref of ["store:", "store:a b", "store:demo@3", "store:demo@v0", "store:demo@latest"])
      expect(await inputError(() => parseStoreRef(ref))).toBe(
        `${ref}: not a published handbook (want store:NAME or store:NAME@vN; NAME of letters, digits, _ and -)`,
      );
    expect(parseStoreRef("store:demo")).toEqual({ name: "demo", version: "current" });
    expect(parseStoreRef("store:my_hb-2@v12")).toEqual({ name: "my_hb-2", version: 12 });
  });

  it("a reference without a store, or with no served version", async () => {
    expect(await inputError(() => servedVersion(undefined, "store:demo"))).toBe(
      "store:demo: the run has no store to read the handbook from: serve the graph on a LangGraph server (its store), or compile it with one",
    );
    const store = new InMemoryStore();
    await publishHandbook(store, "quiet", readPublication(files.a), { activate: false });
    expect(await inputError(() => resolveVersion(store, "quiet", "current"))).toBe(
      "store:quiet: no version is served yet (versions: v1): serve one with skillorchestra handbook rollback --name quiet --to v1",
    );
  });

  it("a store URL of an unknown kind; the default store is the local file", () => {
    expect(() => storeTarget("redis://x", {})).toThrow(InputError);
    expect(storeTarget(undefined, {}, "/w")).toEqual({ kind: "file", target: "/w/.skillorchestra/handbooks.json" });
    expect(storeTarget(undefined, { DATABASE_URI: "postgres://u:p@h/db" }, "/w").kind).toBe("postgres");
    expect(storeTarget(undefined, { POSTGRES_URI: "postgresql://h/db" }, "/w").kind).toBe("postgres");
    expect(storeTarget("http://127.0.0.1:2024/", {}, "/w")).toEqual({
      kind: "server",
      target: "http://127.0.0.1:2024",
    });
    expect(storeTarget("file:///tmp/s.json", {}, "/w")).toEqual({ kind: "file", target: "/tmp/s.json" });
    expect(storeTarget("s.json", {}, "/w")).toEqual({ kind: "file", target: "/w/s.json" });
  });
});
