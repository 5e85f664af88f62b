import MiniSearch from "minisearch";
import type { AsPlainObject, Options } from "minisearch";
import { InputError } from "../../src/core/errors.js";
import { processTerm, tokenize } from "./analyze.js";
import { chunkWords, resolveChunkOptions, type ChunkOptions } from "./chunk.js";
import { parseCorpusDocument } from "./corpus.js";
import type { CorpusDocument, Passage } from "./passage.js";

/** A passage as the index holds it. */
interface IndexedPassage {
  id: string;
  docId: string;
  title: string;
  text: string;
}

/** Options for building a local index. */
export interface LocalSearchOptions extends Partial<ChunkOptions> {
  /** Weight of a title match relative to a text match (default 2). */
  titleBoost?: number;
}

const STORED = ["docId", "title", "text"];

function miniSearchOptions(titleBoost: number): Options<IndexedPassage> {
  return {
    idField: "id",
    fields: ["title", "text"],
    storeFields: STORED,
    tokenize,
    processTerm: (term) => processTerm(term),
    searchOptions: { combineWith: "OR", prefix: false, fuzzy: false, boost: { title: titleBoost } },
  };
}

/** Cut one document into its passages, ids `${docId}#${n}`. */
export function passagesOf(doc: CorpusDocument, chunk: ChunkOptions): IndexedPassage[] {
  return chunkWords(doc.text, chunk).map((text, n) => ({
    id: `${doc.id}#${n}`,
    docId: doc.id,
    title: doc.title,
    text,
  }));
}

/** A full-text (BM25+) index over passages, held in memory. */
export class LocalSearch {
  private constructor(
    private readonly index: MiniSearch<IndexedPassage>,
    /** The chunking the passages were cut with. */
    readonly chunk: ChunkOptions,
    /** Weight of a title match relative to a text match. */
    readonly titleBoost: number,
    /** How many source documents were indexed. */
    readonly documentCount: number,
  ) {}

  /** Index documents held in memory (e.g. a generated corpus). Bad documents throw an InputError naming their index. */
  static fromDocuments(docs: Iterable<CorpusDocument>, opts: LocalSearchOptions = {}): LocalSearch {
    const chunk = resolveChunkOptions(opts);
    const titleBoost = resolveTitleBoost(opts.titleBoost);
    const index = new MiniSearch<IndexedPassage>(miniSearchOptions(titleBoost));
    const seen = new Set<string>();
    let i = 0;
    for (const raw of docs) {
      const source = `documents[${i}]`;
      const doc = parseCorpusDocument(raw, source);
      if (seen.has(doc.id)) throw new InputError(`${source}: $.id: duplicate id "${doc.id}"`);
      seen.add(doc.id);
      index.addAll(passagesOf(doc, chunk));
      i++;
    }
    return new LocalSearch(index, chunk, titleBoost, i);
  }

  /** Rebuild from the plain object `toPlain` gave, with the same settings. */
  static fromPlain(plain: AsPlainObject, chunk: ChunkOptions, titleBoost: number, documentCount: number): LocalSearch {
    const index = MiniSearch.loadJS<IndexedPassage>(plain, miniSearchOptions(titleBoost));
    return new LocalSearch(index, chunk, titleBoost, documentCount);
  }

  /** The index as a plain, JSON-serialisable object. */
  toPlain(): AsPlainObject {
    return this.index.toJSON();
  }

  /** How many passages are indexed. */
  get passageCount(): number {
    return this.index.documentCount;
  }

  /** The `k` best passages for `query`, best first (BM25+ over title and text; any query term may match). */
  search(query: string, k: number): Passage[] {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`search: k must be a whole number >= 1, got ${k}`);
    const results = this.index.search(query);
    const out: Passage[] = [];
    for (const r of results) {
      if (out.length >= k) break;
      out.push({
        id: r.id as string,
        docId: r.docId as string,
        title: r.title as string,
        text: r.text as string,
        score: r.score,
      });
    }
    return out;
  }
}

function resolveTitleBoost(boost: number | undefined): number {
  const b = boost ?? 2;
  if (!Number.isFinite(b) || b <= 0) throw new InputError(`search options: titleBoost: must be a number > 0, got ${b}`);
  return b;
}
