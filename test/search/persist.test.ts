import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { buildIndex, manifestPath, openIndex } from "../../tools/search/persist.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "so-search-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (id: string, title: string, text: string) => JSON.stringify({ id, title, text });
const corpus = [
  line("nile", "Nile", "The Nile is the longest river in Africa, flowing north to the Mediterranean."),
  line("amazon", "Amazon", "The Amazon river in South America carries more water than any other."),
  "",
  line("everest", "Everest", "Mount Everest is the highest mountain above sea level, in the Himalayas."),
].join("\n");

describe("buildIndex / openIndex", () => {
  it("builds, persists and reopens an index that answers the same", async () => {
    const corpusPath = join(dir, "corpus.jsonl");
    const indexPath = join(dir, "index.json");
    writeFileSync(corpusPath, corpus);
    const built = await buildIndex(corpusPath, indexPath, { passageWords: 8, overlapWords: 2 });
    expect(built.reused).toBe(false);
    expect(built.manifest.documents).toBe(3);
    expect(built.manifest.passages).toBe(built.search.passageCount);
    expect(built.manifest.index.size).toBe(statSync(indexPath).size);
    const manifest = JSON.parse(readFileSync(manifestPath(indexPath), "utf8"));
    expect(manifest.corpus.sha256).toMatch(/^[0-9a-f]{64}$/);

    const reopened = await openIndex(indexPath);
    expect(reopened.chunk).toEqual({ passageWords: 8, overlapWords: 2 });
    const q = "highest mountain Himalayas";
    expect(reopened.search(q, 3)).toEqual(built.search.search(q, 3));
    expect(reopened.search(q, 1)[0]!.docId).toBe("everest");
  });

  it("reuses the index while the corpus is unchanged, even when only touched", async () => {
    const corpusPath = join(dir, "corpus.jsonl");
    const indexPath = join(dir, "index.json");
    writeFileSync(corpusPath, corpus);
    await buildIndex(corpusPath, indexPath);
    expect((await buildIndex(corpusPath, indexPath)).reused).toBe(true);

    const later = new Date(Date.now() + 60_000);
    utimesSync(corpusPath, later, later);
    const touched = await buildIndex(corpusPath, indexPath);
    expect(touched.reused).toBe(true);
    expect(touched.manifest.corpus.mtimeMs).toBe(statSync(corpusPath).mtimeMs);
  });

  it("rebuilds when the corpus, the chunking or `force` changes", async () => {
    const corpusPath = join(dir, "corpus.jsonl");
    const indexPath = join(dir, "index.json");
    writeFileSync(corpusPath, corpus);
    await buildIndex(corpusPath, indexPath);
    expect((await buildIndex(corpusPath, indexPath, { passageWords: 50 })).reused).toBe(false);
    expect((await buildIndex(corpusPath, indexPath, { passageWords: 50, force: true })).reused).toBe(false);

    writeFileSync(corpusPath, `${corpus}\n${line("k2", "K2", "K2 is the second highest mountain.")}`);
    const rebuilt = await buildIndex(corpusPath, indexPath, { passageWords: 50 });
    expect(rebuilt.reused).toBe(false);
    expect(rebuilt.search.search("second highest", 1)[0]!.docId).toBe("k2");
    expect((await openIndex(indexPath)).search("K2", 1)[0]!.docId).toBe("k2");
  });

  it("reports a bad corpus line with file, line number and field", async () => {
    const corpusPath = join(dir, "bad.jsonl");
    writeFileSync(corpusPath, [line("a", "A", "x"), JSON.stringify({ id: "b", title: "B", text: 7 })].join("\n"));
    await expect(buildIndex(corpusPath, join(dir, "i.json"))).rejects.toThrow(
      new RegExp(`^${corpusPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: \\$\\.text: `),
    );
    writeFileSync(corpusPath, [line("a", "A", "x"), "", "{not json"].join("\n"));
    await expect(buildIndex(corpusPath, join(dir, "i.json"))).rejects.toThrow(`${corpusPath}:3: $: not valid JSON`);
    writeFileSync(corpusPath, [line("a", "A", "x"), line("a", "A", "y")].join("\n"));
    await expect(buildIndex(corpusPath, join(dir, "i.json"))).rejects.toThrow(
      `${corpusPath}:2: $.id: duplicate id "a" (first on line 1)`,
    );
    writeFileSync(corpusPath, JSON.stringify({ title: "no id", text: "" }));
    await expect(buildIndex(corpusPath, join(dir, "i.json"))).rejects.toBeInstanceOf(InputError);
  });

  it("names the file when the corpus or the index is missing or not an index", async () => {
    await expect(buildIndex(join(dir, "none.jsonl"), join(dir, "i.json"))).rejects.toThrow(
      `${join(dir, "none.jsonl")}: corpus file not found`,
    );
    await expect(openIndex(join(dir, "none.json"))).rejects.toThrow(`${join(dir, "none.json")}: no search index here`);
    const bogus = join(dir, "bogus.json");
    writeFileSync(bogus, JSON.stringify({ hello: 1 }));
    await expect(openIndex(bogus)).rejects.toThrow(new RegExp(`^${bogus.replace(/[.]/g, "\\.")}: \\$\\.format: `));
  });
});
