/**
 * Publishers of one handbook name at the same moment never collide: each gets a version of its own, and the list
 * holds every one of them. On the file store as real `handbook publish` subprocesses (a lock file beside the store),
 * and on PostgreSQL as publishers with connections of their own (an advisory lock per name), on a database of the
 * test's own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveHandbook } from "../../handbook/index.js";
import type { Handbook } from "../../handbook/schema.js";
import { listVersions, publishHandbook, publicationSha256 } from "../../src/registry/handbooks.js";
import { openStore } from "../../src/registry/open.js";
import { startCli } from "../support/cli.js";
import { describePostgres, testDatabase, type TestDatabase } from "../support/postgres.js";
import { ev, handbookWith } from "../handbook/helpers.js";

const N = 6;
const handbooks: Handbook[] = Array.from({ length: N }, (_, i) =>
  handbookWith(["answer.facts"], { x: { modes: ["answer"], competence: { "answer.facts": ev(i + 1, 10) } } }),
);
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "concurrent-publish-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every publication is one version, numbered 1..N, each version holding one of them (by content hash). */
function expectAllKept(
  list: { versions: { version: number; sha256: string }[]; current: number | undefined },
  shas: string[],
) {
  expect(new Set(shas).size).toBe(N);
  expect(list.versions.map((v) => v.version)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  expect(new Set(list.versions.map((v) => v.sha256))).toEqual(new Set(shas));
  expect(list.current).toBeGreaterThanOrEqual(1);
}

describe("concurrent publishes on the file store", () => {
  it(`${N} publish processes at once: ${N} versions, none lost`, async () => {
    const store = join(dir, "nested", "handbooks.json");
    const files = handbooks.map((h, i) => {
      const f = join(dir, `h${i}.json`);
      saveHandbook(f, h);
      return f;
    });
    const exits = await Promise.all(
      files.map((f) => startCli(["handbook", "publish", f, "--name", "race", "--store", store, "--json"]).done),
    );
    for (const e of exits) expect(e.code, e.stderr).toBe(0);
    const published = exits.map((e) => JSON.parse(e.stdout) as { version: number; sha256: string });
    const versions = published.map((p) => p.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const s = await openStore(store, {});
    try {
      expectAllKept(
        await listVersions(s.store, "race"),
        published.map((p) => p.sha256),
      );
    } finally {
      await s.close();
    }
  }, 120_000);
});

describePostgres("concurrent publishes on PostgreSQL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it(`${N} publishers with connections of their own: ${N} versions, none lost`, async () => {
    const stores = await Promise.all(handbooks.map(() => openStore(db.url, {})));
    try {
      const results = await Promise.all(
        stores.map((s, i) =>
          s.exclusive("race", () => publishHandbook(s.store, "race", { handbook: handbooks[i]!, source: `h${i}` })),
        ),
      );
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expectAllKept(
        await listVersions(stores[0]!.store, "race"),
        handbooks.map((h) => publicationSha256({ handbook: h })),
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  }, 120_000);
});
