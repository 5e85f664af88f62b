import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { z } from "zod";
import { InputError, parseOrThrow } from "../../src/core/errors.js";
import { writeFileAtomic } from "../../src/core/atomic.js";
import { ANALYZER_VERSION } from "./analyze.js";
import { resolveChunkOptions } from "./chunk.js";
import { hashFile, readCorpus } from "./corpus.js";
import { LocalSearch, type LocalSearchOptions } from "./local.js";

const INDEX_FORMAT = "skillorchestra.search-index";
const FORMAT_VERSION = 1;

const ChunkSchema = z.object({ passageWords: z.number().int().min(1), overlapWords: z.number().int().min(0) });

/** The fields the index file and its manifest share: format, analyzer and settings, and how many documents. */
const IndexHeaderSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  version: z.literal(FORMAT_VERSION),
  analyzer: z.number().int(),
  chunk: ChunkSchema,
  titleBoost: z.number(),
  documents: z.number().int(),
});

/** What was indexed, from which corpus bytes, with which settings; kept beside the index as `<index>.manifest.json`. */
export const IndexManifestSchema = IndexHeaderSchema.extend({
  passages: z.number().int(),
  corpus: z.object({ path: z.string(), size: z.number(), mtimeMs: z.number(), sha256: z.string() }),
  index: z.object({ size: z.number() }),
  builtAt: z.string(),
});
export type IndexManifest = z.infer<typeof IndexManifestSchema>;

const IndexFileSchema = IndexHeaderSchema.extend({
  index: z.record(z.string(), z.unknown()),
});

export function manifestPath(indexPath: string): string {
  return `${indexPath}.manifest.json`;
}

export interface BuildIndexOptions extends LocalSearchOptions {
  /** Rebuild even when the manifest says the index is up to date. */
  force?: boolean;
}

export interface BuiltIndex {
  search: LocalSearch;
  manifest: IndexManifest;
  /** True when the index on disk was up to date and was loaded rather than rebuilt. */
  reused: boolean;
}

/**
 * Index a JSONL corpus (`{id, title, text}` per line) and persist it at `indexPath` (plus `<indexPath>.manifest.json`).
 * When the manifest shows the same settings and the same corpus bytes, the index on disk is loaded instead of rebuilt:
 * the corpus's size must match, and then either its mtime matches or its SHA-256 does (a touched but unchanged file is
 * re-hashed, not re-indexed). Both files are written atomically, index first.
 */
export async function buildIndex(
  corpusPath: string,
  indexPath: string,
  opts: BuildIndexOptions = {},
): Promise<BuiltIndex> {
  const chunk = resolveChunkOptions(opts);
  const titleBoost = opts.titleBoost ?? 2;
  const corpusStat = await statOrInputError(corpusPath, "corpus file not found");
  if (!opts.force) {
    const previous = await readManifest(indexPath);
    if (
      previous &&
      previous.analyzer === ANALYZER_VERSION &&
      previous.chunk.passageWords === chunk.passageWords &&
      previous.chunk.overlapWords === chunk.overlapWords &&
      previous.titleBoost === titleBoost &&
      previous.corpus.size === corpusStat.size &&
      (await indexSize(indexPath)) === previous.index.size
    ) {
      let fresh = previous.corpus.mtimeMs === corpusStat.mtimeMs;
      let manifest = previous;
      if (!fresh && (await hashFile(corpusPath)) === previous.corpus.sha256) {
        fresh = true;
        manifest = { ...previous, corpus: { ...previous.corpus, mtimeMs: corpusStat.mtimeMs } };
        writeFileAtomic(manifestPath(indexPath), `${JSON.stringify(manifest, null, 2)}\n`);
      }
      if (fresh) return { search: await openIndex(indexPath), manifest, reused: true };
    }
  }

  const { documents, sha256 } = await readCorpus(corpusPath);
  const search = LocalSearch.fromDocuments(documents, { ...chunk, titleBoost });
  const header: z.infer<typeof IndexHeaderSchema> = {
    format: INDEX_FORMAT,
    version: FORMAT_VERSION,
    analyzer: ANALYZER_VERSION,
    chunk,
    titleBoost,
    documents: search.documentCount,
  };
  const body = JSON.stringify({ ...header, index: search.toPlain() });
  writeFileAtomic(indexPath, body);
  const manifest: IndexManifest = {
    ...header,
    passages: search.passageCount,
    corpus: { path: resolve(corpusPath), size: corpusStat.size, mtimeMs: corpusStat.mtimeMs, sha256 },
    index: { size: Buffer.byteLength(body, "utf8") },
    builtAt: new Date().toISOString(),
  };
  writeFileAtomic(manifestPath(indexPath), `${JSON.stringify(manifest, null, 2)}\n`);
  return { search, manifest, reused: false };
}

/** Load an index written by `buildIndex`. A missing, foreign or outdated file throws an InputError naming it. */
export async function openIndex(indexPath: string): Promise<LocalSearch> {
  let text: string;
  try {
    text = await readFile(indexPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InputError(`${indexPath}: no search index here (build one with buildIndex)`);
    }
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${indexPath}: $: not a search index (invalid JSON: ${(err as Error).message})`);
  }
  const file = parseOrThrow(IndexFileSchema, value, indexPath);
  if (file.analyzer !== ANALYZER_VERSION) {
    throw new InputError(
      `${indexPath}: $.analyzer: index built with analyzer ${file.analyzer}, this version reads ${ANALYZER_VERSION}; rebuild it`,
    );
  }
  const chunk = resolveChunkOptions(file.chunk);
  try {
    return LocalSearch.fromPlain(file.index as never, chunk, file.titleBoost, file.documents);
  } catch (err) {
    throw new InputError(`${indexPath}: $.index: not a readable index (${(err as Error).message})`);
  }
}

async function readManifest(indexPath: string): Promise<IndexManifest | null> {
  try {
    const value: unknown = JSON.parse(await readFile(manifestPath(indexPath), "utf8"));
    const parsed = IndexManifestSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // no manifest or an unreadable one: rebuild
  }
}

async function indexSize(indexPath: string): Promise<number | null> {
  try {
    return (await stat(indexPath)).size;
  } catch {
    return null;
  }
}

async function statOrInputError(path: string, what: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new InputError(`${path}: ${what}`);
    throw err;
  }
}
