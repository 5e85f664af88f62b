import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jsonBytes, loadHandbook, saveHandbook, WriteBehind } from "../../handbook/store.js";
import { skeletonHandbook } from "../../src/learning/profile.js";
import type { Handbook } from "../../handbook/schema.js";

const dir = mkdtempSync(join(tmpdir(), "so-write-behind-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A handbook whose size grows with n (so later saves need bigger buffers than earlier ones). */
function handbook(n: number): Handbook {
  const h = skeletonHandbook([], [{ id: "a", modes: ["answer"] }]);
  return { ...h, metadata: { ...h.metadata, learning: { ...h.metadata.learning, note: "x".repeat(n * 50_000) } } };
}

describe("WriteBehind", () => {
  it("writes the same bytes saveHandbook and writeJson do, every file, once flushed", async () => {
    const files = new WriteBehind();
    const now = "2026-01-01T00:00:00.000Z";
    const saved: Handbook[] = [];
    // More files than slots, growing then shrinking, so slots are reused and regrown.
    const sizes = [1, 8, 3, 20, 2, 0, 12];
    const books = sizes.map(handbook);
    for (const [i, h] of books.entries()) saved.push(await files.saveHandbook(join(dir, `h${i}.json`), h, now));
    await files.writeJson(join(dir, "plain.json"), { a: [1, 2], b: "λ" });
    await files.flush();
    for (const [i, h] of books.entries()) {
      const path = join(dir, `h${i}.json`);
      const direct = join(dir, `direct${i}.json`);
      expect(saveHandbook(direct, h, now) as unknown).toStrictEqual(saved[i]);
      expect(readFileSync(path).equals(readFileSync(direct))).toBe(true);
      expect(loadHandbook(path).metadata.handbookVersion).toBe(h.metadata.handbookVersion + 1);
    }
    expect(readFileSync(join(dir, "plain.json"), "utf8")).toBe(`${JSON.stringify({ a: [1, 2], b: "λ" }, null, 2)}\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a file's bytes are its own even when the encoder's buffer is reused before the write ends", async () => {
    const files = new WriteBehind();
    const a = join(dir, "a.json");
    await files.writeJson(a, { which: "a".repeat(100_000) });
    // Encoding something else now reuses the buffer jsonBytes wrote a's bytes into.
    jsonBytes({ which: "b".repeat(200_000) });
    await files.writeJson(join(dir, "c.json"), { which: "c" });
    await files.flush();
    expect(JSON.parse(readFileSync(a, "utf8"))).toEqual({ which: "a".repeat(100_000) });
  });

  it("two saves of one path land one after the other: the file holds the last", async () => {
    const files = new WriteBehind();
    const path = join(dir, "twice.json");
    for (let i = 0; i < 5; i++) await files.writeJson(path, { i, pad: "p".repeat(200_000 * (5 - i)) });
    await files.flush();
    expect(JSON.parse(readFileSync(path, "utf8")).i).toBe(4);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a bad handbook throws at its save, before anything is written", async () => {
    const files = new WriteBehind();
    const bad = handbook(0);
    const path = join(dir, "bad.json");
    await expect(files.saveHandbook(path, { ...bad, skills: { x: {} as never } })).rejects.toThrow(/bad\.json/);
    await files.flush();
    expect(readdirSync(dir)).not.toContain("bad.json");
  });

  it("a failed write is rethrown by flush and by every later save", async () => {
    const files = new WriteBehind();
    const gone = join(dir, "missing", "h.json");
    await files.writeJson(gone, { a: 1 });
    await expect(files.flush()).rejects.toThrow(/ENOENT/);
    await expect(files.writeJson(join(dir, "later.json"), { a: 2 })).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).not.toContain("later.json");
  });
});
